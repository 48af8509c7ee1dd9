"""Staff sign-in through the real pages (Django's test client): password, then the second factor;
enrolment at the first sign-in; what an unfinished sign-in can reach; lockouts; timeouts."""

from __future__ import annotations

import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from toshokan.staff import services, sessions
from toshokan.staff.domain import totp
from toshokan.staff.models import EventKind, Lockout, RecoveryCode, SecurityEvent, TotpDevice
from toshokan.staff.testing import enrol, sign_in, totp_code

from ..conftest import PASSWORD, make_staff

pytestmark = pytest.mark.django_db

LOGIN = "/desk/login"


def password_step(client, username="desk1", password=PASSWORD, next_url="/desk/checkout", **extra):
    return client.post(LOGIN, {"username": username, "password": password, "next": next_url}, **extra)


def events(kind):
    return SecurityEvent.objects.filter(kind=kind).count()


# -- a second factor is required ----------------------------------------------------------------


def test_a_staff_login_without_the_second_factor_is_refused(client, desk_user):
    secret = enrol(desk_user)
    response = password_step(client)
    assert response.status_code == 302 and response["Location"].startswith(reverse("staff:verify"))
    # The password alone opens nothing of the staff's.
    for address in ("/desk/checkout", "/desk/patrons", "/admin/"):
        refused = client.get(address)
        assert refused.status_code == 302 and refused["Location"].startswith(reverse("staff:verify")), address
    api = client.get("/api/v1/patrons?q=x")
    assert api.status_code == 401
    htmx = client.post("/desk/checkout", {"card": "1"}, headers={"HX-Request": "true"})
    assert htmx["HX-Redirect"].startswith(reverse("staff:verify"))
    # A wrong code is refused and the session stays short of staff.
    wrong = client.post(reverse("staff:verify"), {"code": "000000", "next": "/desk/checkout"})
    assert wrong.status_code == 400 and "コードが違う" in wrong.content.decode()
    assert client.get("/desk/checkout").status_code == 302
    # The right one lets them in.
    right = client.post(reverse("staff:verify"), {"code": totp_code(secret), "next": "/desk/checkout"})
    assert right.status_code == 302 and right["Location"] == "/desk/checkout"
    assert client.get("/desk/checkout").status_code == 200
    assert events(EventKind.SIGNED_IN) == 1 and events(EventKind.SECOND_FACTOR_FAILED) == 1


def test_the_admin_login_leads_to_the_same_sign_in(client):
    make_staff("boss", "admin")
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == reverse("staff:login") + "?next=%2Fadmin%2F"
    response = client.post(
        reverse("staff:login"), {"username": "boss", "password": PASSWORD, "next": "/admin/"}
    )
    assert response["Location"].startswith(reverse("staff:enrol"))


def test_a_used_code_cannot_sign_in_again(client, desk_user):
    secret = enrol(desk_user)
    code = totp_code(secret)
    password_step(client)
    assert client.post(reverse("staff:verify"), {"code": code}).status_code == 302
    client.post(reverse("staff:logout"))
    password_step(client)
    again = client.post(reverse("staff:verify"), {"code": code})
    assert again.status_code == 400
    assert client.get("/desk/checkout").status_code == 302


def test_a_sign_in_left_at_the_second_factor_expires(client, desk_user, settings):
    enrol(desk_user)
    password_step(client)
    session = client.session
    session[sessions.PASSWORD_AT] = time.time() - 6 * 60
    session.save()
    response = client.get("/desk/checkout")
    assert response.status_code == 302 and response["Location"].startswith(reverse("staff:login"))
    assert "_auth_user_id" not in client.session


def test_a_non_staff_account_needs_no_second_factor(client):
    get_user_model().objects.create_user("reader", password=PASSWORD)
    response = password_step(client, "reader", next_url="/")
    assert response["Location"] == "/"


# -- first sign-in: enrolment -------------------------------------------------------------------


