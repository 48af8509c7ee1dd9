"""What a staff session carries: when its password and second factor were checked, when it was last
used. The middleware (toshokan.staff.middleware) reads these to decide whether a session is a
staff session, and the re-authentication guard (toshokan.staff.reauth) to decide whether it was
confirmed recently. Times are Unix seconds (sessions are serialised as JSON).
"""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.http import HttpRequest

# {"user": pk, "method": "totp" | "recovery" | "passkey", "at": seconds}: the second factor of this login.
VERIFIED = "staff_2fa"
# When the password and the second factor were last both checked (sign-in or a confirmation).
AUTHENTICATED_AT = "staff_auth_at"
# When the staff session began (password + second factor), for the absolute timeout.
STARTED_AT = "staff_started_at"
# When the session was last used by its owner, for the idle timeout.
SEEN_AT = "staff_seen_at"
# When the password was accepted and the second factor not yet given.
PASSWORD_AT = "staff_password_at"
# A TOTP secret being enrolled, until its first code confirms it.
ENROLMENT = "staff_totp_enrolment"
# Recovery codes to show once, right after they were made.
NEW_RECOVERY_CODES = "staff_new_recovery_codes"

DEFAULTS: dict[str, Any] = {
    "IDLE_TIMEOUT_S": 15 * 60,
    "ABSOLUTE_TIMEOUT_S": 10 * 60 * 60,
    "IDLE_WARNING_S": 2 * 60,  # the pages warn this long before the idle end
    "SECOND_FACTOR_TIMEOUT_S": 5 * 60,  # between the password and the second factor
    "REAUTH_MAX_AGE_S": 5 * 60,
    "LOCKOUT_FAILURES": 5,  # wrong passwords or codes for one account within the window …
    "LOCKOUT_ADDRESS_FAILURES": 20,  # … or from one client address (a branch's staff share one)
    "LOCKOUT_WINDOW_S": 15 * 60,
    "LOCKOUT_S": 15 * 60,  # the first lockout; each further one within a day doubles it
    "LOCKOUT_MAX_S": 24 * 60 * 60,
    "TOTP_ISSUER": "toshokan",
    "RECOVERY_CODES": 10,
}


def setting(name: str) -> Any:
    """A staff-account setting: settings.TOSHOKAN_STAFF[name], else the default above."""
    configured = getattr(settings, "TOSHOKAN_STAFF", {}) or {}
    return configured.get(name, DEFAULTS[name])


def now() -> float:
    return time.time()


def verified_user_id(request: HttpRequest) -> int | None:
    state = request.session.get(VERIFIED)
    if isinstance(state, dict) and isinstance(state.get("user"), int):
        return int(state["user"])
    return None


def is_verified(request: HttpRequest, user: Any) -> bool:
    """The session's second factor was given by this user (not by one who signed in before)."""
    return bool(user.is_authenticated) and verified_user_id(request) == user.pk


def mark_verified(request: HttpRequest, user: Any, *, method: str) -> None:
    """Password and second factor both checked now: the session becomes a staff session."""
    at = now()
    request.session[VERIFIED] = {"user": user.pk, "method": method, "at": at}
    request.session[AUTHENTICATED_AT] = at
    request.session[STARTED_AT] = at
    request.session[SEEN_AT] = at
    request.session.pop(PASSWORD_AT, None)
    # A new privilege level gets a new session id (as Django's login does).
    request.session.cycle_key()


def mark_reauthenticated(request: HttpRequest) -> None:
    request.session[AUTHENTICATED_AT] = now()


def authenticated_age(request: HttpRequest) -> float | None:
    """Seconds since the password and second factor were last checked in this session."""
    at = request.session.get(AUTHENTICATED_AT)
    if not isinstance(at, int | float):
        return None
    return max(0.0, now() - float(at))


def method(request: HttpRequest) -> str:
    state = request.session.get(VERIFIED)
    return str(state.get("method", "")) if isinstance(state, dict) else ""
