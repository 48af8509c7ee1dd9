"""Makes a session a staff session only once the second factor is given, and ends it when idle
or too old.

After the password (at the staff login page, or any other login) a staff account's session is
*pending*: everywhere except the second-factor pages under /staff/ the request is anonymous, and
the staff areas (/desk/, /admin/) send it to the second-factor page — or to enrolment, when the
account has no second factor yet. The JSON API sees an anonymous caller (401); API tokens are not
sessions and are unaffected (docs/staff-accounts.md, machine accounts).

A verified staff session ends after TOSHOKAN_STAFF["IDLE_TIMEOUT_S"] without a request, or
ABSOLUTE_TIMEOUT_S after sign-in, whatever happens in between; the next request finds it logged
out. /staff/session (the pages' idle warning asks it) does not count as activity.

It also keeps the desk at a branch the account may act for (StaffProfile.branches): a desk
session at another branch is moved to the first allowed one, and choosing another is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.models import AnonymousUser
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

from . import selectors, services, sessions
from .models import EventKind

STAFF_AREAS = ("/desk/", "/admin/")
DESK_BRANCH = "desk_branch"  # toshokan.circulation.desk.SESSION_BRANCH


class StaffSessionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not selectors.is_staff_account(user):
            return self.get_response(request)
        path = request.path_info
        now = sessions.now()
        if sessions.is_verified(request, user):
            ended = self._ended(request, now)
            if ended:
                services.record_event(
                    kind=EventKind.TIMED_OUT,
                    user=user,
                    address=services.client_address(request),
                    detail=ended,
                )
                logout(request)
                messages.info(
                    request, _("一定時間操作がなかったか、ログインから時間が経ったため、ログアウトしました")
                )
                return self._to(request, reverse("staff:login"), path) or self.get_response(request)
            if path != reverse("staff:session"):
                request.session[sessions.SEEN_AT] = now
            refused = self._branch(request, user, path)
            if refused is not None:
                return refused
            return self.get_response(request)
        # The password was accepted; the second factor not yet.
        started = request.session.setdefault(sessions.PASSWORD_AT, now)
        if now - float(started) > float(sessions.setting("SECOND_FACTOR_TIMEOUT_S")):
            logout(request)
            return self._to(request, reverse("staff:login"), path) or self.get_response(request)
        if path in _second_factor_paths():
            return self.get_response(request)
        request.user = AnonymousUser()
        request.auser = _anonymous
        target = "staff:verify" if selectors.has_second_factor(user) else "staff:enrol"
        return self._to(request, reverse(target), path) or self.get_response(request)

    @staticmethod
    def _ended(request: HttpRequest, now: float) -> str:
        seen = request.session.get(sessions.SEEN_AT)
        started = request.session.get(sessions.STARTED_AT)
        if isinstance(started, int | float) and now - started > float(sessions.setting("ABSOLUTE_TIMEOUT_S")):
            return "absolute timeout"
        if isinstance(seen, int | float) and now - seen > float(sessions.setting("IDLE_TIMEOUT_S")):
            return "idle timeout"
        return ""

    @staticmethod
    def _to(request: HttpRequest, target: str, path: str) -> HttpResponse | None:
        """Send a request for a staff area to `target` (with ?next= back); None elsewhere."""
        if not path.startswith(STAFF_AREAS):
            return None
        if getattr(request, "htmx", False):
            page = request.headers.get("HX-Current-URL", "")
            back = _local(page) or path
            return HttpResponseClientRedirect(f"{target}?{urlencode({'next': back})}")
        back = request.get_full_path() if request.method in ("GET", "HEAD") else path
        return HttpResponseRedirect(f"{target}?{urlencode({'next': back})}")

    @staticmethod
    def _branch(request: HttpRequest, user: object, path: str) -> HttpResponse | None:
        if not path.startswith("/desk/"):
            return None
        allowed = [b.code for b in selectors.branches_of(user)]
        if not allowed or getattr(user, "is_superuser", False):
            return None
        if path == "/desk/branch" and request.method == "POST":
            if request.POST.get("branch", "") not in allowed:
                services.record_event(
                    kind=EventKind.REFUSED,
                    user=user,
                    address=services.client_address(request),
                    detail=f"desk branch {request.POST.get('branch', '')[:32]} not among {','.join(allowed)}",
                )
                return HttpResponseForbidden(_("この館の業務を行う権限がありません").encode())
            return None
        if request.session.get(DESK_BRANCH) not in allowed:
            request.session[DESK_BRANCH] = allowed[0]
        return None


async def _anonymous() -> AnonymousUser:
    return AnonymousUser()


def _second_factor_paths() -> set[str]:
    return {
        reverse("staff:verify"),
        reverse("staff:enrol"),
        reverse("staff:passkey_options"),
        reverse("staff:passkey_verify"),
        reverse("staff:logout"),
        reverse("staff:session"),  # answers "not signed in yet", so the pages do not reload
    }


def _local(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")