def test_the_first_sign_in_enrols_an_authenticator_and_shows_recovery_codes_once(client, desk_user):
    response = password_step(client)
    assert response["Location"].startswith(reverse("staff:enrol"))
    assert client.get("/desk/checkout")["Location"].startswith(reverse("staff:enrol"))
    page = client.get(response["Location"])
    html = page.content.decode()
    assert "<svg" in html and 'role="img"' in html  # the QR code
    found = re.search(r'<code class="staff-secret" lang="en">([A-Z2-7 ]+)</code>', html)
    assert found is not None
    secret = found.group(1).replace(" ", "")
    assert page["Cache-Control"].count("no-store")
    wrong = client.post(reverse("staff:enrol"), {"code": "123456", "next": "/desk/checkout"})
    assert wrong.status_code == 400 and not TotpDevice.objects.exists()
    done = client.post(reverse("staff:enrol"), {"code": totp_code(secret), "next": "/desk/checkout"})
    assert done.status_code == 302 and done["Location"].startswith(reverse("staff:recovery_codes"))
    device = TotpDevice.objects.get(user=desk_user)
    assert secret not in device.encrypted_secret  # kept encrypted
    codes_page = client.get(done["Location"]).content.decode()
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", codes_page)
    assert len(codes) == 10 and RecoveryCode.objects.filter(user=desk_user).count() == 10
    assert not re.findall(r"<li><code>", client.get(reverse("staff:recovery_codes")).content.decode())
    assert client.get("/desk/checkout").status_code == 200
    # The secret is never shown again: enrolling anew shows a new one, and only after a fresh
    # confirmation of the password and second factor.
    again = client.get(reverse("staff:enrol")).content.decode()
    assert "<svg" in again and totp.grouped(secret) not in again
    _age(client, sessions.AUTHENTICATED_AT, 6 * 60)
    later = client.get(reverse("staff:enrol"))
    assert later.status_code == 302 and later["Location"].startswith(reverse("staff:confirm"))
    assert events(EventKind.TOTP_ENROLLED) == 1


