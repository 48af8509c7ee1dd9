"""The circuit breaker's rule, without waiting: closed → open after N failures → half-open → closed."""

from __future__ import annotations

import pytest

from toshokan.federation.domain.breaker import BreakerState, CircuitBreaker


def test_it_stays_closed_while_failures_are_fewer_than_the_threshold_or_broken_by_a_success():
    b = CircuitBreaker(failures_to_open=3, cooldown_s=10)
    b.failed(0)
    b.failed(1)
    b.succeeded()
    b.failed(2)
    b.failed(3)
    assert b.state(3) is BreakerState.CLOSED
    assert b.allow(3)


def test_it_opens_after_the_threshold_and_refuses_calls_until_the_cool_down_ends():
    b = CircuitBreaker(failures_to_open=2, cooldown_s=10)
    b.failed(0)
    b.failed(1)
    assert b.state(1) is BreakerState.OPEN
    assert not b.allow(5)
    assert not b.allow(10.9)
    assert b.state(11) is BreakerState.HALF_OPEN


@pytest.mark.parametrize(
    ("probe_succeeds", "state_after"), [(True, BreakerState.CLOSED), (False, BreakerState.OPEN)]
)
def test_half_open_lets_one_probe_through_and_its_outcome_decides(probe_succeeds, state_after):
    b = CircuitBreaker(failures_to_open=1, cooldown_s=10)
    b.failed(0)
    assert b.allow(10)  # the probe
    assert not b.allow(10)  # others wait for it
    if probe_succeeds:
        b.succeeded()
    else:
        b.failed(10)
    assert b.state(10) is state_after
    assert b.allow(10) is probe_succeeds


def test_a_probe_that_ended_without_a_verdict_lets_another_probe_try():
    b = CircuitBreaker(failures_to_open=1, cooldown_s=10)
    b.failed(0)
    assert b.allow(10)
    b.released()
    assert b.allow(10)


@pytest.mark.parametrize(("failures", "cooldown"), [(0, 10), (1, -1)])
def test_a_breaker_that_could_never_work_is_refused(failures, cooldown):
    with pytest.raises(ValueError):
        CircuitBreaker(failures_to_open=failures, cooldown_s=cooldown)
