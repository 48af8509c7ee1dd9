"""Slowing down PIN guessing at login (ログイン試行の制限).

A PIN is four to eight digits, so a card's PIN can be found by trying: after `max_failures` wrong
logins within `window`, a key is locked for `lockout`. Two keys are counted for every failure —
the card number (someone trying PINs on one card) and the client address (someone trying one
common PIN on many cards). A library's public terminals share one address, so the address rule
allows more failures than the card rule. Pure: the state and the time come in, the new state
goes out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class ThrottleRule:
    max_failures: int
    window: timedelta
    lockout: timedelta


CARD_RULE = ThrottleRule(max_failures=5, window=timedelta(minutes=15), lockout=timedelta(minutes=15))
ADDRESS_RULE = ThrottleRule(max_failures=30, window=timedelta(minutes=15), lockout=timedelta(minutes=15))


@dataclass(frozen=True, slots=True)
class Failures:
    count: int
    since: datetime  # the first failure of the current window
    locked_until: datetime | None = None


def locked_until(state: Failures | None, now: datetime) -> datetime | None:
    """When the key may try again, or None if it may try now."""
    if state is None or state.locked_until is None or state.locked_until <= now:
        return None
    return state.locked_until


def after_failure(state: Failures | None, now: datetime, rule: ThrottleRule) -> Failures:
    """Count one more failure; a window that has passed starts again from this one."""
    if (
        state is None
        or now - state.since >= rule.window
        or (state.locked_until is not None and state.locked_until <= now)
    ):
        state = Failures(count=0, since=now)
    count = state.count + 1
    if count >= rule.max_failures:
        return Failures(count=count, since=state.since, locked_until=now + rule.lockout)
    return Failures(count=count, since=state.since)


def is_stale(state: Failures, now: datetime, rule: ThrottleRule) -> bool:
    """A row that no longer counts for anything and can be deleted."""
    return locked_until(state, now) is None and now - state.since >= rule.window
