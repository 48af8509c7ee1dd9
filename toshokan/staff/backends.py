"""The password check for every staff sign-in: Django's ModelBackend with lockouts and the rule
that self-check machines and people sign in through different doors.

Set as AUTHENTICATION_BACKENDS, it covers every place a password is typed — the staff login page,
the confirmation before sensitive actions, the SIP2 server's login (93) — so no one of them is a
way around the lockout. A locked user name or client address is refused before the password is
even compared (PermissionDenied stops Django's authenticate() at once). Accounts marked as
self-check devices (StaffProfile.kind) sign in only over SIP2 (`channel="sip2"`), and people only
on pages: SIP2 has no second factor, so a person's password must not open it, and a device's
password, kept in a kiosk's configuration, must not open staff pages.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from . import selectors, services
from .models import EventKind, FailureKind

SIP2 = "sip2"


class StaffAuthenticationBackend(ModelBackend):
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        channel: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        address = services.client_address(request)
        if services.locked_until(username=username, address=address) is not None:
            services.record_event(kind=EventKind.REFUSED, username=username, address=address, detail="locked")
            raise PermissionDenied("sign-in locked")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            services.record_failure(username=username, address=address, kind=FailureKind.PASSWORD)
            return None
        device = selectors.is_selfcheck_device(user)
        if (channel == SIP2) != device:
            where = "SIP2" if channel == SIP2 else "pages"
            services.record_event(
                kind=EventKind.REFUSED,
                user=user,
                address=address,
                detail=f"{'self-check device' if device else 'person'} account refused on {where}",
            )
            return None
        return user
