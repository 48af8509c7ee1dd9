"""Idempotency-Key on the POSTs that create loans, holds and returns: a retry gets the first answer
and writes nothing; another body under the same key is refused; keys are per caller; concurrent
requests with one key make one write (threads on a real database, SQLite file or PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from toshokan.circulation.models import CirculationEvent, Hold, IdempotentRequest, Loan, Transit
from toshokan.circulation.tests import factories
from toshokan.patrons import services as patron_services
from toshokan.patrons.domain.enums import BlockReason
from toshokan.patrons.tests import factories as patron_factories
from toshokan.patrons.tests.api_clients import patron_client, post, staff_client

KEY = "3f1c2a4e-8d2b-4c55-9a8e-0b6f1d7e9a01"


@pytest.fixture
def desk():
    factories.branch("central")
    factories.branch("kita")
    return staff_client("desk")


def lend(client, item, p, key=KEY, branch="central"):
    body = {"barcode": item.barcode, "card_number": p.card_number, "branch": branch}
    return post(client, "/api/v1/loans", body, **{"Idempotency-Key": key})


@pytest.mark.django_db
def test_a_retried_checkout_gets_the_first_answer_and_lends_once(desk):
    p = patron_factories.patron()
    item = factories.copy()
    first = lend(desk, item, p)
    retry = lend(desk, item, p)
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert Loan.objects.count() == 1
    assert CirculationEvent.objects.filter(kind="checkout").count() == 1
    # without the key the same request is a new one, and the copy is already lent
    plain = post(
        desk, "/api/v1/loans", {"barcode": item.barcode, "card_number": p.card_number, "branch": "central"}
    )
    assert plain.status_code == 409 and plain.json()["error"] == "already_borrowed"


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_refused(desk):
    p = patron_factories.patron()
    item, other = factories.copy(), factories.copy()
    assert lend(desk, item, p).status_code == 201
    reused = lend(desk, other, p)
    assert reused.status_code == 422
    assert reused.json()["error"] == "idempotency_key_reused"
    assert list(Loan.objects.values_list("holding_id", flat=True)) == [item.pk]
    # a key is not shared across endpoints either
    other_path = post(
        desk, "/api/v1/returns", {"barcode": item.barcode, "branch": "central"}, **{"Idempotency-Key": KEY}
    )
    assert other_path.status_code == 422
    assert Loan.objects.count() == 1


@pytest.mark.django_db
def test_keys_belong_to_one_caller(desk):
    p, q = patron_factories.patron(), patron_factories.patron("別人")
    item, other = factories.copy(), factories.copy()
    assert lend(desk, item, p).status_code == 201
    colleague = staff_client("desk2")
    assert lend(colleague, other, q).status_code == 201
    assert Loan.objects.count() == 2


@pytest.mark.django_db
def test_a_refusal_is_not_stored_so_a_retry_asks_again(desk):
    p = patron_factories.patron()
    item = factories.copy()
    block = patron_services.add_block(patron=p, reason=BlockReason.LOST_CARD)
    refused = lend(desk, item, p)
    assert refused.status_code == 409 and refused.json()["error"] == "patron_blocked"
    assert not IdempotentRequest.objects.exists()
    patron_services.lift_block(block=block)
    assert lend(desk, item, p).status_code == 201


@pytest.mark.django_db
def test_a_bad_key_is_400(desk):
    p = patron_factories.patron()
    item = factories.copy()
    response = lend(desk, item, p, key="x" * 300)
    assert response.status_code == 400 and response.json()["error"] == "invalid_idempotency_key"
    assert not Loan.objects.exists()


@pytest.mark.django_db
def test_the_stored_checkout_answer_goes_with_the_loan_at_return(desk):
    p = patron_factories.patron()
    item = factories.copy()
    lend(desk, item, p)
    assert IdempotentRequest.objects.get().loan_id == Loan.objects.get().pk
    post(desk, "/api/v1/returns", {"barcode": item.barcode, "branch": "central"})
    assert not IdempotentRequest.objects.exists(), "the answer named the patron and the copy"


@pytest.mark.django_db
def test_an_answer_older_than_a_day_is_forgotten(desk):
    p = patron_factories.patron()
    item, other = factories.copy(), factories.copy()
    lend(desk, item, p)
    IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert lend(desk, other, p, key="another").status_code == 201
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["another"]


@pytest.mark.django_db
def test_a_retried_return_routes_the_copy_once(desk):
    p = patron_factories.patron()
    item = factories.copy()
    lend(desk, item, p, key="lend-1")
    body = {"barcode": item.barcode, "branch": "kita"}
    first = post(desk, "/api/v1/returns", body, **{"Idempotency-Key": "return-1"})
    retry = post(desk, "/api/v1/returns", body, **{"Idempotency-Key": "return-1"})
    assert first.json() == retry.json() and first.json()["route"] == "transit"
    assert Transit.objects.count() == 1
    assert CirculationEvent.objects.filter(kind="return").count() == 1


@pytest.mark.django_db
def test_retried_holds_are_placed_once_for_staff_and_patrons(desk):
    p = patron_factories.patron()
    item, other = factories.copy(), factories.copy()
    body = {"card_number": p.card_number, "record_id": item.record_id, "pickup_branch": "central"}
    first = post(desk, "/api/v1/holds", body, **{"Idempotency-Key": "h1"})
    assert post(desk, "/api/v1/holds", body, **{"Idempotency-Key": "h1"}).json() == first.json()
    me = patron_client(p)
    mine = {"record_id": other.record_id, "pickup_branch": "kita"}
    a = post(me, "/api/v1/me/holds", mine, **{"Idempotency-Key": "h1"})
    b = post(me, "/api/v1/me/holds", mine, **{"Idempotency-Key": "h1"})
    assert a.status_code == b.status_code == 201 and a.json() == b.json()
    assert Hold.objects.filter(patron=p).count() == 2
    changed = post(me, "/api/v1/me/holds", {**mine, "pickup_branch": "central"}, **{"Idempotency-Key": "h1"})
    assert changed.status_code == 422
    # the stored answer goes with the hold when it ends
    me.delete(f"/api/v1/me/holds/{a.json()['id']}")
    assert IdempotentRequest.objects.filter(actor=f"patron:{p.pk}").count() == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_with_one_key_make_one_loan_and_one_answer():
    factories.branch("central")
    p = patron_factories.patron()
    item = factories.copy()
    desk = staff_client("desk")
    n = 8
    barrier = threading.Barrier(n)
    answers: list[tuple[int, object, str]] = [(0, None, "")] * n

    def run(i: int) -> None:
        try:
            barrier.wait()
            response = lend(desk, item, p)
            answers[i] = (response.status_code, response.json(), response.get("Idempotent-Replayed", ""))
        except Exception as e:  # reported below, so a database error fails visibly
            answers[i] = (-1, repr(e), "")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert {status for status, _, _ in answers} == {201}, answers
    assert len({str(body) for _, body, _ in answers}) == 1
    assert sorted(replayed for _, _, replayed in answers) == [""] + ["true"] * (n - 1)
    assert Loan.objects.count() == 1
    assert CirculationEvent.objects.filter(kind="checkout").count() == 1
    assert IdempotentRequest.objects.count() == 1


@pytest.mark.django_db
def test_the_daily_run_forgets_every_callers_answers_older_than_a_day(desk):
    from toshokan.circulation.tasks import run_daily

    p = patron_factories.patron()
    item, other = factories.copy(), factories.copy()
    post(desk, "/api/v1/returns", {"barcode": item.barcode, "branch": "kita"}, **{"Idempotency-Key": "old"})
    IdempotentRequest.objects.update(created_at=timezone.now() - timedelta(hours=25))
    lend(staff_client("desk2"), other, p, key="new")  # another caller: their own old answers go at once
    assert run_daily().idempotent_purged == 1
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["new"]
