"""The demo's staff sign in as the docs say: password, then the code of their listed TOTP secret;
the demo's self-check device logs in over SIP2 only."""

from __future__ import annotations

import json

import pyotp
import pytest
from django.contrib.auth import authenticate
from django.urls import reverse

from toshokan.core import demo_staff
from toshokan.staff import demo
from toshokan.staff.models import AccountKind, StaffProfile, TotpDevice

pytestmark = pytest.mark.django_db


def test_the_demo_staff_sign_in_with_their_listed_totp_secret(client):
    credentials = json.loads(demo.CREDENTIALS.read_text(encoding="utf-8"))
    demo_staff.load(lambda _: None)
    demo.load(lambda _: None)
    demo.load(lambda _: None)  # a second run changes nothing
    assert TotpDevice.objects.count() == len(credentials["staff"])
    desk = next(e for e in credentials["staff"] if e["role"] == "desk")
    assert all(set(e) >= {"username", "password", "role", "totp_secret"} for e in credentials["staff"])
    response = client.post("/desk/login", {"username": desk["username"], "password": desk["password"]})
    assert response["Location"].startswith(reverse("staff:verify"))
    done = client.post(reverse("staff:verify"), {"code": pyotp.TOTP(desk["totp_secret"]).now()})
    assert done.status_code == 302
    (device,) = credentials["selfcheck_devices"]
    assert StaffProfile.objects.get(user__username=device["username"]).kind == AccountKind.SELFCHECK
    assert authenticate(None, username=device["username"], password=device["password"], channel="sip2")
    assert authenticate(None, username=desk["username"], password=desk["password"], channel="sip2") is None
