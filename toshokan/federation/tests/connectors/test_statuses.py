"""Copy statuses and MARC holdings fields become Calil branch statuses; the most useful one wins."""

from __future__ import annotations

import pytest
from pymarc import Field, Indicators, Record, Subfield

from toshokan.federation.domain import holdings
from toshokan.federation.domain.availability import BranchStatus as B
from toshokan.federation.domain.marc_holdings import Copy, copies


@pytest.mark.parametrize(
    ("status", "holds_waiting", "expected"),
    [
        ("available", False, B.AVAILABLE),
        ("available", True, B.AVAILABLE),
        ("on_loan", False, B.ON_LOAN),
        ("on_loan", True, B.RESERVED),
        ("on_hold_shelf", False, B.RESERVED),
        ("in_transit", False, B.PREPARING),
        ("processing", False, B.PREPARING),
        ("reference_only", False, B.LIBRARY_USE_ONLY),
        ("missing", False, None),
        ("withdrawn", False, None),
        ("a_status_added_later", False, B.HELD),
    ],
)
def test_each_copy_status_stands_for_a_calil_status(status, holds_waiting, expected):
    assert holdings.from_copy_status(status, holds_waiting=holds_waiting) is expected


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ([B.ON_LOAN, B.AVAILABLE, B.RESERVED], B.AVAILABLE),
        ([B.RESERVED, B.ON_LOAN], B.ON_LOAN),
        ([B.PREPARING, B.ON_LOAN], B.PREPARING),
        ([B.LIBRARY_USE_ONLY, B.ON_LOAN], B.LIBRARY_USE_ONLY),
        ([B.HELD, B.RESERVED], B.HELD),
        ([], None),
    ],
)
def test_the_most_useful_status_of_a_branch_wins(statuses, expected):
    assert holdings.best(statuses) is expected
    merged: dict[str, B] = {}
    for status in statuses:
        holdings.merge(merged, "中央", status)
    assert merged.get("中央") is expected


def _record(*fields: tuple[str, list[tuple[str, str]]]) -> Record:
    record = Record()
    for tag, subfields in fields:
        record.add_field(
            Field(tag=tag, indicators=Indicators(" ", " "), subfields=[Subfield(c, v) for c, v in subfields])
        )
    return record


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("貸出可", B.AVAILABLE),
        ("予約中", B.RESERVED),
        ("休館中", B.CLOSED),
        ("蔵書なし", None),
        ("取寄中", B.HELD),  # a word a newer peer adds: the branch still holds the book
        (None, None),
        (3, None),
    ],
)
def test_a_remote_systems_word_for_a_branch_becomes_a_status(word, expected):
    assert holdings.from_calil(word) is expected


def test_852_says_where_a_copy_is_but_not_whether_it_is_on_the_shelf():
    record = _record(("852", [("a", "UVA"), ("b", "ALDERMAN"), ("c", "STACKS")]), ("852", [("a", "UVA")]))
    assert copies(record) == [Copy("ALDERMAN", B.HELD), Copy("UVA", B.HELD)]


@pytest.mark.parametrize(
    ("subfields", "expected"),
    [
        ([("a", "CPL"), ("b", "MPL")], B.AVAILABLE),
        ([("b", "MPL"), ("q", "2026-12-01")], B.ON_LOAN),
        ([("b", "MPL"), ("7", "1")], B.LIBRARY_USE_ONLY),
        ([("b", "MPL"), ("7", "-1")], B.PREPARING),
        ([("b", "MPL"), ("7", "0")], B.AVAILABLE),
        ([("b", "MPL"), ("1", "1")], None),
        ([("b", "MPL"), ("0", "1")], None),
        ([("b", "MPL"), ("1", "Lost")], None),
    ],
)
def test_koha_952_items_carry_their_loan_state(subfields, expected):
    found = copies(_record(("952", subfields)))
    assert found == ([Copy("MPL", expected)] if expected else [])
