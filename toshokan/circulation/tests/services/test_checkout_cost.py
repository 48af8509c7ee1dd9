"""What one checkout asks of the database: a patron with nothing against them costs one query.

The desk, the self-check and the API lend through the same service, and its round trips are most
of a checkout's time on PostgreSQL (docs/benchmarks.md, "Checkouts"). These tests hold the count,
not a time.
"""

from __future__ import annotations

import pytest

from toshokan.circulation import services
from toshokan.circulation.tests import factories
from toshokan.core.domain import NotFound
from toshokan.patrons.tests import factories as patron_factories

pytestmark = pytest.mark.django_db

# The patron with what may stop them, the copy, its loan, a hold on it, the rules, the open loans,
# the calendar (two), the loan, the copy's status, the statistics event. (It was 15 before the
# patron's lookup, lock and three checks became one statement.)
CHECKOUT_STATEMENTS = 11


def test_a_checkout_by_card_number_takes_one_statement_per_thing_it_must_know(django_assert_max_num_queries):
    patron = patron_factories.patron()
    item = factories.copy()
    # + the savepoints of the checkout's transaction (nested in the test's) and of the loan insert
    with django_assert_max_num_queries(CHECKOUT_STATEMENTS + 4):
        services.checkout(barcode=item.barcode, patron=patron.card_number, branch=item.branch)


def test_an_unknown_card_is_not_found():
    item = factories.copy()
    with pytest.raises(NotFound) as e:
        services.checkout(barcode=item.barcode, patron="2900999999990", branch=item.branch)
    assert e.value.code == "patron_not_found"
