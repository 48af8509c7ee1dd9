"""Re-authentication before sensitive actions ("sudo mode"): the staff member confirms their
password and second factor again if they last did so more than `max_age` seconds ago.

Use it on any view that does something a stolen or unattended session must not do — changing a
staff member's roles, exporting a patron's reading record:

    from toshokan.staff.reauth import require_recent_authentication

    @require_POST
    @staff_view(...)
    @require_recent_authentication(max_age=300)   # default: TOSHOKAN_STAFF["REAUTH_MAX_AGE_S"], 300 s
    def export_reading_record(request, patron_id): ...

Put it *inside* the view's login/permission checks (below them), so an anonymous caller is sent to
the login page, not to the confirmation. When the confirmation is due:

- a page request is redirected to `/staff/confirm?next=<this path>`; after the password and a
  second-factor code (or passkey) the staff member comes back to that path with GET — a POST is
  never replayed, so a form is shown again and submitted by the person, on purpose;
- an htmx request gets `HX-Redirect` to the same confirmation page (the whole page goes there);
- a JSON API endpoint should not redirect: call `recently_authenticated(request, max_age)` and
  answer 403 with code "reauthentication_required" and `confirm_url(next)` for the client to open.

Each confirmation is recorded (SecurityEvent kind "reauthenticated"), each refusal of a wrong
password or code counts towards the account's lockout like a failed sign-in. The time of the last
check is kept in the session only (toshokan.staff.sessions.AUTHENTICATED_AT), so it ends with it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect

from . import sessions

View = TypeVar("View", bound=Callable[..., HttpResponse])


def recently_authenticated(request: HttpRequest, max_age: float | None = None) -> bool:
    """The session's user confirmed password and second factor within `max_age` seconds."""
    limit = sessions.setting("REAUTH_MAX_AGE_S") if max_age is None else max_age
    user = getattr(request, "user", None)
    if user is None or not sessions.is_verified(request, user):
        return False
    age = sessions.authenticated_age(request)
    return age is not None and age <= limit


def confirm_url(next_path: str) -> str:
    """The confirmation page that sends the staff member back to `next_path` (a local path)."""
    parts = urlsplit(next_path)  # only the path and query of a full URL (htmx's HX-Current-URL)
    local = parts.path + (f"?{parts.query}" if parts.query else "")
    return f"{reverse('staff:confirm')}?{urlencode({'next': local or '/'})}"


def reauthentication_response(request: HttpRequest, max_age: float | None = None) -> HttpResponse | None:
    """None when the session was confirmed recently enough, else the redirect to the confirmation."""
    if recently_authenticated(request, max_age):
        return None
    if getattr(request, "htmx", False):
        page = request.headers.get("HX-Current-URL", "") or request.get_full_path()
        return HttpResponseClientRedirect(confirm_url(page))
    back = request.get_full_path() if request.method in ("GET", "HEAD") else _referer_or(request, "/")
    return HttpResponseRedirect(confirm_url(back))


def require_recent_authentication(max_age: float | None = None) -> Callable[[View], View]:
    """Decorator: the view runs only for a staff session confirmed within `max_age` seconds."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            refused = reauthentication_response(request, max_age)
            if refused is not None:
                return refused
            return view(request, *args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorate


def _referer_or(request: HttpRequest, default: str) -> str:
    """Where a POST came from (the form's page, on this site), to return to after confirming."""
    referer = urlsplit(request.headers.get("Referer", ""))
    if referer.netloc and referer.netloc != request.get_host():
        return default
    return (referer.path + (f"?{referer.query}" if referer.query else "")) or default
