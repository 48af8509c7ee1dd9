"""The library registry: library systems (Calil's `systemid`) and their branches (`libkey`).

The file format is a public interface (CONTRACT.md, "Library systems for live availability"); these
frozen values are what the rest of federation reads, whether they came from the TOML file or from
the database rows staff edit in the admin.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Connector(StrEnum):
    LOCAL = "local"  # this toshokan's own catalogue and circulation
    TOSHOKAN = "toshokan"  # another toshokan's API
    SRU = "sru"  # any SRU server (CQL)
    CALIL = "calil"  # Calil's API, for systems only Calil reaches


class Category(StrEnum):
    """Calil's library categories."""

    SMALL = "SMALL"  # 図書室・公民館
    MEDIUM = "MEDIUM"  # 図書館(地域)
    LARGE = "LARGE"  # 図書館(広域)
    UNIV = "UNIV"  # 大学図書館
    SPECIAL = "SPECIAL"  # 専門図書館
    BM = "BM"  # 移動・配本


@dataclass(frozen=True, slots=True)
class BranchSpec:
    libkey: str  # the branch's key within its system, as Calil's `libkey`
    formal: str
    short: str = ""
    address: str = ""
    postcode: str = ""
    tel: str = ""
    geocode: tuple[float, float] | None = None  # (longitude, latitude), the order Calil writes
    category: Category = Category.MEDIUM
    isil: str = ""
    url: str = ""
    branch: str = ""  # local connector only: the toshokan branch code it stands for
    city: str = ""  # when it differs from its system's (a prefectural system's branches); Calil's `city`


@dataclass(frozen=True, slots=True)
class SystemSpec:
    systemid: str  # unique, as Calil's `systemid`
    name: str
    pref: str = ""
    city: str = ""
    connector: Connector = Connector.LOCAL
    endpoint: str = ""  # base URL for toshokan / sru / calil; never taken from a request
    timeout_s: float = 5.0
    options: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    branches: tuple[BranchSpec, ...] = ()
    reserve_url: str = ""  # a template with {isbn}; Calil's `reserveurl` when it is filled in
    source: str = ""  # where the entry came from (file name, "admin"), and its licence where it shows
    attribution: str = (
        ""  # what its data's licence asks to be shown with it (OSM: "© OpenStreetMap contributors, ODbL")
    )


@dataclass(frozen=True, slots=True)
class CheckSettings:
    deadline_s: float = 10.0  # a whole check ends by then; unfinished systems become Error


@dataclass(frozen=True, slots=True)
class Registry:
    check: CheckSettings
    systems: tuple[SystemSpec, ...]

    def system(self, systemid: str) -> SystemSpec | None:
        for s in self.systems:
            if s.systemid == systemid:
                return s
        return None
