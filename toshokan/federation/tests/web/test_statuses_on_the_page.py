"""A library's line on the where-to-borrow page, from a check's answers: with several ISBNs
(editions) it shows the most useful status in the same order the engine merges a branch's copies
in (domain/holdings.py), and the page's script is given that order rather than keeping its own."""

from __future__ import annotations

import pytest

from toshokan.federation.checks import CheckState
from toshokan.federation.domain import holdings
from toshokan.federation.domain.availability import BranchStatus as B
from toshokan.federation.domain.availability import SystemAnswer, SystemStatus
from toshokan.federation.selectors import Library
from toshokan.federation.views import library_state

LIB = Library(
    libid=1, systemid="Remote", systemname="Remote", libkey="本館", short="本館", formal="本館",
    url="", address="", pref="", city="", postcode="", tel="", geocode=None, category="MEDIUM",
    isil="", primary=True, connector="sru", attribution="",
)  # fmt: skip


def answered(*statuses: B | None) -> CheckState:
    books = {
        f"isbn{i}": {
            "Remote": SystemAnswer(
                SystemStatus.OK, {"本館": s} if s else {}, "https://opac.example/r" if s else ""
            )
        }
        for i, s in enumerate(statuses)
    }
    return CheckState(session="s", books=books)


@pytest.mark.parametrize(
    ("statuses", "shown"),
    [
        ((B.ON_LOAN, B.PREPARING), B.PREPARING),
        ((B.HELD, B.LIBRARY_USE_ONLY), B.LIBRARY_USE_ONLY),
        ((B.RESERVED, B.CLOSED), B.RESERVED),
        ((None, B.ON_LOAN), B.ON_LOAN),
        ((None, None), B.NOT_HELD),
    ],
)
def test_several_editions_show_the_status_the_engine_would_merge_them_into(statuses, shown):
    state = answered(*statuses)
    line = library_state(state, list(state.books), LIB)
    assert line["status"] == shown.value
    held = [s for s in statuses if s]
    if held:
        assert holdings.best(held) is shown
