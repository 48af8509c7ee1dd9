"""The pure rules of circulation: lifecycles, calendars, policies, suspensions and wait estimates."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from toshokan.circulation.domain.calendar import BranchCalendar
from toshokan.circulation.domain.estimates import estimate
from toshokan.circulation.domain.policy import (
    DEFAULT,
    OverdueMode,
    Policy,
    Rule,
    resolve,
    suspension_after_return,
)
from toshokan.circulation.domain.states import (
    HOLD_MOVES,
    HoldAction,
    HoldState,
    LoanAction,
    LoanState,
    TransitionRefused,
    next_hold_state,
    next_loan_state,
)

D = date(2026, 12, 28)  # a Monday


@pytest.mark.parametrize(
    ("state", "action", "expected"),
    [
        (LoanState.ACTIVE, LoanAction.RENEW, LoanState.ACTIVE),
        (LoanState.ACTIVE, LoanAction.RETURN, LoanState.CLOSED),
        (LoanState.LOST, LoanAction.RETURN, LoanState.CLOSED),
        (LoanState.LOST, LoanAction.RENEW, None),
        (LoanState.CLOSED, LoanAction.RETURN, None),
    ],
)
def test_loan_moves(state, action, expected):
    if expected is None:
        with pytest.raises(TransitionRefused):
            next_loan_state(state, action)
    else:
        assert next_loan_state(state, action) is expected


def test_every_open_hold_can_be_cancelled_and_ended_holds_cannot_move():
    for state in (HoldState.WAITING, HoldState.SUSPENDED, HoldState.IN_TRANSIT, HoldState.READY):
        assert next_hold_state(state, HoldAction.CANCEL) is HoldState.CANCELLED
    for state in (HoldState.FULFILLED, HoldState.CANCELLED, HoldState.EXPIRED):
        assert not [a for (s, a) in HOLD_MOVES if s is state]
    with pytest.raises(TransitionRefused) as e:
        next_hold_state(HoldState.SUSPENDED, HoldAction.TRAP)
    assert e.value.code == "hold_cannot_trap"


@pytest.mark.parametrize(
    ("start", "days", "closed_weekdays", "closed_dates", "due"),
    [
        (D, 14, set(), set(), D + timedelta(days=14)),
        (D, 14, {0}, set(), D + timedelta(days=15)),  # lands on a Monday: Tuesday
        # 年末年始: 12/29–1/3 closed; a loan of 1 day from 12/28 is due on 1/4
        (D, 1, set(), {date(2026, 12, 29) + timedelta(days=i) for i in range(6)}, date(2027, 1, 4)),
        (
            D,
            1,
            {0},
            {date(2026, 12, 29) + timedelta(days=i) for i in range(6)},
            date(2027, 1, 5),
        ),  # 1/4 is Monday
    ],
)
def test_due_dates_land_on_open_days(start, days, closed_weekdays, closed_dates, due):
    calendar = BranchCalendar(
        closed_weekdays=frozenset(closed_weekdays), closed_dates=frozenset(closed_dates)
    )
    assert calendar.due_date(start, days) == due


def test_a_branch_that_never_opens_is_a_clear_error():
    with pytest.raises(ValueError, match="no open day"):
        BranchCalendar(closed_weekdays=frozenset(range(7))).next_open_day(D)


def test_the_most_specific_rule_wins_and_no_rule_means_the_default():
    rules = [
        Rule("", "", "", Policy(loan_days=21)),
        Rule("child", "", "", Policy(loan_days=10)),
        Rule("", "video", "", Policy(loan_days=7)),
        Rule("child", "video", "kita", Policy(loan_days=3)),
    ]
    assert resolve(rules, patron_category="adult", material_type="book", branch="central").loan_days == 21
    assert resolve(rules, patron_category="child", material_type="book", branch="central").loan_days == 10
    assert resolve(rules, patron_category="child", material_type="video", branch="central").loan_days == 7
    assert resolve(rules, patron_category="child", material_type="video", branch="kita").loan_days == 3
    assert resolve([], patron_category="adult", material_type="book", branch="x") == DEFAULT


@pytest.mark.parametrize(
    ("mode", "late", "until"),
    [
        (OverdueMode.UNTIL_RETURNED, 5, None),
        (OverdueMode.DAYS_OVERDUE, 0, None),
        (OverdueMode.DAYS_OVERDUE, 1, D),  # one day late: no loans on the day of return
        (OverdueMode.DAYS_OVERDUE, 5, D + timedelta(days=4)),
    ],
)
def test_late_returns_earn_a_suspension_only_where_the_library_says_so(mode, late, until):
    assert suspension_after_return(mode, D - timedelta(days=late), D) == until


def test_estimates_walk_the_queue_over_the_copies():
    due = [D + timedelta(days=5), D + timedelta(days=9)]
    first = estimate(today=D, position=1, copy_free_on=due, loan_days=14, pickup_days=3, transit_days=1)
    second = estimate(today=D, position=2, copy_free_on=due, loan_days=14, pickup_days=3, transit_days=1)
    third = estimate(today=D, position=3, copy_free_on=due, loan_days=14, pickup_days=3, transit_days=1)
    assert first.expected_on == D + timedelta(days=6)
    assert second.expected_on == D + timedelta(days=10)
    assert third.expected_on == D + timedelta(days=5 + 1 + 17 + 1)
    assert third.days_from(D) == 24
    assert estimate(today=D, position=1, copy_free_on=[], loan_days=14).expected_on is None
    # An overdue copy is taken as coming back tomorrow.
    assert estimate(
        today=D, position=1, copy_free_on=[D - timedelta(days=3)], loan_days=14
    ).expected_on == D + timedelta(days=2)
