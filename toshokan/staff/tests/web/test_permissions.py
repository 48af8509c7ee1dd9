"""Re-authentication before sensitive actions, roles given by managers, branches at the desk, and
machine accounts (SIP2 self-check devices, API tokens)."""

from __future__ import annotations

import re
import time

import pytest
from django.contrib.auth import authenticate
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

from toshokan.catalog.models import Branch
from toshokan.core.models import ApiToken
from toshokan.staff import services, sessions
from toshokan.staff.models import AccountKind, EventKind, SecurityEvent, StaffProfile
from toshokan.staff.reauth import recently_authenticated, require_recent_authentication
from toshokan.staff.testing import enrol, sign_in, totp_code

from ..conftest import PASSWORD, make_staff

pytestmark = pytest.mark.django_db


def _stale(client, seconds=10 * 60):
    session = client.session
    session[sessions.AUTHENTICATED_AT] = time.time() - seconds
    session.save()


# -- re-authentication --------------------------------------------------------------------------


def test_changing_roles_in_the_admin_asks_for_the_password_and_code_again(client):
    boss = make_staff("boss", "admin")
    clerk = make_staff("clerk", "desk")
    secret = enrol(boss)
    sign_in(client, boss)
    _stale(client)
    change = f"/admin/auth/user/{clerk.pk}/change/"
    response = client.get(change)
    assert response.status_code == 302
    assert (
        response["Location"]
        == reverse("staff:confirm") + "?next=%2Fadmin%2Fauth%2Fuser%2F" + f"{clerk.pk}%2Fchange%2F"
    )
    posted = client.post(change, {"username": "clerk"}, headers={"Referer": f"http://testserver{change}"})
    assert posted["Location"].startswith(reverse("staff:confirm"))  # nothing was saved
    wrong = client.post(
        reverse("staff:confirm"), {"password": "nope", "code": totp_code(secret), "next": change}
    )
    assert wrong.status_code == 400
    confirmed = client.post(
        reverse("staff:confirm"), {"password": PASSWORD, "code": totp_code(secret), "next": change}
    )
    assert confirmed.status_code == 302 and confirmed["Location"] == change
    assert client.get(change).status_code == 200
    assert SecurityEvent.objects.filter(kind=EventKind.REAUTHENTICATED, user=boss).count() == 1
    # The group pages (the roles themselves) too.
    _stale(client)
    assert client.get("/admin/auth/group/add/")["Location"].startswith(reverse("staff:confirm"))


def test_the_guard_for_other_apps_views(client, desk_user):
    @require_recent_authentication(max_age=60)
    def export(request):
        return HttpResponse("exported")

    request = RequestFactory().get("/desk/patrons/1/export")
    request.user = desk_user
    from django.contrib.sessions.backends.db import SessionStore

    request.session = SessionStore()
    assert export(request).status_code == 302  # not signed in with a second factor at all
    sessions.mark_verified(request, desk_user, method="totp")
    assert export(request).content == b"exported" and recently_authenticated(request, 60)
    request.session[sessions.AUTHENTICATED_AT] = time.time() - 61
    refused = export(request)
    assert refused["Location"] == reverse("staff:confirm") + "?next=%2Fdesk%2Fpatrons%2F1%2Fexport"
    request.htmx = True  # type: ignore[attr-defined]
    request.META["HTTP_HX_CURRENT_URL"] = "http://testserver/desk/patrons/1"
    assert export(request)["HX-Redirect"] == reverse("staff:confirm") + "?next=%2Fdesk%2Fpatrons%2F1"


def test_wrong_confirmations_count_towards_the_lockout(client, desk_user):
    secret = enrol(desk_user)
    sign_in(client, desk_user)
    for _ in range(4):
        assert client.post(reverse("staff:confirm"), {"password": "x", "code": "1"}).status_code == 400
    locked = client.post(reverse("staff:confirm"), {"password": "x", "code": totp_code(secret)})
    assert locked["Location"] == reverse("staff:login")
    assert client.get("/desk/checkout").status_code == 302


# -- roles and branches -------------------------------------------------------------------------


def _staff_at(username, role, *codes):
    user = make_staff(username, role)
    services.set_branches(user=user, branches=list(Branch.objects.filter(code__in=codes)), actor=None)
    return user