def test_someone_with_only_the_password_cannot_enrol_a_second_authenticator(client, desk_user):
    enrol(desk_user)
    password_step(client)
    response = client.get(reverse("staff:enrol"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("staff:verify"))
    assert client.post(reverse("staff:enrol"), {"code": "123456"}).status_code == 302
    assert TotpDevice.objects.count() == 1


def test_a_recovery_code_signs_in_once(client, desk_user):
    enrol(desk_user)
    codes = services.make_recovery_codes(user=desk_user)
    password_step(client)
    used = client.post(reverse("staff:verify"), {"code": codes[0].upper()})
    assert used.status_code == 302 and client.get("/desk/checkout").status_code == 200
    client.post(reverse("staff:logout"))
    password_step(client)
    assert client.post(reverse("staff:verify"), {"code": codes[0]}).status_code == 400
    assert events(EventKind.RECOVERY_CODE_USED) == 1


# -- lockouts -----------------------------------------------------------------------------------


def test_repeated_wrong_passwords_lock_the_account_and_the_page_says_only_so(client, desk_user):
    secret = enrol(desk_user)
    for _ in range(4):
        page = password_step(client, password="wrong")
        assert "ログインできませんでした" in page.content.decode()
    fifth = password_step(client, password="wrong")
    assert "一時的にロック" in fifth.content.decode()
    # Now even the right password is refused, with the same words.
    right = password_step(client)
    assert right.status_code == 200 and "一時的にロック" in right.content.decode()
    assert client.get("/desk/checkout").status_code == 302
    lock = Lockout.objects.get(scope="account", key="desk1")
    assert 14 * 60 < (lock.until - lock.started_at).total_seconds() <= 15 * 60
    # An unknown user name locks the same way: the page tells nothing about which names exist.
    for _ in range(5):
        unknown = password_step(client, username="nobody-such", password="wrong")
    assert "一時的にロック" in unknown.content.decode()
    # An administrator lifts the lock (admin action, recorded), and the right password works again.
    admin = make_staff("boss", "admin")
    admin_client = sign_in(type(client)(), admin)
    lifted = admin_client.post(
        "/admin/auth/user/", {"action": "unlock_accounts", "_selected_action": [desk_user.pk]}
    )
    assert lifted.status_code == 302
    lock.refresh_from_db()
    assert lock.lifted_at is not None and lock.lifted_by == admin
    unlocked = SecurityEvent.objects.get(kind=EventKind.UNLOCKED)
    assert unlocked.actor == admin and unlocked.user == desk_user
    assert password_step(client)["Location"].startswith(reverse("staff:verify"))
    assert client.post(reverse("staff:verify"), {"code": totp_code(secret)}).status_code == 302
    assert events(EventKind.LOCKED) == 2


def test_wrong_codes_count_towards_the_lockout(client, desk_user):
    enrol(desk_user)
    password_step(client)
    for _ in range(4):
        assert client.post(reverse("staff:verify"), {"code": "000000"}).status_code == 400
    locked = client.post(reverse("staff:verify"), {"code": "000000"})
    assert locked.status_code == 302 and locked["Location"] == reverse("staff:login")
    assert "_auth_user_id" not in client.session  # signed out
    assert "一時的にロック" in password_step(client).content.decode()


def test_a_second_lockout_in_a_day_lasts_twice_as_long(client, desk_user):
    for _ in range(5):
        password_step(client, password="wrong")
    first = Lockout.objects.get()
    services.unlock(lockout=first, actor=None)
    for _ in range(5):
        password_step(client, password="wrong")
    second = Lockout.objects.exclude(pk=first.pk).get()
    assert round((second.until - second.started_at).total_seconds()) == 2 * 15 * 60


def test_many_failures_from_one_address_lock_the_address(client, desk_user, settings):
    settings.TOSHOKAN_STAFF = {"LOCKOUT_ADDRESS_FAILURES": 6}
    for n in range(6):
        password_step(client, username=f"guess{n}", password="wrong", REMOTE_ADDR="203.0.113.9")
    refused = password_step(client, REMOTE_ADDR="203.0.113.9")
    assert "一時的にロック" in refused.content.decode()
    elsewhere = password_step(client, REMOTE_ADDR="203.0.113.10")
    assert elsewhere.status_code == 302
    assert Lockout.objects.filter(scope="address", key="203.0.113.9").exists()


# -- timeouts -----------------------------------------------------------------------------------


def _age(client, key, seconds):
    session = client.session
    session[key] = time.time() - seconds
    session.save()


def test_an_idle_staff_session_ends_on_the_server(client, desk_user):
    sign_in(client, desk_user)
    assert client.get("/desk/checkout").status_code == 200
    _age(client, sessions.SEEN_AT, 14 * 60)
    assert client.get("/desk/checkout").status_code == 200  # and that request was activity
    _age(client, sessions.SEEN_AT, 16 * 60)
    ended = client.get("/desk/checkout")
    assert ended.status_code == 302 and ended["Location"].startswith(reverse("staff:login"))
    assert "_auth_user_id" not in client.session
    assert SecurityEvent.objects.get(kind=EventKind.TIMED_OUT).detail == "idle timeout"


def test_a_staff_session_ends_after_ten_hours_however_busy(client, desk_user):
    sign_in(client, desk_user)
    _age(client, sessions.STARTED_AT, 10 * 3600 + 1)
    assert client.get("/desk/checkout").status_code == 302
    assert SecurityEvent.objects.get(kind=EventKind.TIMED_OUT).detail == "absolute timeout"


def test_the_timeouts_are_settings(client, desk_user, settings):
    settings.TOSHOKAN_STAFF = {"IDLE_TIMEOUT_S": 60}
    sign_in(client, desk_user)
    _age(client, sessions.SEEN_AT, 61)
    assert client.get("/desk/checkout").status_code == 302


def test_asking_how_long_is_left_is_not_activity(client, desk_user):
    sign_in(client, desk_user)
    _age(client, sessions.SEEN_AT, 10 * 60)
    state = client.get(reverse("staff:session")).json()
    assert state["signed_in"] and 4 * 60 <= state["remaining_s"] <= 5 * 60 and state["warning_s"] == 120
    assert client.get(reverse("staff:session")).json()["remaining_s"] <= 5 * 60
    extended = client.post(reverse("staff:session_extend")).json()
    assert extended["remaining_s"] > 14 * 60
