"""Holds (予約): placing, queue order, filling on return, the hold shelf, suspension, cancelling, expiry."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from toshokan.catalog.domain.enums import HoldingStatus
from toshokan.catalog.models import Holding
from toshokan.catalog.tests import factories as catalog_factories
from toshokan.circulation import selectors, services
from toshokan.circulation.domain.states import HoldState
from toshokan.circulation.models import Hold, Transit
from toshokan.circulation.tests import factories
from toshokan.core.domain import DomainError
from toshokan.patrons.tests import factories as patron_factories

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Tokyo")
DAY = date(2026, 12, 1)


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=TZ)


def status(item: Holding) -> str:
    return Holding.objects.get(pk=item.pk).status


@pytest.fixture
def lent_copy():
    borrower = patron_factories.patron("貸出", today=DAY)
    item = factories.copy(branch_code="central")
    services.checkout(barcode=item.barcode, patron=borrower, branch=item.branch, now=at(DAY))
    return item


def test_a_returned_copy_fills_the_first_hold_and_goes_to_the_hold_shelf(lent_copy):
    first = patron_factories.patron("一番", today=DAY)
    second = patron_factories.patron("二番", today=DAY)
    h1 = services.place_hold(
        patron=first, record=lent_copy.record, pickup_branch=lent_copy.branch, now=at(DAY, 11)
    )
    services.place_hold(
        patron=second, record=lent_copy.record, pickup_branch=lent_copy.branch, now=at(DAY, 12)
    )

    result = services.checkin(
        barcode=lent_copy.barcode, branch=lent_copy.branch, now=at(DAY + timedelta(days=5))
    )

    assert result.route == "hold_shelf" and result.hold is not None and result.hold.pk == h1.pk
    h1.refresh_from_db()
    assert h1.state == HoldState.READY and h1.assigned_id == lent_copy.pk
    assert h1.pickup_by == DAY + timedelta(days=5 + 7)
    assert status(lent_copy) == HoldingStatus.ON_HOLD_SHELF
    # Only the hold's patron may borrow it now.
    with pytest.raises(DomainError) as e:
        services.checkout(
            barcode=lent_copy.barcode, patron=second, branch=lent_copy.branch, now=at(DAY + timedelta(days=6))
        )
    assert e.value.code == "held_for_another"
    services.checkout(
        barcode=lent_copy.barcode, patron=first, branch=lent_copy.branch, now=at(DAY + timedelta(days=6))
    )
    assert not Hold.objects.filter(pk=h1.pk).exists()
    assert status(lent_copy) == HoldingStatus.ON_LOAN


def test_a_hold_for_another_branch_sends_the_copy_in_transit(lent_copy):
    kita = factories.branch("kita")
    patron = patron_factories.patron(today=DAY)
    hold = services.place_hold(patron=patron, record=lent_copy.record, pickup_branch=kita, now=at(DAY))
    result = services.checkin(
        barcode=lent_copy.barcode, branch=lent_copy.branch, now=at(DAY + timedelta(days=2))
    )
    assert (result.route, result.to_branch) == ("transit", kita)
    assert Transit.objects.get(holding=lent_copy).to_branch == kita
    assert status(lent_copy) == HoldingStatus.IN_TRANSIT
    arrived = services.checkin(barcode=lent_copy.barcode, branch=kita, now=at(DAY + timedelta(days=3)))
    assert arrived.route == "hold_shelf"
    hold.refresh_from_db()
    assert hold.state == HoldState.READY and not Transit.objects.exists()


def test_suspended_holds_keep_their_place_but_are_passed_over(lent_copy):
    first = patron_factories.patron("一番", today=DAY)
    second = patron_factories.patron("二番", today=DAY)
    h1 = services.place_hold(
        patron=first, record=lent_copy.record, pickup_branch=lent_copy.branch, now=at(DAY, 11)
    )
    h2 = services.place_hold(
        patron=second, record=lent_copy.record, pickup_branch=lent_copy.branch, now=at(DAY, 12)
    )
    services.suspend_hold(hold=h1, patron=first)
    assert selectors.queue_position(h2) == 1
    result = services.checkin(
        barcode=lent_copy.barcode, branch=lent_copy.branch, now=at(DAY + timedelta(days=1))
    )
    assert result.hold is not None and result.hold.pk == h2.pk
    services.resume_hold(hold=h1, patron=first)
    h1.refresh_from_db()
    assert h1.state == HoldState.WAITING and h1.placed_at == at(DAY, 11)
    assert selectors.queue_position(h1) == 1


def test_position_and_estimate_follow_copies_due_dates_and_the_queue(lent_copy):
    patrons = [patron_factories.patron(f"待{n}", today=DAY) for n in range(3)]
    holds = [
        services.place_hold(
            patron=p, record=lent_copy.record, pickup_branch=lent_copy.branch, now=at(DAY, 11 + n)
        )
        for n, p in enumerate(patrons)
    ]
    views = [selectors.patron_holds(p, today=DAY)[0] for p in patrons]
    assert [v.estimate.position for v in views] == [1, 2, 3]  # type: ignore[union-attr]
    due = DAY + timedelta(days=14)
    # The first gets the copy the day after it is due back; each next one a hold-turn later.
    assert views[0].estimate.expected_on == due + timedelta(days=1)  # type: ignore[union-attr]
    assert views[1].estimate.expected_on == due + timedelta(days=1 + 3 + 14 + 1)  # type: ignore[union-attr]
    assert views[2].estimate.expected_on > views[1].estimate.expected_on  # type: ignore[union-attr,operator]
    # A second copy on the shelf halves the wait.
    factories.copy(lent_copy.record)
    second_view = selectors.patron_holds(patrons[1], today=DAY)[0]
    assert second_view.estimate.expected_on == due + timedelta(days=1)  # type: ignore[union-attr]
    assert holds[0].pk != holds[1].pk


def test_holds_are_refused_when_nothing_can_fill_them_or_twice():
    patron = patron_factories.patron(today=DAY)
    rec = catalog_factories.record("参考図書")
    factories.copy(rec, status=HoldingStatus.REFERENCE_ONLY)
    with pytest.raises(DomainError) as e:
        services.place_hold(patron=patron, record=rec, pickup_branch=factories.branch(), now=at(DAY))
    assert e.value.code == "no_copies"
    item = factories.copy()
    services.place_hold(patron=patron, record=item.record, pickup_branch=item.branch, now=at(DAY))
    with pytest.raises(DomainError) as e:
        services.place_hold(patron=patron, record=item.record, pickup_branch=item.branch, now=at(DAY))
    assert e.value.code == "already_held"


def test_the_pull_list_names_shelf_copies_for_waiting_holds_and_scanning_traps_them():
    patron = patron_factories.patron(today=DAY)
    item = factories.copy(branch_code="central")
    hold = services.place_hold(patron=patron, record=item.record, pickup_branch=item.branch, now=at(DAY))
    assert [(h.pk, c.pk) for h, c in selectors.pull_list(item.branch)] == [(hold.pk, item.pk)]
    assert selectors.pull_list(factories.branch("kita")) == []
    result = services.checkin(barcode=item.barcode, branch=item.branch, now=at(DAY))
    assert result.route == "hold_shelf" and not result.was_on_loan
    assert selectors.pull_list(item.branch) == []
    assert [h.pk for h in selectors.hold_shelf(item.branch)] == [hold.pk]


def test_a_cancelled_ready_hold_leaves_its_copy_to_be_taken_down_and_scanned_on(lent_copy):
    first = patron_factories.patron("一番", today=DAY)
    second = patron_factories.patron("二番", today=DAY)
    h1 = services.place_hold(
        patron=first, record=lent_copy.record, pickup_branch=lent_copy.branch, now=at(DAY, 11)
    )
    h2 = services.place_hold(
        patron=second, record=lent_copy.record, pickup_branch=lent_copy.branch, now=at(DAY, 12)
    )
    services.checkin(barcode=lent_copy.barcode, branch=lent_copy.branch, now=at(DAY + timedelta(days=1)))
    services.cancel_hold(hold=h1, patron=first, now=at(DAY + timedelta(days=2)))

    # The copy is still physically on the hold shelf: listed to be taken down, not yet anyone's.
    assert status(lent_copy) == HoldingStatus.ON_HOLD_SHELF
    (item,) = selectors.hold_shelf_clearance(lent_copy.branch)
    assert (item.holding_id, item.reason, item.since) == (lent_copy.pk, "cancelled", DAY + timedelta(days=2))
    h2.refresh_from_db()
    assert h2.state == HoldState.WAITING
    with pytest.raises(DomainError):
        services.checkout(
            barcode=lent_copy.barcode, patron=second, branch=lent_copy.branch, now=at(DAY + timedelta(days=2))
        )

    # Scanned at the desk, it goes to the next hold.
    result = services.checkin(
        barcode=lent_copy.barcode, branch=lent_copy.branch, now=at(DAY + timedelta(days=2))
    )
    assert result.route == "hold_shelf" and result.hold is not None and result.hold.pk == h2.pk
    assert not selectors.hold_shelf_clearance(lent_copy.branch).exists()
    services.cancel_hold(hold=h2, patron=second, now=at(DAY + timedelta(days=3)))
    result = services.checkin(
        barcode=lent_copy.barcode, branch=lent_copy.branch, now=at(DAY + timedelta(days=3))
    )
    assert result.route == "shelf"
    assert status(lent_copy) == HoldingStatus.AVAILABLE
    assert not Hold.objects.exists()


def test_a_patron_cannot_touch_another_patrons_hold(lent_copy):
    owner = patron_factories.patron("本人", today=DAY)
    other = patron_factories.patron("他人", today=DAY)
    hold = services.place_hold(
        patron=owner, record=lent_copy.record, pickup_branch=lent_copy.branch, now=at(DAY)
    )
    for action in (services.suspend_hold, services.cancel_hold):
        with pytest.raises(DomainError) as e:
            action(hold=hold, patron=other)
        assert e.value.code == "hold_not_found"


def test_uncollected_holds_expire_and_the_copy_moves_on_when_scanned(lent_copy):
    first = patron_factories.patron("一番", today=DAY)
    second = patron_factories.patron("二番", today=DAY)
    h1 = services.place_hold(
        patron=first, record=lent_copy.record, pickup_branch=lent_copy.branch, now=at(DAY, 11)
    )
    h2 = services.place_hold(
        patron=second, record=lent_copy.record, pickup_branch=lent_copy.branch, now=at(DAY, 12)
    )
    services.checkin(barcode=lent_copy.barcode, branch=lent_copy.branch, now=at(DAY + timedelta(days=1)))
    h1.refresh_from_db()
    deadline = h1.pickup_by
    assert deadline is not None
    assert services.expire_holds(now=at(deadline)) == 0
    assert services.expire_holds(now=at(deadline + timedelta(days=1))) == 1
    assert not Hold.objects.filter(pk=h1.pk).exists()
    assert [c.reason for c in selectors.hold_shelf_clearance(lent_copy.branch)] == ["expired"]
    services.checkin(barcode=lent_copy.barcode, branch=lent_copy.branch, now=at(deadline + timedelta(days=1)))
    h2.refresh_from_db()
    assert h2.state == HoldState.READY and h2.assigned_id == lent_copy.pk
