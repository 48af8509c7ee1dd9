"""Who is calling the JSON API: staff by API token or by their admin session, with permissions.

django-ninja calls each auth object in turn and takes the first that returns a caller; if none
does, the answer is 401. An object that recognises the caller but finds them without the
permissions the endpoint needs raises Forbidden (403) at once. Staff roles are Django groups
holding permissions (toshokan.core.demo_staff); the API checks the same permissions as the desk
pages, never group names, so a library can shape its own roles in the admin. Patrons' sessions
are added by toshokan.circulation.api_auth.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from .domain import Forbidden
from .tokens import user_for_token


class CsrfFailed(Forbidden):
    code = "csrf_failed"


def require_perms(user: Any, perms: tuple[str, ...]) -> Any:
    """`user` if they are active staff holding every permission in `perms`, else Forbidden."""
    if not (user.is_active and user.is_staff and user.has_perms(perms)):
        raise Forbidden(
            "この操作を行う権限がありません (your account lacks the permission for this)",
            code="permission_denied",
        )
    return user


class StaffToken(HttpBearer):
    """`Authorization: Bearer tsk_…` — a staff API token (manage.py create_api_token USER)."""

    def __init__(self, *perms: str) -> None:
        self.perms = perms
        super().__init__()

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token)
        if user is None:
            return None
        request.user = user  # type: ignore[assignment]  # the configured user model
        return require_perms(user, self.perms)


class SessionCookie(APIKeyCookie):
    """A Django session cookie. CSRF is checked on unsafe methods, but only once the session has
    been found to belong to someone: a request with no session at all is told 401, not 403."""

    param_name = settings.SESSION_COOKIE_NAME

    def __call__(self, request: HttpRequest) -> Any:
        if not request.COOKIES.get(self.param_name):
            return None
        caller = self.authenticate(request, request.COOKIES[self.param_name])
        if caller is not None and not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise CsrfFailed("CSRF トークンがありません (send the csrftoken cookie's value in X-CSRFToken)")
        return caller

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        raise NotImplementedError


class StaffSession(SessionCookie):
    """A staff member signed in to the admin (handy for the interactive docs at /api/v1/docs)."""

    def __init__(self, *perms: str) -> None:
        self.perms = perms
        super().__init__()

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not user.is_staff:
            return None
        return require_perms(user, self.perms)