def test_a_manager_gives_roles_to_the_staff_of_their_own_branches_only(client):
    manager = _staff_at("kanchou", "manager", "central")
    ours = _staff_at("ours", "desk", "central")
    theirs = _staff_at("theirs", "desk", "kita")
    sign_in(client, manager)
    page = client.get(reverse("staff:roles")).content.decode()
    rows = re.findall(r'<th scope="row">(\w+)</th>', page)
    assert rows == ["ours"]
    client.post(reverse("staff:set_roles", args=[ours.pk]), {"roles": ["desk", "cataloguer"]})
    assert sorted(ours.groups.values_list("name", flat=True)) == ["cataloguer", "desk"]
    client.post(reverse("staff:set_roles", args=[theirs.pk]), {"roles": ["manager"]})
    assert list(theirs.groups.values_list("name", flat=True)) == ["desk"]
    event = SecurityEvent.objects.get(kind=EventKind.ROLES_CHANGED)
    assert event.actor == manager and event.user == ours and event.detail == "desk → cataloguer,desk"
    # After a while the change needs the password and code again.
    _stale(client)
    response = client.post(reverse("staff:set_roles", args=[ours.pk]), {"roles": []})
    assert response["Location"].startswith(reverse("staff:confirm"))
    assert ours.groups.count() == 2


def test_desk_staff_cannot_use_the_roles_page(client, desk_user):
    sign_in(client, desk_user)
    assert client.get(reverse("staff:roles")).status_code == 302
    assert (
        client.post(reverse("staff:set_roles", args=[desk_user.pk]), {"roles": ["manager"]}).status_code
        == 302
    )
    assert list(desk_user.groups.values_list("name", flat=True)) == ["desk"]


def test_staff_of_one_branch_work_only_for_that_branch_at_the_desk(client):
    from toshokan.catalog.tests import factories
    from toshokan.circulation.models import Loan
    from toshokan.patrons.tests import factories as patron_factories

    clerk = _staff_at("kita1", "desk", "kita")
    sign_in(client, clerk)
    refused = client.post(reverse("desk:branch"), {"branch": "central"})
    assert refused.status_code == 403
    assert client.post(reverse("desk:branch"), {"branch": "kita"}).status_code == 302
    # A session that says central (chosen before the branches were set) works at kita.
    session = client.session
    session["desk_branch"] = "central"
    session.save()
    copy = factories.holding(factories.record("こころ"), branch_code="kita")
    patron = patron_factories.patron("山田")
    client.post(
        reverse("desk:checkout"), {"patron": patron.card_number, "loans": "", "barcode": copy.barcode}
    )
    assert Loan.objects.get().branch.code == "kita"
    assert SecurityEvent.objects.filter(kind=EventKind.REFUSED, user=clerk).exists()


# -- machine accounts ---------------------------------------------------------------------------


def test_only_self_check_devices_log_in_over_sip2_and_never_on_pages(client):
    person = make_staff("desk9", "desk")
    device = make_staff("kiosk9", "desk")
    StaffProfile.objects.create(user=device, kind=AccountKind.SELFCHECK)
    assert authenticate(None, username="kiosk9", password=PASSWORD, channel="sip2") == device
    assert authenticate(None, username="desk9", password=PASSWORD, channel="sip2") is None
    page = client.post("/desk/login", {"username": "kiosk9", "password": PASSWORD})
    assert page.status_code == 200 and "ログインできませんでした" in page.content.decode()
    assert client.post("/desk/login", {"username": "desk9", "password": PASSWORD}).status_code == 302
    assert SecurityEvent.objects.filter(kind=EventKind.REFUSED).count() == 2
    assert person.pk


def test_sip2_logins_are_locked_out_like_any_other(db):
    device = make_staff("kiosk9", "desk")
    StaffProfile.objects.create(user=device, kind=AccountKind.SELFCHECK)
    for _ in range(5):
        assert authenticate(None, username="kiosk9", password="wrong", channel="sip2") is None
    assert authenticate(None, username="kiosk9", password=PASSWORD, channel="sip2") is None


def test_api_tokens_are_made_in_the_admin_only_after_a_fresh_confirmation(client):
    boss = make_staff("boss", "admin")
    service = make_staff("scanner", "desk")
    sign_in(client, boss)
    _stale(client)
    response = client.post("/admin/core/apitoken/add/", {"user": service.pk, "name": "kiosk"})
    assert response["Location"].startswith(reverse("staff:confirm"))
    assert not ApiToken.objects.exists()
