"""What a checkout locks on PostgreSQL: the copy and the patron, not the branch they share.

SQLite serialises every write transaction anyway, so this is a PostgreSQL test; CI runs the suite
on both.
"""

from __future__ import annotations

import threading

import pytest
from django.db import OperationalError, connection, transaction

from toshokan.catalog import services as catalog_services
from toshokan.circulation import services
from toshokan.circulation.models import Loan
from toshokan.circulation.tests import factories
from toshokan.patrons.tests import factories as patron_factories

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks are PostgreSQL's"),
]


def while_locked(barcode: str, work):
    """Run `work` while another connection holds the lock on copy `barcode` (a checkout in progress)."""
    locked, done = threading.Event(), threading.Event()

    def other_desk() -> None:
        try:
            with transaction.atomic():
                catalog_services.lock_holding(barcode=barcode)
                locked.set()
                done.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=other_desk)
    thread.start()
    assert locked.wait(30)
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL lock_timeout = '3s'")
            return work()
    finally:
        done.set()
        thread.join()


def test_a_checkout_does_not_wait_for_another_copy_at_the_same_branch():
    first, second = factories.copy(), factories.copy()
    assert first.branch_id == second.branch_id
    patron = patron_factories.patron()
    loan = while_locked(
        first.barcode,
        lambda: services.checkout(barcode=second.barcode, patron=patron, branch=second.branch),
    )
    assert Loan.objects.filter(pk=loan.pk, holding=second).exists()


def test_a_checkout_of_the_same_copy_waits_for_the_one_in_progress():
    copy = factories.copy()
    patron = patron_factories.patron()
    with pytest.raises(OperationalError, match="lock timeout"):
        while_locked(
            copy.barcode, lambda: services.checkout(barcode=copy.barcode, patron=patron, branch=copy.branch)
        )
