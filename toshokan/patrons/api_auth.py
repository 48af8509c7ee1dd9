"""Who may call which endpoint of the JSON API: desk staff and patrons.

Staff: an API token (`Authorization: Bearer tsk_…`) or their admin session, holding the same
permissions the desk pages ask for (toshokan.circulation.desk). Patrons: their session from
`POST /api/v1/patron/session` (toshokan.patrons.sessions, shared with the account pages).

Each endpoint lists the auth objects django-ninja tries in order. A caller of the wrong kind is
told 403 rather than 401 — a patron's session at a staff endpoint, a staff token at a patron's —
since they are known and logging in again would not help.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from toshokan.core.api_auth import SessionCookie, StaffSession, StaffToken
from toshokan.core.domain import Forbidden
from toshokan.core.tokens import user_for_token
from toshokan.patrons import sessions
from toshokan.patrons.models import Patron

# The permissions of the desk pages (toshokan/circulation/desk.py): one set of roles for both.
USE_DESK = "circulation.add_loan"  # lending, returns, renewals and holds
REGISTER_PATRONS = "patrons.add_patron"
CHANGE_PATRONS = "patrons.change_patron"  # preferences, registration renewal, PIN reset
MANAGE_BLOCKS = "patrons.add_patronblock"  # 貸出停止: managers
RUN_LIBRARY_JOBS = "circulation.change_circulationsettings"  # library-wide jobs: managers


class PatronSession(SessionCookie):
    """The patron's own session cookie (CSRF token required on unsafe methods)."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Patron | None:
        return sessions.current_patron(request)


class PatronAtStaffEndpoint:
    """A patron's session at a staff endpoint: known, but not allowed. (Not an AuthBase, so the
    OpenAPI document does not list it as a way in.)"""

    def __call__(self, request: HttpRequest) -> Any:
        if sessions.current_patron(request) is not None:
            raise Forbidden("職員用の操作です (staff only)", code="staff_only")
        return None


class StaffAtPatronEndpoint:
    """A staff token at a patron's own endpoint: there is no "me" to show."""

    def __call__(self, request: HttpRequest) -> Any:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and user_for_token(token.strip()) is not None:
            raise Forbidden("利用者本人の操作です (for the patron's own session)", code="patron_only")
        return None


def desk(*perms: str) -> list[Any]:
    """Staff holding USE_DESK and `perms`."""
    return [StaffToken(USE_DESK, *perms), StaffSession(USE_DESK, *perms), PatronAtStaffEndpoint()]


def patron() -> list[Any]:
    return [PatronSession(), StaffAtPatronEndpoint()]


def patron_of(request: HttpRequest) -> Patron:
    auth = getattr(request, "auth", None)
    assert isinstance(auth, Patron)
    return auth


def actor_key(request: HttpRequest) -> str:
    """Who is asking, for Idempotency-Key scoping: "staff:<user id>" or "patron:<patron id>"."""
    auth = getattr(request, "auth", None)
    if isinstance(auth, Patron):
        return f"patron:{auth.pk}"
    return f"staff:{request.user.pk}"
