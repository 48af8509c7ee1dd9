"""The login throttle's arithmetic, table-driven, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from toshokan.patrons.domain.throttle import Failures, ThrottleRule, after_failure, is_stale, locked_until

RULE = ThrottleRule(max_failures=3, window=timedelta(minutes=10), lockout=timedelta(minutes=5))
T0 = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def fail(times: list[int]) -> Failures | None:
    state: Failures | None = None
    for minute in times:
        state = after_failure(state, T0 + timedelta(minutes=minute), RULE)
    return state


@pytest.mark.parametrize(
    ("failures_at", "asked_at", "locked"),
    [
        ([], 0, None),
        ([0, 1], 2, None),
        ([0, 1, 2], 2, T0 + timedelta(minutes=7)),
        ([0, 1, 2], 6, T0 + timedelta(minutes=7)),
        ([0, 1, 2], 7, None),  # the lockout has passed
        ([0, 1, 11], 11, None),  # the first two fell out of the window
        ([0, 1, 2, 8, 9], 9, None),  # after a lockout ends, counting starts again
        ([0, 1, 2, 8, 9, 10], 10, T0 + timedelta(minutes=15)),
    ],
)
def test_a_key_is_locked_after_too_many_failures_within_the_window(failures_at, asked_at, locked):
    assert locked_until(fail(failures_at), T0 + timedelta(minutes=asked_at)) == locked


def test_a_row_is_stale_once_it_neither_locks_nor_counts():
    state = fail([0])
    assert state is not None
    assert not is_stale(state, T0 + timedelta(minutes=9), RULE)
    assert is_stale(state, T0 + timedelta(minutes=10), RULE)
    locked = fail([0, 1, 9])
    assert locked is not None and not is_stale(locked, T0 + timedelta(minutes=12), RULE)
