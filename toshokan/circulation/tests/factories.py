"""Copies and branches for circulation tests."""

from __future__ import annotations

from toshokan.catalog.domain.enums import HoldingStatus
from toshokan.catalog.models import Branch, Holding, Record
from toshokan.catalog.tests import factories as catalog_factories


def copy(
    rec: Record | None = None,
    *,
    branch_code: str = "central",
    status: HoldingStatus = HoldingStatus.AVAILABLE,
) -> Holding:
    return catalog_factories.holding(
        rec or catalog_factories.record(), branch_code=branch_code, status=status
    )


def branch(code: str = "central") -> Branch:
    return catalog_factories.branch(code)
