"""Checkout, return and renewal through the services, on a real database."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from toshokan.catalog.domain.enums import HoldingStatus
from toshokan.catalog.models import Holding
from toshokan.circulation import selectors, services
from toshokan.circulation.domain.policy import OverdueMode
from toshokan.circulation.models import (
    CirculationEvent,
    CirculationRule,
    CirculationSettings,
    ClosedDay,
    Loan,
    PatronSuspension,
    ReadingHistory,
    Transit,
    WeeklyClosure,
)
from toshokan.circulation.tests import factories
from toshokan.core.domain import DomainError
from toshokan.patrons import services as patron_services
from toshokan.patrons.domain.enums import BlockReason, PatronCategory
from toshokan.patrons.tests import factories as patron_factories

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Tokyo")


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=TZ)


MONDAY = date(2026, 12, 7)


def code_of(excinfo: pytest.ExceptionInfo[DomainError]) -> str:
    return excinfo.value.code


def test_a_checkout_lends_the_copy_for_the_rule_period_and_marks_it_on_loan():
    patron = patron_factories.patron(today=MONDAY)
    item = factories.copy()
    loan = services.checkout(barcode=item.barcode, patron=patron, branch=item.branch, now=at(MONDAY))
    assert loan.due_on == MONDAY + timedelta(days=14)
    assert Holding.objects.get(pk=item.pk).status == HoldingStatus.ON_LOAN
    assert CirculationEvent.objects.filter(kind="checkout").count() == 1


def test_a_card_number_as_scanned_finds_the_patron():
    patron = patron_factories.patron(today=MONDAY)
    item = factories.copy()
    loan = services.checkout(
        barcode=f" {item.barcode} ", patron=f"A{patron.card_number}B", branch=item.branch, now=at(MONDAY)
    )
    assert loan.patron_id == patron.pk


def test_the_due_date_moves_past_closed_days():
    patron = patron_factories.patron(today=MONDAY)
    item = factories.copy()
    WeeklyClosure.objects.create(branch=item.branch, weekday=0)  # Mondays
    ClosedDay.objects.create(branch=None, date=MONDAY + timedelta(days=15), kind=ClosedDay.Kind.INVENTORY)
    loan = services.checkout(
        barcode=item.barcode, patron=patron, branch=item.branch, now=at(MONDAY - timedelta(days=1))
    )
    # 14 days after Sunday is a Sunday (open); rule periods count calendar days
    assert loan.due_on == MONDAY + timedelta(days=13)
    loan2 = services.checkout(
        barcode=factories.copy().barcode, patron=patron, branch=item.branch, now=at(MONDAY)
    )
    # Monday + 14 = Monday (closed weekly) → Tuesday, which is an inventory day → Wednesday
    assert loan2.due_on == MONDAY + timedelta(days=16)


def test_rules_by_category_material_and_branch_the_most_specific_wins():
    child = patron_factories.patron(category=PatronCategory.CHILD, today=MONDAY)
    item = factories.copy(branch_code="kita")
    CirculationRule.objects.create(loan_days=21)
    CirculationRule.objects.create(patron_category="child", loan_days=10)
    CirculationRule.objects.create(patron_category="child", branch=item.branch, loan_days=7)
    loan = services.checkout(barcode=item.barcode, patron=child, branch=item.branch, now=at(MONDAY))
    assert loan.due_on == MONDAY + timedelta(days=7)


def test_a_copy_on_loan_cannot_be_lent_again():
    a, b = patron_factories.patron(today=MONDAY), patron_factories.patron("佐藤", today=MONDAY)
    item = factories.copy()
    services.checkout(barcode=item.barcode, patron=a, branch=item.branch, now=at(MONDAY))
    with pytest.raises(DomainError) as e:
        services.checkout(barcode=item.barcode, patron=b, branch=item.branch, now=at(MONDAY))
    assert code_of(e) == "on_loan"
    with pytest.raises(DomainError) as e:
        services.checkout(barcode=item.barcode, patron=a, branch=item.branch, now=at(MONDAY))
    assert code_of(e) == "already_borrowed"
    assert Loan.objects.count() == 1


@pytest.mark.parametrize(
    "status",
    [HoldingStatus.REFERENCE_ONLY, HoldingStatus.MISSING, HoldingStatus.WITHDRAWN, HoldingStatus.PROCESSING],
)
def test_copies_that_cannot_be_lent_are_refused(status):
    patron = patron_factories.patron(today=MONDAY)
    item = factories.copy(status=status)
    with pytest.raises(DomainError) as e:
        services.checkout(barcode=item.barcode, patron=patron, branch=item.branch, now=at(MONDAY))
    assert code_of(e) == f"item_{status}"


def test_the_loan_limit_counts_open_loans():
    patron = patron_factories.patron(today=MONDAY)
    CirculationRule.objects.create(max_loans=2)
    for _ in range(2):
        services.checkout(
            barcode=factories.copy().barcode, patron=patron, branch=factories.branch(), now=at(MONDAY)
        )
    with pytest.raises(DomainError) as e:
        services.checkout(
            barcode=factories.copy().barcode, patron=patron, branch=factories.branch(), now=at(MONDAY)
        )
    assert code_of(e) == "loan_limit"


def test_blocked_expired_and_overdue_patrons_cannot_borrow():
    item = factories.copy()
    blocked = patron_factories.patron(today=MONDAY)
    patron_services.add_block(patron=blocked, reason=BlockReason.LOST_CARD)
    with pytest.raises(DomainError) as e:
        services.checkout(barcode=item.barcode, patron=blocked, branch=item.branch, now=at(MONDAY))
    assert code_of(e) == "patron_blocked"

    expired = patron_factories.patron("古川", today=MONDAY - timedelta(days=4 * 365))
    with pytest.raises(DomainError) as e:
        services.checkout(barcode=item.barcode, patron=expired, branch=item.branch, now=at(MONDAY))
    assert code_of(e) == "registration_expired"

    late = patron_factories.patron("遅野", today=MONDAY)
    services.checkout(barcode=factories.copy().barcode, patron=late, branch=item.branch, now=at(MONDAY))
    with pytest.raises(DomainError) as e:
        services.checkout(
            barcode=item.barcode, patron=late, branch=item.branch, now=at(MONDAY + timedelta(days=15))
        )
    assert code_of(e) == "overdue"


def test_a_return_deletes_the_loan_and_keeps_no_link_to_the_patron():
    patron = patron_factories.patron(today=MONDAY)
    item = factories.copy()
    services.checkout(barcode=item.barcode, patron=patron, branch=item.branch, now=at(MONDAY))
    result = services.checkin(barcode=item.barcode, branch=item.branch, now=at(MONDAY + timedelta(days=3)))
    assert result.was_on_loan and result.route == "shelf"
    assert not Loan.objects.exists()
    assert not ReadingHistory.objects.exists()
    assert Holding.objects.get(pk=item.pk).status == HoldingStatus.AVAILABLE
    events = list(CirculationEvent.objects.values())
    assert {e["kind"] for e in events} == {"checkout", "return"}
    # What statistics keep: the kind of event, day, branch, kind of material and of patron. No who.
    assert {k for e in events for k in e} == {
        "id",
        "kind",
        "on",
        "branch_id",
        "material_type",
        "patron_category",
        "ndc",
    }


def test_a_patron_who_opted_in_keeps_a_reading_history_and_revoking_deletes_it():
    patron = patron_factories.patron(today=MONDAY, reading_history=True)
    item = factories.copy()
    services.checkout(barcode=item.barcode, patron=patron, branch=item.branch, now=at(MONDAY))
    services.checkin(barcode=item.barcode, branch=item.branch, now=at(MONDAY + timedelta(days=2)))
    entries = list(selectors.reading_history(patron))
    assert [(e.record_id, e.borrowed_on, e.returned_on) for e in entries] == [
        (item.record_id, MONDAY, MONDAY + timedelta(days=2))
    ]
    services.set_reading_history(patron=patron, enabled=False)
    assert not ReadingHistory.objects.exists()


def test_a_return_elsewhere_sends_the_copy_home():
    patron = patron_factories.patron(today=MONDAY)
    item = factories.copy(branch_code="central")
    services.checkout(barcode=item.barcode, patron=patron, branch=item.branch, now=at(MONDAY))
    kita = factories.branch("kita")
    result = services.checkin(barcode=item.barcode, branch=kita, now=at(MONDAY + timedelta(days=1)))
    assert (result.route, result.to_branch) == ("transit", item.branch)
    assert Holding.objects.get(pk=item.pk).status == HoldingStatus.IN_TRANSIT
    arrived = services.checkin(barcode=item.barcode, branch=item.branch, now=at(MONDAY + timedelta(days=2)))
    assert arrived.route == "shelf" and not arrived.was_on_loan
    assert not Transit.objects.exists()
    assert Holding.objects.get(pk=item.pk).status == HoldingStatus.AVAILABLE


def test_late_returns_suspend_borrowing_for_as_many_days_when_the_library_says_so():
    CirculationSettings.objects.create(overdue_mode=OverdueMode.DAYS_OVERDUE)
    patron = patron_factories.patron(today=MONDAY)
    item = factories.copy()
    services.checkout(barcode=item.barcode, patron=patron, branch=item.branch, now=at(MONDAY))
    returned = MONDAY + timedelta(days=14 + 5)
    result = services.checkin(barcode=item.barcode, branch=item.branch, now=at(returned))
    assert result.days_overdue == 5
    assert PatronSuspension.objects.get(patron=patron).until == returned + timedelta(days=4)
    with pytest.raises(DomainError) as e:
        services.checkout(
            barcode=item.barcode, patron=patron, branch=item.branch, now=at(returned + timedelta(days=4))
        )
    assert code_of(e) == "suspended"
    services.checkout(
        barcode=item.barcode, patron=patron, branch=item.branch, now=at(returned + timedelta(days=5))
    )


def test_renewal_extends_from_today_until_the_limit():
    patron = patron_factories.patron(today=MONDAY)
    item = factories.copy()
    services.checkout(barcode=item.barcode, patron=patron, branch=item.branch, now=at(MONDAY))
    loan = services.renew(barcode=item.barcode, patron=patron, now=at(MONDAY + timedelta(days=10)))
    assert loan.due_on == MONDAY + timedelta(days=24) and loan.renewals == 1
    with pytest.raises(DomainError) as e:
        services.renew(barcode=item.barcode, patron=patron, now=at(MONDAY + timedelta(days=20)))
    assert code_of(e) == "renewal_limit"


def test_renewal_is_refused_while_a_hold_is_waiting_and_for_someone_elses_loan():
    patron = patron_factories.patron(today=MONDAY)
    other = patron_factories.patron("佐藤", today=MONDAY)
    item = factories.copy()
    services.checkout(barcode=item.barcode, patron=patron, branch=item.branch, now=at(MONDAY))
    with pytest.raises(DomainError) as e:
        services.renew(barcode=item.barcode, patron=other, now=at(MONDAY))
    assert code_of(e) == "not_on_loan"
    services.place_hold(patron=other, record=item.record, pickup_branch=item.branch, now=at(MONDAY))
    with pytest.raises(DomainError) as e:
        services.renew(barcode=item.barcode, patron=patron, now=at(MONDAY + timedelta(days=3)))
    assert code_of(e) == "holds_waiting"


def test_an_overdue_loan_cannot_be_renewed():
    patron = patron_factories.patron(today=MONDAY)
    item = factories.copy()
    services.checkout(barcode=item.barcode, patron=patron, branch=item.branch, now=at(MONDAY))
    with pytest.raises(DomainError) as e:
        services.renew(barcode=item.barcode, now=at(MONDAY + timedelta(days=15)))
    assert code_of(e) == "overdue"
