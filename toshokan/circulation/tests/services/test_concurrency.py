"""Concurrent checkouts of one copy give exactly one loan — a database guarantee, on SQLite and
PostgreSQL alike (the copy is locked, and a unique index backs it)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from toshokan.catalog.domain.enums import HoldingStatus
from toshokan.catalog.models import Holding
from toshokan.circulation import services
from toshokan.circulation.models import Hold, Loan
from toshokan.circulation.tests import factories
from toshokan.core.domain import DomainError
from toshokan.patrons.tests import factories as patron_factories

DAY = date(2026, 12, 1)
NOW = datetime(2026, 12, 1, 10, tzinfo=ZoneInfo("Asia/Tokyo"))


def race(n: int, work: Callable[[int], object]) -> list[str]:
    """Run `work(i)` in n threads started together; each result is "ok" or the error's code."""
    barrier = threading.Barrier(n)
    results: list[str] = [""] * n

    def run(i: int) -> None:
        try:
            barrier.wait()
            work(i)
            results[i] = "ok"
        except DomainError as e:
            results[i] = e.code
        except Exception as e:
            results[i] = f"{type(e).__name__}: {e}"
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


@pytest.mark.django_db(transaction=True)
def test_twenty_patrons_racing_for_one_copy_get_exactly_one_loan():
    item = factories.copy()
    patrons = [patron_factories.patron(f"競争{i}", today=DAY) for i in range(20)]

    results = race(
        20, lambda i: services.checkout(barcode=item.barcode, patron=patrons[i], branch=item.branch, now=NOW)
    )

    assert results.count("ok") == 1, results
    assert set(results) == {"ok", "on_loan"}, results
    assert Loan.objects.filter(holding=item).count() == 1
    assert Holding.objects.get(pk=item.pk).status == HoldingStatus.ON_LOAN


@pytest.mark.django_db(transaction=True)
def test_one_patron_racing_twelve_copies_against_a_limit_of_five_gets_five():
    from toshokan.circulation.models import CirculationRule

    CirculationRule.objects.create(max_loans=5)
    patron = patron_factories.patron(today=DAY)
    items = [factories.copy() for _ in range(12)]

    results = race(
        12,
        lambda i: services.checkout(barcode=items[i].barcode, patron=patron, branch=items[i].branch, now=NOW),
    )

    assert results.count("ok") == 5, results
    assert set(results) == {"ok", "loan_limit"}, results
    assert Loan.objects.filter(patron=patron).count() == 5


@pytest.mark.django_db(transaction=True)
def test_a_returned_copy_fills_one_hold_even_when_returned_twice_at_once():
    borrower = patron_factories.patron("借", today=DAY)
    waiting = [patron_factories.patron(f"待{i}", today=DAY) for i in range(3)]
    item = factories.copy()
    services.checkout(barcode=item.barcode, patron=borrower, branch=item.branch, now=NOW)
    for p in waiting:
        services.place_hold(patron=p, record=item.record, pickup_branch=item.branch, now=NOW)

    results = race(6, lambda i: services.checkin(barcode=item.barcode, branch=item.branch, now=NOW))

    assert results == ["ok"] * 6, results
    assert Hold.objects.filter(assigned=item).count() == 1
    assert Hold.objects.filter(state="waiting").count() == 2
