"""The patron's own account in the JSON API: loans and renewal, holds with position and estimate,
reading history by choice — and never another patron's loan or hold (404, as if it did not exist)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from toshokan.circulation import services
from toshokan.circulation.models import Hold, Loan, ReadingHistory
from toshokan.circulation.tests import factories
from toshokan.patrons.tests import factories as patron_factories
from toshokan.patrons.tests.api_clients import patron_client, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def lent():
    """A patron with one loan due in three days, logged in."""
    factories.branch("central")
    factories.branch("kita")
    p = patron_factories.patron()
    item = factories.copy()
    loan = services.checkout(barcode=item.barcode, patron=p, branch=item.branch)
    Loan.objects.filter(pk=loan.pk).update(due_on=timezone.localdate() + timedelta(days=3))
    return p, item, patron_client(p)


def test_anonymous_callers_of_the_account_are_401(client):
    for path in ["/api/v1/me", "/api/v1/me/loans", "/api/v1/me/holds", "/api/v1/me/reading-history"]:
        response = client.get(path)
        assert response.status_code == 401 and response.json()["error"] == "not_authenticated"


def test_my_loans_and_their_renewal(lent):
    _p, item, me = lent
    loans = me.get("/api/v1/me/loans").json()
    assert [(x["barcode"], x["renewals"]) for x in loans] == [(item.barcode, 0)]
    assert "patron" not in loans[0]
    renewed = post(me, f"/api/v1/me/loans/{loans[0]['id']}/renewal")
    assert renewed.status_code == 200, renewed.content
    assert renewed.json()["due_on"] == str(timezone.localdate() + timedelta(days=14))
    again = post(me, f"/api/v1/me/loans/{loans[0]['id']}/renewal")
    assert again.status_code == 409 and again.json()["error"] in {"renewal_limit", "renewal_not_needed"}
    assert me.get("/api/v1/me").json()["loan_count"] == 1


def test_another_patrons_loan_and_holds_are_not_found(lent):
    _p, item, me = lent
    other = patron_factories.patron("他人")
    theirs = services.checkout(barcode=factories.copy().barcode, patron=other, branch=item.branch)
    their_hold = services.place_hold(patron=other, record=factories.copy().record, pickup_branch=item.branch)
    assert post(me, f"/api/v1/me/loans/{theirs.pk}/renewal").status_code == 404
    for response in [
        me.delete(f"/api/v1/me/holds/{their_hold.pk}"),
        post(me, f"/api/v1/me/holds/{their_hold.pk}/suspend"),
        post(me, f"/api/v1/me/holds/{their_hold.pk}/resume"),
    ]:
        assert response.status_code == 404
        assert response.json()["error"] == "hold_not_found"
    assert Hold.objects.get(pk=their_hold.pk).state == "waiting"
    assert Loan.objects.get(pk=theirs.pk).renewals == 0
    assert [x["barcode"] for x in me.get("/api/v1/me/loans").json()] == [item.barcode]
    assert me.get("/api/v1/me/holds").json() == []


def test_a_patron_places_a_hold_and_sees_their_place_and_wait(lent):
    _p, item, me = lent
    first = patron_factories.patron("先の人")
    services.place_hold(patron=first, record=item.record, pickup_branch=item.branch)  # ahead of me
    # item is lent to me, so I reserve another record with one copy lent out
    other_copy = factories.copy()
    services.checkout(barcode=other_copy.barcode, patron=first, branch=other_copy.branch)
    Loan.objects.filter(holding=other_copy).update(due_on=timezone.localdate() + timedelta(days=5))
    services.place_hold(
        patron=patron_factories.patron("二番目"), record=other_copy.record, pickup_branch=item.branch
    )
    placed = post(me, "/api/v1/me/holds", {"record_id": other_copy.record_id, "pickup_branch": "kita"})
    assert placed.status_code == 201, placed.content
    hold = placed.json()
    assert hold["state"] == "waiting" and hold["pickup_branch"] == "kita"
    assert hold["estimate"]["position"] == 2 and hold["estimate"]["copies"] == 1
    assert hold["estimate"]["days"] > 5
    listed = me.get("/api/v1/me/holds").json()
    assert [h["id"] for h in listed] == [hold["id"]]
    assert post(me, f"/api/v1/me/holds/{hold['id']}/suspend").json()["state"] == "suspended"
    assert post(me, f"/api/v1/me/holds/{hold['id']}/resume").json()["estimate"]["position"] == 2
    assert me.delete(f"/api/v1/me/holds/{hold['id']}").status_code == 204
    assert me.get("/api/v1/me/holds").json() == []


def test_a_hold_on_one_copy_and_refusals(lent):
    _p, item, me = lent
    other = factories.copy()
    one_copy = post(
        me,
        "/api/v1/me/holds",
        {"record_id": other.record_id, "pickup_branch": "central", "holding": other.barcode},
    )
    assert one_copy.status_code == 201 and one_copy.json()["copy_barcode"] == other.barcode
    borrowed = post(me, "/api/v1/me/holds", {"record_id": item.record_id, "pickup_branch": "central"})
    assert borrowed.status_code == 409 and borrowed.json()["error"] == "already_borrowed"
    wrong = post(
        me,
        "/api/v1/me/holds",
        {"record_id": factories.copy().record_id, "pickup_branch": "central", "holding": other.barcode},
    )
    assert wrong.status_code == 409 and wrong.json()["error"] == "wrong_copy"


def test_reading_history_is_kept_only_by_choice_and_forgotten_on_request(lent):
    p, item, me = lent
    assert me.get("/api/v1/me/reading-history").json() == {"enabled": False, "total": 0, "entries": []}
    services.checkin(barcode=item.barcode, branch=item.branch)
    assert not ReadingHistory.objects.exists()
    chose = me.put("/api/v1/me/reading-history", {"enabled": True}, content_type="application/json")
    assert chose.status_code == 200 and chose.json()["enabled"] is True
    for _ in range(2):
        services.checkout(barcode=item.barcode, patron=p, branch=item.branch)
        services.checkin(barcode=item.barcode, branch=item.branch)
    entries = me.get("/api/v1/me/reading-history").json()["entries"]
    assert [e["record"]["id"] for e in entries] == [item.record_id, item.record_id]
    assert me.delete(f"/api/v1/me/reading-history/{entries[0]['id']}").status_code == 204
    assert me.delete(f"/api/v1/me/reading-history/{entries[0]['id']}").status_code == 404
    assert len(me.get("/api/v1/me/reading-history").json()["entries"]) == 1
    services.checkout(barcode=item.barcode, patron=p, branch=item.branch)
    services.checkin(barcode=item.barcode, branch=item.branch)
    page = me.get("/api/v1/me/reading-history?limit=1&offset=1").json()
    assert page["total"] == 2 and len(page["entries"]) == 1
    assert me.get("/api/v1/me/reading-history?limit=0").status_code == 422
    stopped = me.put("/api/v1/me/reading-history", {"enabled": False}, content_type="application/json")
    assert stopped.json() == {"enabled": False, "total": 0, "entries": []}
    assert not ReadingHistory.objects.exists()


def test_me_says_why_i_may_not_borrow(lent):
    p, _item, me = lent
    Loan.objects.update(due_on=timezone.localdate() - timedelta(days=1))
    data = me.get("/api/v1/me").json()
    assert [x["code"] for x in data["problems"]] == ["overdue"]
    assert data["card_number"] == p.card_number
