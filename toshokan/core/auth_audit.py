"""Staff logins, failed logins and logouts in the audit log.

Django announces these only through its auth signals, so they are followed here (connected in
CoreConfig.ready). Only staff accounts are recorded: a failed login is recorded when the name typed
is an existing staff account's, never the text of a name that matches no one (it may be a
password typed into the wrong field). Patrons log in with their card, not through Django's auth.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model, user_logged_in, user_logged_out, user_login_failed
from django.http import HttpRequest

from . import audit


def _via(request: HttpRequest) -> audit.Via:
    return audit.Via.ADMIN if request.path.startswith("/admin/") else audit.Via.DESK


def logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and user is not None and user.is_staff:
        audit.record(by=audit.by_request(request, _via(request)), action=audit.Action.STAFF_LOGIN)


def logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and user is not None and user.is_staff:
        by = audit.by_user(user, _via(request), audit.client_address(request))
        audit.record(by=by, action=audit.Action.STAFF_LOGOUT)


def login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    if request is None:
        return
    User = get_user_model()
    name = str(credentials.get(User.USERNAME_FIELD, "") or "")
    account = User.objects.filter(**{User.USERNAME_FIELD: name}, is_staff=True).first() if name else None
    if account is not None:
        by = audit.By(account.pk, account.get_username(), _via(request), audit.client_address(request))
        audit.record(by=by, action=audit.Action.STAFF_LOGIN_FAILED)


def connect() -> None:
    user_logged_in.connect(logged_in, dispatch_uid="toshokan.core.audit.logged_in")
    user_logged_out.connect(logged_out, dispatch_uid="toshokan.core.audit.logged_out")
    user_login_failed.connect(login_failed, dispatch_uid="toshokan.core.audit.login_failed")
