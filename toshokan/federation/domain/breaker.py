"""A circuit breaker per library system: stop calling a system that keeps failing, try it again later.

The rule is the classic three-state breaker (Nygard, "Release It!", ch. 5; the same states as
resilience4j and pybreaker): *closed* — calls go through, consecutive failures are counted; after
`failures_to_open` of them in a row it is *open* — calls are refused at once ("circuit open") for
`cooldown_s`; then *half-open* — one probe call goes through; its success closes the breaker, its
failure opens it for another cool-down. A library's OPAC that is down would otherwise hold every
check until its timeout, for every patron, and be hammered while it tries to come back.

The clock is passed in (`now`, monotonic seconds), so the rule is tested without waiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


@dataclass(slots=True)
class CircuitBreaker:
    failures_to_open: int = 5
    cooldown_s: float = 60.0
    failures: int = 0
    opened_at: float | None = None
    probing: bool = False  # a half-open probe is out; others are refused until it comes back

    def __post_init__(self) -> None:
        if self.failures_to_open < 1:
            raise ValueError("failures_to_open must be at least 1")
        if self.cooldown_s < 0:
            raise ValueError("cooldown_s must not be negative")

    def state(self, now: float) -> BreakerState:
        if self.opened_at is None:
            return BreakerState.CLOSED
        if self.probing or now - self.opened_at >= self.cooldown_s:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN

    def allow(self, now: float) -> bool:
        """May a call go out now? In half-open, only the first caller (the probe) is let through."""
        state = self.state(now)
        if state is BreakerState.CLOSED:
            return True
        if state is BreakerState.HALF_OPEN and not self.probing:
            self.probing = True
            return True
        return False

    def succeeded(self) -> None:
        self.failures = 0
        self.opened_at = None
        self.probing = False

    def failed(self, now: float) -> None:
        self.failures += 1
        if self.probing or self.failures >= self.failures_to_open:
            self.opened_at = now
        self.probing = False

    def released(self) -> None:
        """A call that ended without a verdict (the check was cancelled): let another probe try."""
        self.probing = False
