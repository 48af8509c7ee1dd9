"""Connectors, one per kind of remote catalogue (connectors/base.py has the interface)."""

from __future__ import annotations

from ..domain.registry import Connector as Kind
from .base import Connector
from .calil import CalilConnector
from .local import LocalConnector
from .sru import SruConnector
from .toshokan import ToshokanConnector

CONNECTORS: dict[Kind, Connector] = {
    Kind.LOCAL: LocalConnector(),
    Kind.TOSHOKAN: ToshokanConnector(),
    Kind.SRU: SruConnector(),
    Kind.CALIL: CalilConnector(),
}


def connector_for(kind: Kind) -> Connector:
    return CONNECTORS[kind]
