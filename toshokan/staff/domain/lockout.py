"""When repeated sign-in failures lock an account or a client address, and for how long.

The rule (docs/staff-accounts.md): `failures` wrong passwords or second-factor codes within
`window_s` lock for `base_s`; each further lockout of the same key within a day doubles the time,
up to `max_s`. Accounts and client addresses are locked separately (an address with a higher
threshold: the staff of one branch share it). Keys are what was typed, so an unknown user name locks
as a known one does and the page gives nothing away about which accounts exist. NIST SP 800-63B
§5.2.2 asks for such a limit on failed attempts at a verifier.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LockoutPolicy:
    failures: int
    window_s: float
    base_s: float
    max_s: float


def should_lock(*, recent_failures: int, threshold: int) -> bool:
    """`recent_failures` within the window (this one included) reached the threshold."""
    return threshold > 0 and recent_failures >= threshold


def lock_seconds(policy: LockoutPolicy, *, earlier_lockouts_today: int) -> float:
    """15 minutes, then 30, 60 … for each lockout of the same key earlier in the day."""
    return float(min(policy.max_s, policy.base_s * (2 ** max(0, earlier_lockouts_today))))


def account_key(username: str) -> str:
    """User names compare case-insensitively here so 'Desk1' and 'desk1' share their failures."""
    return username.strip().casefold()[:150]
