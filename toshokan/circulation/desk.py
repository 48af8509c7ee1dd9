"""Who may use the staff desk, and at which branch they work.

Roles are Django groups (toshokan/core/demo_staff.py creates them): *desk* lends, takes back,
renews, processes holds and registers patrons; *manager* does what the desk does and also edits
rules, calendars, branches and blocks; *cataloguer* edits the catalogue only; *admin* is a
superuser. The desk pages check permissions, not group names, so a library can build its own
roles in the admin.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render, resolve_url
from django.utils.cache import patch_cache_control
from django.utils.functional import lazy
from django.utils.translation import get_language
from django_htmx.http import HttpResponseClientRedirect

from toshokan.catalog import selectors as catalog_selectors
from toshokan.catalog.models import Branch

from .models import ServicePoint

# Lending, returns, renewals and holds at the desk.
USE_DESK = "circulation.add_loan"
# Registering patrons, renewing their registration, resetting their PIN.
REGISTER_PATRONS = "patrons.add_patron"
CHANGE_PATRONS = "patrons.change_patron"
# Stopping and reopening a card (貸出停止): managers.
MANAGE_BLOCKS = "patrons.add_patronblock"

# The staff login page (settings.LOGIN_URL: password, then a second factor; docs/staff-accounts.md).
LOGIN_URL = lazy(lambda: resolve_url(settings.LOGIN_URL), str)()
SESSION_BRANCH = "desk_branch"

View = TypeVar("View", bound=Callable[..., HttpResponse])


def staff_view(*perms: str) -> Callable[[View], View]:
    """Log in first (the desk's login page), then hold every permission named, or 403.

    A scan sent by htmx after the session ended (or by an account without the permission) is
    answered with HX-Redirect, so the whole page goes to the login (or the 403 page) instead of
    the login form being swapped into the checkout area."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            htmx = bool(getattr(request, "htmx", False))
            if not user.is_authenticated:
                if htmx:
                    page = request.headers.get("HX-Current-URL", "") or str(LOGIN_URL)
                    return HttpResponseClientRedirect(f"{LOGIN_URL}?{urlencode({'next': _path(page)})}")
                return redirect_to_login(request.get_full_path(), str(LOGIN_URL))
            if not (user.is_active and user.is_staff and user.has_perms((USE_DESK, *perms))):
                if htmx:
                    return HttpResponseClientRedirect(request.headers.get("HX-Current-URL", "") or "/desk/")
                return render(request, "circulation/desk/forbidden.html", {"perms": perms}, status=403)
            response = view(request, *args, **kwargs)
            # Patrons' names and loans must not stay in a shared desk computer's browser cache.
            patch_cache_control(response, private=True, no_store=True)
            return response

        return wrapped  # type: ignore[return-value]

    return decorate


def _path(url: str) -> str:
    """The path and query of a URL (the page htmx says it is on), for a same-site ?next=."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def branch_for(request: HttpRequest) -> Branch:
    """The branch this desk works at: the one chosen in this session, else the staff member's
    service point, else the first branch."""
    code = request.session.get(SESSION_BRANCH)
    branches = catalog_selectors.branches()
    if code:
        chosen = branches.filter(code=code).first()
        if chosen is not None:
            return chosen
    point = ServicePoint.objects.select_related("branch").filter(user_id=request.user.pk or 0).first()
    if point is not None:
        return point.branch
    first = branches.first()
    if first is None:
        raise PermissionDenied("館が登録されていません。管理画面で館を登録してください")
    return first


def branch_label(branch: object) -> str:
    """A branch's name in the page's language (Branch.name_en on English pages, when set)."""
    if not isinstance(branch, Branch):  # a page without a desk branch (login, 403)
        return ""
    if not (get_language() or "ja").startswith("ja") and branch.name_en:
        return branch.name_en
    return branch.name
