"""Circulation rules as data: which rule applies to a patron category × material type × branch.

Staff write rules in the admin; a rule may leave any of the three keys empty to mean "any". The
most specific matching rule wins (a branch match counts most, then the material type, then the
patron category), so a library can say "14 days, 10 items" once and then "児童 × 紙芝居 at 北分館:
7 days" as an exception. With no rule at all, DEFAULT applies (two weeks, ten items — the most
common terms in Japanese public libraries).

No fines: Japanese public libraries do not charge for late returns. An overdue loan suspends new
loans instead, in one of two ways the library chooses (OverdueMode).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from toshokan.catalog.domain.enums import HoldingStatus

# Copies that can never be lent: no hold waits for them, no checkout takes them.
NOT_LENDABLE = frozenset({HoldingStatus.REFERENCE_ONLY, HoldingStatus.MISSING, HoldingStatus.WITHDRAWN})


@dataclass(frozen=True, slots=True)
class Policy:
    loan_days: int = 14
    max_loans: int = 10
    max_renewals: int = 1
    max_holds: int = 10
    hold_pickup_days: int = 7  # 取置期間: open days are counted by the calendar


DEFAULT = Policy()


@dataclass(frozen=True, slots=True)
class Rule:
    patron_category: str  # "" = any
    material_type: str  # "" = any
    branch: str  # branch code, "" = any
    policy: Policy

    def matches(self, patron_category: str, material_type: str, branch: str) -> bool:
        return (
            self.patron_category in ("", patron_category)
            and self.material_type in ("", material_type)
            and self.branch in ("", branch)
        )

    @property
    def specificity(self) -> int:
        return (
            (4 if self.branch else 0) + (2 if self.material_type else 0) + (1 if self.patron_category else 0)
        )


def resolve(rules: Iterable[Rule], *, patron_category: str, material_type: str, branch: str) -> Policy:
    best: Rule | None = None
    for rule in rules:
        if rule.matches(patron_category, material_type, branch) and (
            best is None or rule.specificity > best.specificity
        ):
            best = rule
    return best.policy if best else DEFAULT


class OverdueMode(StrEnum):
    """What an overdue loan does to a patron's borrowing (延滞ペナルティ; set by the library)."""

    UNTIL_RETURNED = "until_returned"  # no new loans while anything is overdue
    DAYS_OVERDUE = "days_overdue"  # and, after returning, none for as many days as it was late


def days_overdue(due_on: date, returned_on: date) -> int:
    return max(0, (returned_on - due_on).days)


def suspension_after_return(mode: OverdueMode, due_on: date, returned_on: date) -> date | None:
    """The last day of the suspension a late return earns, or None."""
    late = days_overdue(due_on, returned_on)
    if mode is OverdueMode.DAYS_OVERDUE and late > 0:
        return returned_on + timedelta(days=late - 1) if late > 1 else returned_on
    return None
