"""The desk in the JSON API: checkout, return, renewal, a patron's account (audited), holds and
the desk's lists, with the permissions each needs."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from toshokan.catalog.domain.enums import HoldingStatus
from toshokan.catalog.models import Holding
from toshokan.circulation import services
from toshokan.circulation.models import Hold, Loan, ReadingHistory
from toshokan.circulation.tests import factories
from toshokan.patrons import services as patron_services
from toshokan.patrons.domain.enums import BlockReason
from toshokan.patrons.models import StaffAccess
from toshokan.patrons.tests import factories as patron_factories
from toshokan.patrons.tests.api_clients import CATALOGUER, MANAGER, patron_client, post, staff_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk():
    factories.branch("central")
    factories.branch("kita")
    return staff_client("desk")


def checkout(client, item, p, branch="central", **headers):
    return post(
        client,
        "/api/v1/loans",
        {"barcode": item.barcode, "card_number": p.card_number, "branch": branch},
        **headers,
    )


# -- permissions --------------------------------------------------------------------------------


def test_checkout_needs_a_desk_account(client):
    p = patron_factories.patron()
    item = factories.copy()
    assert checkout(client, item, p).status_code == 401
    assert checkout(staff_client("cat", CATALOGUER), item, p).json()["error"] == "permission_denied"
    assert checkout(staff_client("cat2", CATALOGUER), item, p).status_code == 403
    assert checkout(patron_client(p), item, p).status_code == 403
    assert not Loan.objects.exists()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/api/v1/returns"),
        ("post", "/api/v1/loans/1000/renewal"),
        ("post", "/api/v1/loans/1000/lost"),
        ("get", "/api/v1/patrons/290000000018"),
        ("get", "/api/v1/patrons/290000000018/loans"),
        ("get", "/api/v1/patrons/290000000018/holds"),
        ("get", "/api/v1/patrons/290000000018/history"),
        ("post", "/api/v1/holds"),
        ("delete", "/api/v1/holds/1"),
        ("post", "/api/v1/holds/1/suspend"),
        ("post", "/api/v1/holds/1/resume"),
        ("post", "/api/v1/holds/expire"),
        ("get", "/api/v1/branches/central/pull-list"),
        ("get", "/api/v1/branches/central/hold-shelf"),
        ("get", "/api/v1/branches/central/transits"),
    ],
)
def test_every_desk_endpoint_refuses_anonymous_callers_patrons_and_cataloguers(client, method, path):
    factories.branch("central")
    p = patron_factories.patron()
    assert getattr(client, method)(path, content_type="application/json").status_code == 401
    assert getattr(patron_client(p), method)(path, content_type="application/json").status_code == 403
    cataloguer = staff_client("cat", CATALOGUER)
    assert getattr(cataloguer, method)(path, content_type="application/json").status_code == 403
    assert not StaffAccess.objects.exists()


# -- lending ------------------------------------------------------------------------------------


def test_a_checkout_answers_the_loan_with_its_due_date(desk):
    p = patron_factories.patron()
    item = factories.copy()
    response = checkout(desk, item, p)
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["barcode"] == item.barcode
    assert data["patron"] == {"card_number": p.card_number, "name": "山田 花子"}
    assert data["due_on"] == str(timezone.localdate() + timedelta(days=14))
    assert data["overdue"] is False and data["renewals"] == 0 and data["state"] == "active"
    assert Holding.objects.get(pk=item.pk).status == HoldingStatus.ON_LOAN


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("unknown_copy", 404, "item_not_found"),
        ("unknown_card", 404, "patron_not_found"),
        ("unknown_branch", 404, "branch_not_found"),
        ("on_loan", 409, "on_loan"),
        ("blocked", 409, "patron_blocked"),
        ("missing_field", 422, "invalid_request"),
    ],
)
def test_a_refused_checkout_says_why_with_a_stable_code(desk, case, status, code):
    p = patron_factories.patron()
    item = factories.copy()
    body = {"barcode": item.barcode, "card_number": p.card_number, "branch": "central"}
    if case == "unknown_copy":
        body["barcode"] = "999"
    elif case == "unknown_card":
        body["card_number"] = "290000000018"
    elif case == "unknown_branch":
        body["branch"] = "atlantis"
    elif case == "on_loan":
        services.checkout(barcode=item.barcode, patron=patron_factories.patron("他人"), branch=item.branch)
    elif case == "blocked":
        patron_services.add_block(patron=p, reason=BlockReason.CONDUCT)
    else:
        del body["branch"]
    response = post(desk, "/api/v1/loans", body)
    assert response.status_code == status, response.content
    assert response.json()["error"] == code
    assert isinstance(response.json()["detail"], str | list)
    assert Loan.objects.filter(patron=p).count() == 0


def test_a_return_at_home_goes_to_the_shelf_and_elsewhere_in_transit(desk):
    p = patron_factories.patron()
    item = factories.copy()
    other = factories.copy(branch_code="central")
    checkout(desk, item, p)
    checkout(desk, other, p)
    home = post(desk, "/api/v1/returns", {"barcode": item.barcode, "branch": "central"}).json()
    assert home["route"] == "shelf" and home["was_on_loan"] is True and home["hold"] is None
    away = post(desk, "/api/v1/returns", {"barcode": other.barcode, "branch": "kita"}).json()
    assert away["route"] == "transit" and away["to_branch"] == "central"
    transits = desk.get("/api/v1/branches/central/transits?direction=incoming").json()
    assert [(t["barcode"], t["from_branch"], t["reason"]) for t in transits] == [
        (other.barcode, "kita", "home")
    ]
    assert desk.get("/api/v1/branches/kita/transits?direction=outgoing").json()[0]["to_branch"] == "central"
    assert not Loan.objects.exists()


def test_a_return_that_fills_a_hold_answers_the_hold_slip(desk):
    borrower = patron_factories.patron("借りた人")
    waiting = patron_factories.patron("待つ人")
    item = factories.copy()
    checkout(desk, item, borrower)
    hold = services.place_hold(patron=waiting, record=item.record, pickup_branch=item.branch)
    data = post(desk, "/api/v1/returns", {"barcode": item.barcode, "branch": "central"}).json()
    assert data["route"] == "hold_shelf"
    assert data["hold"]["id"] == hold.pk
    assert data["hold"]["patron"]["card_number"] == waiting.card_number
    assert borrower.card_number not in str(data)
    shelf = desk.get("/api/v1/branches/central/hold-shelf").json()
    assert [(s["barcode"], s["patron"]["card_number"]) for s in shelf] == [
        (item.barcode, waiting.card_number)
    ]
    assert StaffAccess.objects.filter(patron=waiting, kind="holds", via="api").count() == 1


def test_an_unknown_copy_cannot_be_returned(desk):
    response = post(desk, "/api/v1/returns", {"barcode": "nope", "branch": "central"})
    assert response.status_code == 404 and response.json()["error"] == "item_not_found"


def test_renewal_at_the_desk_and_its_refusal_while_a_hold_waits(desk):
    p = patron_factories.patron()
    item = factories.copy()
    checkout(desk, item, p)
    Loan.objects.update(due_on=timezone.localdate() + timedelta(days=3))
    renewed = post(desk, f"/api/v1/loans/{item.barcode}/renewal")
    assert renewed.status_code == 200, renewed.content
    assert renewed.json()["renewals"] == 1
    assert renewed.json()["due_on"] == str(timezone.localdate() + timedelta(days=14))
    Loan.objects.update(renewals=0, due_on=timezone.localdate() + timedelta(days=3))
    services.place_hold(
        patron=patron_factories.patron("次の人"), record=item.record, pickup_branch=item.branch
    )
    refused = post(desk, f"/api/v1/loans/{item.barcode}/renewal")
    assert refused.status_code == 409 and refused.json()["error"] == "holds_waiting"
    assert post(desk, "/api/v1/loans/0000/renewal").status_code == 404


def test_a_copy_reported_lost_stays_on_the_patrons_account_until_it_comes_back(desk):
    p = patron_factories.patron()
    item = factories.copy()
    checkout(desk, item, p)
    lost = post(desk, f"/api/v1/loans/{item.barcode}/lost")
    assert lost.status_code == 200 and lost.json()["state"] == "lost"
    assert Holding.objects.get(pk=item.pk).status == HoldingStatus.MISSING
    again = post(desk, f"/api/v1/loans/{item.barcode}/lost")
    assert again.status_code == 409 and again.json()["error"] == "loan_cannot_declare_lost"
    found = post(desk, "/api/v1/returns", {"barcode": item.barcode, "branch": "central"}).json()
    assert found["was_on_loan"] is True
    assert not Loan.objects.exists()


# -- a patron's account, as staff see it ----------------------------------------------------------


def test_every_staff_read_of_a_patrons_account_is_audited(desk):
    p = patron_factories.patron(reading_history=True)
    item = factories.copy()
    held = factories.copy()
    checkout(desk, item, p)
    services.place_hold(patron=p, record=held.record, pickup_branch=held.branch)
    detail = desk.get(f"/api/v1/patrons/{p.card_number}").json()
    assert detail["loan_count"] == 1 and detail["hold_count"] == 1 and detail["problems"] == []
    loans = desk.get(f"/api/v1/patrons/{p.card_number}/loans").json()
    assert [loan["barcode"] for loan in loans] == [item.barcode]
    holds = desk.get(f"/api/v1/patrons/{p.card_number}/holds").json()
    assert holds[0]["record"]["id"] == held.record_id
    history = desk.get(f"/api/v1/patrons/{p.card_number}/history").json()
    assert history == {"enabled": True, "total": 0, "entries": []}
    kinds = list(
        StaffAccess.objects.filter(patron=p, actor=desk.user, via="api").values_list("kind", flat=True)
    )
    assert sorted(kinds) == ["history", "holds", "loans", "profile"]


def test_an_unknown_patron_is_404_and_audits_nothing(desk):
    response = desk.get("/api/v1/patrons/290000000018/loans")
    assert response.status_code == 404 and response.json()["error"] == "patron_not_found"
    assert not StaffAccess.objects.exists()


def test_a_patron_who_did_not_opt_in_shows_no_history_to_staff(desk):
    p = patron_factories.patron()
    ReadingHistory.objects.create(
        patron=p,
        record=factories.copy().record,
        borrowed_on=timezone.localdate(),
        returned_on=timezone.localdate(),
    )  # a leftover row must not be shown either
    assert desk.get(f"/api/v1/patrons/{p.card_number}/history").json() == {
        "enabled": False,
        "total": 0,
        "entries": [],
    }


def test_the_patron_detail_says_why_they_may_not_borrow(desk):
    p = patron_factories.patron()
    patron_services.add_block(patron=p, reason=BlockReason.LOST_CARD)
    detail = desk.get(f"/api/v1/patrons/{p.card_number}").json()
    assert [x["code"] for x in detail["problems"]] == ["patron_blocked"]
    assert detail["blocks"][0]["reason"] == "lost_card"


# -- holds --------------------------------------------------------------------------------------


def test_the_desk_places_suspends_resumes_and_cancels_a_hold(desk):
    p = patron_factories.patron()
    item = factories.copy()
    placed = post(
        desk,
        "/api/v1/holds",
        {"card_number": p.card_number, "record_id": item.record_id, "pickup_branch": "kita"},
    )
    assert placed.status_code == 201, placed.content
    hold = placed.json()
    assert hold["patron"]["card_number"] == p.card_number and hold["state"] == "waiting"
    assert hold["estimate"]["position"] == 1
    suspended = post(desk, f"/api/v1/holds/{hold['id']}/suspend")
    assert suspended.json()["state"] == "suspended"
    again = post(desk, f"/api/v1/holds/{hold['id']}/suspend")
    assert again.status_code == 409 and again.json()["error"] == "hold_cannot_suspend"
    assert post(desk, f"/api/v1/holds/{hold['id']}/resume").json()["state"] == "waiting"
    assert desk.delete(f"/api/v1/holds/{hold['id']}").status_code == 204
    assert not Hold.objects.exists()
    assert desk.delete(f"/api/v1/holds/{hold['id']}").status_code == 404


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"record_id": 999999}, 404, "record_not_found"),
        ({"pickup_branch": "atlantis"}, 404, "branch_not_found"),
        ({"holding": "nope"}, 404, "item_not_found"),
        ({"record_id": "x"}, 422, "invalid_request"),
    ],
)
def test_a_hold_with_bad_input_is_refused(desk, change, status, code):
    p = patron_factories.patron()
    item = factories.copy()
    body = {"card_number": p.card_number, "record_id": item.record_id, "pickup_branch": "central", **change}
    response = post(desk, "/api/v1/holds", body)
    assert response.status_code == status and response.json()["error"] == code
    assert not Hold.objects.exists()


def test_a_second_hold_on_a_record_is_a_conflict(desk):
    p = patron_factories.patron()
    item = factories.copy()
    body = {"card_number": p.card_number, "record_id": item.record_id, "pickup_branch": "central"}
    assert post(desk, "/api/v1/holds", body).status_code == 201
    second = post(desk, "/api/v1/holds", body)
    assert second.status_code == 409 and second.json()["error"] == "already_held"


def test_the_pull_list_names_copies_to_fetch_without_naming_patrons(desk):
    p = patron_factories.patron()
    item = factories.copy()
    services.place_hold(patron=p, record=item.record, pickup_branch=item.branch)
    pull = desk.get("/api/v1/branches/central/pull-list").json()
    assert [(x["barcode"], x["pickup_branch"]) for x in pull] == [(item.barcode, "central")]
    assert p.card_number not in str(pull)
    assert desk.get("/api/v1/branches/atlantis/pull-list").status_code == 404


def test_expiring_holds_is_for_managers(desk):
    p = patron_factories.patron()
    item = factories.copy()
    hold = services.place_hold(patron=p, record=item.record, pickup_branch=item.branch)
    services.checkin(barcode=item.barcode, branch=item.branch)  # traps it on the hold shelf
    Hold.objects.filter(pk=hold.pk).update(pickup_by=timezone.localdate() - timedelta(days=1))
    assert post(desk, "/api/v1/holds/expire").status_code == 403
    manager = staff_client("manager", MANAGER)
    assert post(manager, "/api/v1/holds/expire").json() == {"expired": 1}
    assert not Hold.objects.exists()
