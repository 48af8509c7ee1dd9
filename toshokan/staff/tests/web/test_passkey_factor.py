"""A passkey as the second factor, through the pages, with the software authenticator of the
passkeys tests (toshokan/passkeys/tests/authenticator.py) answering as a browser would."""

from __future__ import annotations

import json

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory
from django.urls import reverse

from toshokan.passkeys import services as passkey_services
from toshokan.passkeys.tests.authenticator import SoftAuthenticator
from toshokan.staff.models import EventKind, SecurityEvent

from ..conftest import PASSWORD

pytestmark = pytest.mark.django_db


def register(user) -> SoftAuthenticator:
    authenticator = SoftAuthenticator(origin="http://testserver")
    session = SessionStore()

    def request():
        r = RequestFactory().post("/", HTTP_HOST="testserver")
        r.session = session
        return r

    options = passkey_services.begin_registration(request(), user=user)
    passkey_services.finish_registration(request(), authenticator.create(options), user=user)
    return authenticator


def passkey_step(client, authenticator, next_url="/desk/checkout"):
    options = client.post(reverse("staff:passkey_options")).json()
    assert options["userVerification"] == "required"
    answer = authenticator.get(options)
    return client.post(
        f"{reverse('staff:passkey_verify')}?next={next_url}",
        json.dumps({"credential": answer}),
        content_type="application/json",
    )


def test_a_passkey_is_a_second_factor(client, desk_user):
    authenticator = register(desk_user)
    response = client.post(
        "/desk/login", {"username": "desk1", "password": PASSWORD, "next": "/desk/checkout"}
    )
    assert response["Location"].startswith(reverse("staff:verify"))  # not enrolment: a passkey is enough
    page = client.get(response["Location"]).content.decode()
    assert "パスキーで確認" in page and "staff/passkey.js" in page
    assert client.get("/desk/checkout").status_code == 302
    done = passkey_step(client, authenticator)
    assert done.status_code == 200 and done.json()["redirect"] == "/desk/checkout"
    assert client.get("/desk/checkout").status_code == 200
    assert SecurityEvent.objects.get(kind=EventKind.SIGNED_IN).detail == "passkey"


def test_a_passkey_without_user_verification_is_refused_and_counted(client, desk_user):
    authenticator = register(desk_user)
    client.post("/desk/login", {"username": "desk1", "password": PASSWORD})
    authenticator.user_verified = False
    refused = passkey_step(client, authenticator)
    assert refused.status_code == 400 and refused.json()["error"] == "passkey_user_verification_required"
    assert client.get("/desk/checkout").status_code == 302
    assert SecurityEvent.objects.filter(kind=EventKind.SECOND_FACTOR_FAILED).count() == 1


def test_no_passkey_options_before_the_password(client, desk_user):
    register(desk_user)
    assert client.post(reverse("staff:passkey_options")).status_code == 401
