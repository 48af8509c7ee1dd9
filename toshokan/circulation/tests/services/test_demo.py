"""The circulation demo on a small catalogue: every status backed, clean patrons clean, each story told."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from toshokan.catalog import services as catalog_services
from toshokan.catalog.domain.enums import HoldingStatus
from toshokan.catalog.models import Holding
from toshokan.catalog.tests import factories as catalog_factories
from toshokan.circulation import demo, selectors, services
from toshokan.circulation.domain.states import HoldState
from toshokan.circulation.models import (
    CirculationRule,
    ClosedDay,
    Hold,
    Loan,
    ReadingHistory,
    Transit,
    WeeklyClosure,
)
from toshokan.notices.models import Notice
from toshokan.patrons import services as patron_services
from toshokan.patrons.models import Patron, PatronBlock
from toshokan.patrons.tests import factories as patron_factories

pytestmark = pytest.mark.django_db
BRANCHES = ("central", "ekimae", "kita", "minami")


def small_catalogue() -> list[Holding]:
    """Forty records with a copy at every branch and thirty with a single copy: enough for every story."""
    for position, code in enumerate(BRANCHES):
        catalog_factories.branch(code, name=code, position=position)
    copies = []
    for n in range(40):
        record = catalog_factories.record(f"四館にある本 {n}")
        copies += [catalog_factories.holding(record, branch_code=code) for code in BRANCHES]
    for n in range(30):
        record = catalog_factories.record(f"一冊だけの本 {n}")
        copies.append(catalog_factories.holding(record, branch_code=BRANCHES[n % 4]))
    return copies


@pytest.fixture
def loaded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setattr(demo, "COMMUNITY_PATRONS", 40)
    monkeypatch.setattr(demo, "PAST_LOANS", 15)
    copies = small_catalogue()
    # What a catalogue demo of old left behind: a status with no loan behind it.
    catalog_services.set_holding_status(holding=copies[-1], status=HoldingStatus.ON_LOAN)
    messages: list[str] = []
    demo.load(messages.append)
    return messages


def test_credentials_json_lists_what_the_demo_registers():
    data = json.loads((settings.BASE_DIR / "demo" / "credentials.json").read_text(encoding="utf-8"))
    made = demo.credentials()
    assert data["patrons"] == made["patrons"]
    assert data["showcase_patrons"] == made["showcase_patrons"]
    assert len(data["patrons"]) >= 20
    assert len({p["card"] for p in data["patrons"] + data["showcase_patrons"]}) == len(
        data["patrons"] + data["showcase_patrons"]
    )


def test_the_clean_patrons_log_in_and_may_borrow_with_nothing_on_their_card(loaded):
    today = timezone.localdate()
    for entry in demo.credentials()["patrons"]:
        patron = patron_services.authenticate(card_number=entry["card"], pin=entry["pin"])
        assert patron.display_name == entry["name"]
        assert not Loan.objects.filter(patron=patron).exists()
        assert not Hold.objects.filter(patron=patron).exists()
        assert not PatronBlock.objects.filter(patron=patron).exists()
        assert services.borrowing_problems(patron, today=today) == []
        assert not patron.reading_history


def test_every_status_that_needs_a_loan_hold_or_transit_has_one(loaded):
    on_loan = Holding.objects.filter(status=HoldingStatus.ON_LOAN)
    assert on_loan.count() == Loan.objects.count() > 30
    assert on_loan.filter(loan__isnull=True).count() == 0  # the one left by the old demo was repaired
    shelf = Holding.objects.filter(status=HoldingStatus.ON_HOLD_SHELF)
    assert shelf.count() == Hold.objects.filter(state=HoldState.READY).count() >= len(BRANCHES)
    for copy in shelf:
        assert Hold.objects.filter(assigned=copy, state=HoldState.READY).count() == 1
    in_transit = Holding.objects.filter(status=HoldingStatus.IN_TRANSIT)
    assert in_transit.count() == Transit.objects.count() >= len(BRANCHES)
    assert not Holding.objects.filter(status=HoldingStatus.IN_TRANSIT, transit__isnull=True).exists()
    assert any("put back on the shelf" in m for m in loaded)


def test_each_showcase_patron_shows_their_story(loaded):
    today = timezone.localdate()
    show = {
        int(p["card"][4:-1]): Patron.objects.get(card_number=p["card"])
        for p in demo.credentials()["showcase_patrons"]
    }

    assert Loan.objects.filter(patron=show[101]).count() >= 3
    assert Loan.objects.filter(patron=show[101], renewals=1).exists()
    assert [p.code for p in services.borrowing_problems(show[102], today=today)] == ["overdue"]

    queue = {
        serial: Hold.objects.get(patron=show[serial], state=HoldState.WAITING) for serial in (103, 104, 105)
    }
    assert len({h.record_id for h in queue.values()}) == 1
    assert [selectors.queue_position(queue[s]) for s in (103, 104, 105)] == [1, 2, 3]
    assert not Holding.objects.filter(record_id=queue[103].record_id, status=HoldingStatus.AVAILABLE).exists()
    states = set(Hold.objects.filter(patron=show[103]).values_list("state", flat=True))
    assert states == {HoldState.WAITING, HoldState.READY, HoldState.SUSPENDED}
    ready = Hold.objects.get(patron=show[103], state=HoldState.READY)
    assert ready.pickup_by is not None and ready.pickup_by >= today
    assert Hold.objects.filter(
        patron=show[104], state=HoldState.IN_TRANSIT, pickup_branch__code="kita"
    ).exists()

    assert ReadingHistory.objects.filter(patron=show[106]).count() == 6
    assert set(ReadingHistory.objects.values_list("patron_id", flat=True)) == {show[106].pk}
    assert [p.code for p in services.borrowing_problems(show[107], today=today)] == ["patron_blocked"]
    assert show[108].expires_on == today + timedelta(days=20)
    assert Loan.objects.filter(patron=show[109]).count() == 2
    notices = {(n.patron_id, n.kind) for n in Notice.objects.all()}
    for serial, kind in (
        (101, "due_soon"),
        (102, "overdue"),
        (103, "hold_ready"),
        (108, "registration_expiring"),
    ):
        assert (show[serial].pk, kind) in notices
    group_loan = Loan.objects.filter(patron=show[110]).first()
    assert (
        group_loan is not None
        and (group_loan.due_on - timezone.localdate(group_loan.checked_out_at)).days >= 28
    )


def test_rules_and_calendars_put_due_dates_on_open_days(loaded):
    assert CirculationRule.objects.count() == len(demo.RULES)
    assert WeeklyClosure.objects.count() == len(BRANCHES)
    year = timezone.localdate().year
    assert ClosedDay.objects.filter(branch=None, date__month=12, date__day=29, date__year=year).exists()
    assert ClosedDay.objects.filter(kind=ClosedDay.Kind.INVENTORY).values("branch").distinct().count() == 4
    for loan in Loan.objects.select_related("branch"):
        assert selectors.calendar_for(loan.branch).is_open(loan.due_on)


def test_loading_again_adds_nothing(loaded):
    def counts() -> dict[str, int]:
        return {
            "patrons": Patron.objects.count(),
            "loans": Loan.objects.count(),
            "holds": Hold.objects.count(),
            "transits": Transit.objects.count(),
            "history": ReadingHistory.objects.count(),
            "closed": ClosedDay.objects.count(),
            "rules": CirculationRule.objects.count(),
            "blocks": PatronBlock.objects.count(),
            "notices": Notice.objects.count(),
        }

    before = counts()
    statuses = dict(Holding.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
    demo.load(lambda _: None)
    assert counts() == before
    assert (
        dict(Holding.objects.values_list("status").annotate(n=Count("pk")).values_list("status", "n"))
        == statuses
    )


def test_a_copy_waiting_to_be_taken_down_from_the_hold_shelf_is_not_repaired():
    copy = catalog_factories.holding(catalog_factories.record("取置期限の切れた本"))
    patron = patron_factories.patron()
    services.place_hold(patron=patron, record=copy.record, pickup_branch=copy.branch)
    services.checkin(barcode=copy.barcode, branch=copy.branch)  # trapped: on the hold shelf
    stale = catalog_services.set_holding_status(
        holding=catalog_factories.holding(catalog_factories.record("誰の予約でもない本")),
        status=HoldingStatus.ON_HOLD_SHELF,
    )
    assert demo.unbacked_copies() == [stale.pk]
    services.expire_holds(now=timezone.now() + timedelta(days=60))  # not collected in time
    assert not Hold.objects.filter(assigned=copy).exists()
    assert Holding.objects.get(pk=copy.pk).status == HoldingStatus.ON_HOLD_SHELF
    assert demo.unbacked_copies() == [stale.pk]
