"""For tests anywhere in toshokan: a staff user signed in as the real pages would leave them.

    from toshokan.staff.testing import sign_in

    sign_in(client, user)          # Django's test client: password + second factor done
    code = totp_code(user)         # a current TOTP code, for tests that go through the pages

`sign_in` is `client.force_login(user)` plus what the second-factor page records in the session,
so the staff pages, the admin and the JSON API treat the client as a verified staff session (and
as recently confirmed, for actions behind toshokan.staff.reauth). Tests of the sign-in itself use
the pages (toshokan/staff/tests).
"""

from __future__ import annotations

import time
from typing import Any

import pyotp
from django.test import Client
from django.utils import timezone

from . import crypto, sessions
from .domain import totp
from .models import TotpDevice


def sign_in(client: Client, user: Any, *, method: str = "totp") -> Client:
    client.force_login(user)
    session = client.session
    at = time.time()
    session[sessions.VERIFIED] = {"user": user.pk, "method": method, "at": at}
    session[sessions.AUTHENTICATED_AT] = at
    session[sessions.STARTED_AT] = at
    session[sessions.SEEN_AT] = at
    session.save()
    return client


def enrol(user: Any, secret: str | None = None) -> str:
    """Give the user an authenticator (as the enrolment page would); returns its secret."""
    secret = secret or totp.new_secret()
    TotpDevice.objects.update_or_create(
        user=user,
        defaults={"encrypted_secret": crypto.encrypt(secret), "last_step": 0, "confirmed_at": timezone.now()},
    )
    return secret


def totp_code(secret: str, *, at: float | None = None) -> str:
    return pyotp.TOTP(secret).at(int(at if at is not None else time.time()))
