"""Patrons in the JSON API: who may call what, registration and the desk's patron work, and the
patron's own login session with its CSRF token and throttle."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from toshokan.catalog.tests import factories as catalog_factories
from toshokan.patrons.domain.cards import is_valid_card_number
from toshokan.patrons.models import Patron, PatronBlock, StaffAccess
from toshokan.patrons.tests import factories
from toshokan.patrons.tests.api_clients import (
    CATALOGUER,
    MANAGER,
    patron_client,
    post,
    staff_client,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk():
    catalog_factories.branch("central")
    return staff_client("desk")


# -- who may call -------------------------------------------------------------------------------


def test_an_anonymous_caller_is_told_401_with_a_code(client):
    response = client.get("/api/v1/patrons?q=山田")
    assert response.status_code == 401
    assert response.json()["error"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert client.post("/api/v1/patrons", {}, content_type="application/json").status_code == 401


def test_an_unknown_or_revoked_token_is_401(desk):
    from toshokan.core.models import ApiToken
    from toshokan.core.tokens import revoke_api_token

    assert Client(HTTP_AUTHORIZATION="Bearer tsk_nope").get("/api/v1/patrons?q=x").status_code == 401
    assert desk.get("/api/v1/patrons?q=x").status_code == 200
    revoke_api_token(token=ApiToken.objects.get(user=desk.user))
    assert desk.get("/api/v1/patrons?q=x").status_code == 401


def test_a_cataloguer_may_not_use_the_desk():
    cataloguer = staff_client("cataloguer", CATALOGUER)
    response = cataloguer.get("/api/v1/patrons?q=山田")
    assert response.status_code == 403
    assert response.json()["error"] == "permission_denied"


def test_a_patron_at_a_staff_endpoint_is_403():
    me = patron_client(factories.patron())
    response = me.get("/api/v1/patrons?q=山田")
    assert response.status_code == 403
    assert response.json()["error"] == "staff_only"


def test_a_staff_token_at_a_patrons_own_endpoint_is_403(desk):
    response = desk.put(
        "/api/v1/me/pin", {"current_pin": "1", "new_pin": "2"}, content_type="application/json"
    )
    assert response.status_code == 403
    assert response.json()["error"] == "patron_only"


def test_a_staff_member_signed_in_to_the_admin_may_call_with_the_csrf_token():
    catalog_factories.branch("central")
    from toshokan.patrons.tests.api_clients import DESK, staff_user
    from toshokan.staff.testing import sign_in

    user = staff_user("admin-session", DESK)
    browser = Client(enforce_csrf_checks=True)
    sign_in(browser, user)
    assert browser.get("/api/v1/patrons?q=x").status_code == 200
    body = {"family_name": "佐藤", "home_branch": "central", "notice_channel": "account"}
    refused = browser.post("/api/v1/patrons", body, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["error"] == "csrf_failed"
    browser.get("/admin/")  # a page with a form sets the csrftoken cookie
    token = browser.cookies["csrftoken"].value
    accepted = browser.post(
        "/api/v1/patrons", body, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert accepted.status_code == 201


# -- the desk -----------------------------------------------------------------------------------


def test_the_desk_registers_a_patron_with_a_valid_card_number(desk):
    response = post(
        desk,
        "/api/v1/patrons",
        {
            "family_name": "佐藤",
            "given_name": "一郎",
            "name_reading": "さとう いちろう",
            "home_branch": "central",
            "email": "ichiro@example.jp",
            "pin": "2468",
        },
    )
    assert response.status_code == 201, response.content
    data = response.json()
    assert is_valid_card_number(data["card_number"])
    assert data["home_branch"] == "central" and data["has_pin"] is True and data["blocks"] == []
    assert data["reading_history"] is False  # off unless the patron chooses it
    assert Patron.objects.get(card_number=data["card_number"]).family_name == "佐藤"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"home_branch": "central"}, 422, "invalid_request"),
        ({"family_name": "佐藤", "home_branch": "nowhere"}, 404, "branch_not_found"),
        ({"family_name": "佐藤", "home_branch": "central", "pin": "12"}, 422, "invalid_pin"),
        ({"family_name": "佐藤", "home_branch": "central", "notice_channel": "email"}, 422, "email_required"),
        (
            {"family_name": "佐藤", "home_branch": "central", "card_number": "290000000010"},
            422,
            "invalid_card_number",
        ),
    ],
)
def test_a_registration_with_bad_input_is_refused_with_a_code(desk, body, status, code):
    response = post(desk, "/api/v1/patrons", body)
    assert response.status_code == status, response.content
    assert response.json()["error"] == code
    assert not Patron.objects.exists()


def test_a_card_number_in_use_is_a_conflict(desk):
    existing = factories.patron()
    response = post(
        desk,
        "/api/v1/patrons",
        {"family_name": "佐藤", "home_branch": "central", "card_number": existing.card_number},
    )
    assert response.status_code == 409
    assert response.json()["error"] == "card_in_use"


def test_patrons_are_found_by_card_number_or_name(desk):
    yamada = factories.patron("山田")
    factories.patron("田中")
    by_card = desk.get(f"/api/v1/patrons?q={yamada.card_number}").json()
    assert [p["card_number"] for p in by_card] == [yamada.card_number]
    assert [p["name"] for p in desk.get("/api/v1/patrons?q=山").json()] == ["山田 花子"]


def test_preferences_change_only_what_is_sent_and_the_read_is_audited(desk):
    p = factories.patron(email="old@example.jp")
    response = desk.patch(
        f"/api/v1/patrons/{p.card_number}/preferences",
        {"phone": "03-1234-5678"},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["phone"] == "03-1234-5678"
    assert response.json()["email"] == "old@example.jp"
    assert StaffAccess.objects.filter(patron=p, via="api", kind="profile", actor=desk.user).count() == 1
    refused = desk.patch(
        f"/api/v1/patrons/{p.card_number}/preferences", {"email": ""}, content_type="application/json"
    )
    assert refused.status_code == 422 and refused.json()["error"] == "email_required"


def test_an_unknown_card_is_404(desk):
    response = desk.patch("/api/v1/patrons/290000000018/preferences", {}, content_type="application/json")
    assert response.status_code == 404
    assert response.json()["error"] == "patron_not_found"


def test_blocks_are_for_managers_and_a_lifted_block_is_kept():
    catalog_factories.branch("central")
    p = factories.patron()
    desk = staff_client("desk")
    assert post(desk, f"/api/v1/patrons/{p.card_number}/blocks", {"reason": "lost_card"}).status_code == 403
    manager = staff_client("manager", MANAGER)
    added = post(
        manager, f"/api/v1/patrons/{p.card_number}/blocks", {"reason": "lost_card", "note": "電話で届出"}
    )
    assert added.status_code == 201
    assert added.json()["reason_label"] == "カード紛失"
    bad = post(manager, f"/api/v1/patrons/{p.card_number}/blocks", {"reason": "too_loud"})
    assert bad.status_code == 422
    lifted = post(manager, f"/api/v1/patrons/{p.card_number}/blocks/{added.json()['id']}/lift")
    assert lifted.status_code == 200 and lifted.json()["lifted_at"] is not None
    assert PatronBlock.objects.get().lifted_by == manager.user
    assert post(manager, f"/api/v1/patrons/{p.card_number}/blocks/999999/lift").status_code == 404


def test_registration_is_renewed_only_near_its_expiry(desk):
    p = factories.patron()
    early = post(desk, f"/api/v1/patrons/{p.card_number}/registration-renewal")
    assert early.status_code == 409 and early.json()["error"] == "renewal_too_early"
    Patron.objects.filter(pk=p.pk).update(expires_on=timezone.localdate() + timedelta(days=10))
    renewed = post(desk, f"/api/v1/patrons/{p.card_number}/registration-renewal")
    assert renewed.status_code == 200
    assert renewed.json()["expires_on"] > str(timezone.localdate() + timedelta(days=10))


def test_a_pin_reset_at_the_desk_ends_the_patrons_sessions(desk):
    p = factories.patron()
    me = patron_client(p)
    assert me.get("/api/v1/me").status_code == 200
    assert (
        desk.put(
            f"/api/v1/patrons/{p.card_number}/pin", {"pin": "1357"}, content_type="application/json"
        ).status_code
        == 204
    )
    assert me.get("/api/v1/me").status_code == 401
    assert patron_client(p, pin="1357").get("/api/v1/me").status_code == 200
    weak = desk.put(f"/api/v1/patrons/{p.card_number}/pin", {"pin": "1111"}, content_type="application/json")
    assert weak.status_code == 422 and weak.json()["error"] == "invalid_pin"


# -- the patron's session -----------------------------------------------------------------------


def test_a_patron_logs_in_gets_a_csrf_token_and_logs_out():
    catalog_factories.branch("central")
    p = factories.patron()
    me = patron_client(p)
    assert me.csrf_token and me.cookies["sessionid"].value
    data = me.get("/api/v1/me").json()
    assert data["card_number"] == p.card_number and data["problems"] == []
    session = me.get("/api/v1/patron/session").json()
    assert session["card_number"] == p.card_number and session["csrf_token"]
    assert me.delete("/api/v1/patron/session").status_code == 204
    assert me.get("/api/v1/me").status_code == 401
    assert me.get("/api/v1/patron/session").status_code == 401


def test_logging_out_needs_the_csrf_token():
    p = factories.patron()
    me = patron_client(p)
    token, me.csrf_token = me.csrf_token, ""
    refused = me.delete("/api/v1/patron/session")
    assert refused.status_code == 403 and refused.json()["error"] == "csrf_failed"
    assert me.get("/api/v1/me").status_code == 200
    me.csrf_token = token
    assert me.delete("/api/v1/patron/session").status_code == 204


def test_a_wrong_pin_is_401_and_repeated_failures_are_throttled():
    p = factories.patron()
    client = Client()
    body = {"card_number": p.card_number, "pin": "9999"}
    statuses = [
        client.post("/api/v1/patron/session", body, content_type="application/json").status_code
        for _ in range(6)
    ]
    assert statuses[:5] == [401] * 5
    assert statuses[5] == 429
    locked = client.post("/api/v1/patron/session", {**body, "pin": "4321"}, content_type="application/json")
    assert locked.status_code == 429, "the right PIN does not get through a lock"
    assert locked.json()["error"] == "login_throttled"
    assert int(locked["Retry-After"]) > 0


def test_a_login_must_be_sent_as_json():
    """A cross-site <form enctype="text/plain"> can post JSON-looking text without the browser
    asking first; requiring application/json keeps login CSRF out without a token."""
    p = factories.patron()
    body = f'{{"card_number": "{p.card_number}", "pin": "4321"}}'
    response = Client().post("/api/v1/patron/session", body, content_type="text/plain")
    assert response.status_code == 415
    assert response.json()["error"] == "json_required"
    assert "sessionid" not in response.cookies
    form = Client().post("/api/v1/patron/session", {"card_number": p.card_number, "pin": "4321"})
    assert (
        form.status_code == 415 and form.json()["error"] == "json_required"
    )  # core.security.JsonApiMiddleware


def test_a_patrons_unsafe_request_without_the_csrf_token_is_refused():
    p = factories.patron(email="a@example.jp")
    me = patron_client(p)
    me.csrf_token = ""
    response = me.patch("/api/v1/me/preferences", {"phone": "1"}, content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"] == "csrf_failed"
    assert Patron.objects.get(pk=p.pk).phone == ""


def test_a_patron_changes_their_own_preferences_and_pin():
    p = factories.patron(email="a@example.jp")
    me = patron_client(p)
    response = me.patch(
        "/api/v1/me/preferences", {"due_soon_reminder": False}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["due_soon_reminder"] is False
    wrong = me.put(
        "/api/v1/me/pin", {"current_pin": "0000", "new_pin": "8642"}, content_type="application/json"
    )
    assert wrong.status_code == 401
    ok = me.put("/api/v1/me/pin", {"current_pin": "4321", "new_pin": "8642"}, content_type="application/json")
    assert ok.status_code == 204
    assert me.get("/api/v1/me").status_code == 200, "this session stays after one's own PIN change"
    assert patron_client(p, pin="8642").get("/api/v1/me").status_code == 200
