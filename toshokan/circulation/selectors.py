"""Reads for circulation: the rules and calendars that apply, and what the desk and the patron see."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar, cast

from django.conf import settings as django_settings
from django.db.models import Count, Q, QuerySet

from toshokan.catalog.domain.enums import HoldingStatus
from toshokan.catalog.models import Branch, Holding, Record
from toshokan.core.domain import NotFound
from toshokan.patrons.models import Patron

from .domain.calendar import BranchCalendar
from .domain.estimates import QueueEstimate, estimate
from .domain.policy import NOT_LENDABLE, OverdueMode, Policy, Rule, resolve
from .domain.states import HoldState
from .models import (
    CirculationRule,
    CirculationSettings,
    ClosedDay,
    Hold,
    HoldShelfClearance,
    Loan,
    ReadingHistory,
    Transit,
    WeeklyClosure,
)

_UNLENDABLE = [s.value for s in NOT_LENDABLE]


def settings() -> CirculationSettings:
    """The library-wide settings row (defaults when staff have not saved one)."""
    return CirculationSettings.objects.order_by("pk").first() or CirculationSettings()


def overdue_mode() -> OverdueMode:
    return OverdueMode(settings().overdue_mode)


T = TypeVar("T")
_config: dict[object, tuple[float, object]] = {}


def _cached(key: object, load: Callable[[], T]) -> T:
    """Rules and calendars change a few times a year and are read by every checkout: each process
    keeps what it read for TOSHOKAN_CIRCULATION_CONFIG_TTL_S seconds (5 by default, 0 in tests),
    so an edit in the admin applies to checkouts within that time."""
    ttl = float(getattr(django_settings, "TOSHOKAN_CIRCULATION_CONFIG_TTL_S", 0) or 0)
    if ttl <= 0:
        return load()
    now = time.monotonic()
    hit = _config.get(key)
    if hit is not None and now - hit[0] < ttl:
        return cast(T, hit[1])
    value = load()
    _config[key] = (now, value)
    return value


def forget_cached_config() -> None:
    """Read rules and calendars afresh from now on (in this process)."""
    _config.clear()


def rules() -> list[Rule]:
    return _cached("rules", _load_rules)


def _load_rules() -> list[Rule]:
    return [
        Rule(
            patron_category=r.patron_category,
            material_type=r.material_type,
            branch=r.branch.code if r.branch else "",
            policy=Policy(
                loan_days=r.loan_days,
                max_loans=r.max_loans,
                max_renewals=r.max_renewals,
                max_holds=r.max_holds,
                hold_pickup_days=r.hold_pickup_days,
            ),
        )
        for r in CirculationRule.objects.select_related("branch")
    ]


def policy_for(patron: Patron, holding: Holding, branch: Branch) -> Policy:
    return resolve(
        rules(), patron_category=patron.category, material_type=holding.material_type, branch=branch.code
    )


def calendar_for(branch: Branch, *, horizon_from: date | None = None) -> BranchCalendar:
    return _cached(("calendar", branch.pk, horizon_from), lambda: _load_calendar(branch, horizon_from))


def _load_calendar(branch: Branch, horizon_from: date | None) -> BranchCalendar:
    weekdays = frozenset(WeeklyClosure.objects.filter(branch=branch).values_list("weekday", flat=True))
    dates = ClosedDay.objects.filter(Q(branch=branch) | Q(branch__isnull=True))
    if horizon_from is not None:
        dates = dates.filter(date__gte=horizon_from)
    return BranchCalendar(
        closed_weekdays=weekdays, closed_dates=frozenset(dates.values_list("date", flat=True))
    )


# -- the patron's own account -------------------------------------------------------------------


def patron_loans(patron: Patron) -> QuerySet[Loan]:
    return (
        Loan.objects.filter(patron=patron)
        .select_related("holding__record", "holding__branch", "branch")
        .order_by("due_on", "pk")
    )


@dataclass(frozen=True, slots=True)
class HoldView:
    hold: Hold
    estimate: QueueEstimate | None  # for holds still waiting (or suspended)


def queue_position(hold: Hold) -> int:
    """1 for the next hold to be filled; suspended holds ahead do not count (they are passed over)."""
    ahead = Hold.objects.filter(record_id=hold.record_id, state=HoldState.WAITING).filter(
        Q(placed_at__lt=hold.placed_at) | Q(placed_at=hold.placed_at, pk__lt=hold.pk)
    )
    if hold.holding_id is not None:
        ahead = ahead.filter(Q(holding__isnull=True) | Q(holding_id=hold.holding_id))
    return ahead.count() + 1


def hold_estimate(hold: Hold, *, today: date) -> QueueEstimate:
    copies = Holding.objects.filter(record_id=hold.record_id).exclude(status__in=_UNLENDABLE)
    if hold.holding_id is not None:
        copies = copies.filter(pk=hold.holding_id)
    free_on: list[date] = []
    loan_days = Policy().loan_days
    dues = dict(Loan.objects.filter(holding__in=copies).values_list("holding_id", "due_on"))
    held = {
        h.assigned_id: h
        for h in Hold.objects.filter(assigned__in=copies, state__in=[HoldState.READY, HoldState.IN_TRANSIT])
        if h.pk != hold.pk
    }
    for copy in copies.select_related("branch"):
        if copy.pk in dues:
            free_on.append(dues[copy.pk])
        elif copy.pk in held:
            other = held[copy.pk]
            free_on.append((other.pickup_by or today + timedelta(days=3)) + timedelta(days=loan_days))
        elif copy.status == HoldingStatus.PROCESSING:
            free_on.append(today + timedelta(days=7))
        else:
            free_on.append(today)
    return estimate(today=today, position=queue_position(hold), copy_free_on=free_on, loan_days=loan_days)


def patron_holds(patron: Patron, *, today: date) -> list[HoldView]:
    holds = (
        Hold.objects.filter(patron=patron)
        .select_related("record", "pickup_branch", "holding", "assigned")
        .order_by("placed_at", "pk")
    )
    return [
        HoldView(
            hold=h,
            estimate=hold_estimate(h, today=today)
            if h.state in (HoldState.WAITING, HoldState.SUSPENDED)
            else None,
        )
        for h in holds
    ]


def reading_history(patron: Patron) -> QuerySet[ReadingHistory]:
    return (
        ReadingHistory.objects.filter(patron=patron).select_related("record").order_by("-returned_on", "-pk")
    )


# -- the desk -----------------------------------------------------------------------------------


def pull_list(branch: Branch) -> list[tuple[Hold, Holding]]:
    """Copies on this branch's shelves that waiting holds could take (集書リスト): for each waiting
    hold, in queue order, one available copy here not already picked for an earlier hold."""
    picked: set[int] = set()
    out: list[tuple[Hold, Holding]] = []
    waiting = Hold.objects.filter(state=HoldState.WAITING).select_related("record", "pickup_branch", "patron")
    available: dict[int, list[Holding]] = {}
    for copy in (
        Holding.objects.filter(
            branch=branch, status=HoldingStatus.AVAILABLE, record__holds__state=HoldState.WAITING
        )
        .distinct()
        .order_by("shelf_mark", "barcode")
    ):
        available.setdefault(copy.record_id, []).append(copy)
    for hold in waiting.filter(record_id__in=list(available)).order_by("placed_at", "pk"):
        for copy in available.get(hold.record_id, []):
            if copy.pk not in picked and (hold.holding_id is None or hold.holding_id == copy.pk):
                picked.add(copy.pk)
                out.append((hold, copy))
                break
    return out


def hold_shelf(branch: Branch) -> QuerySet[Hold]:
    return (
        Hold.objects.filter(pickup_branch=branch, state=HoldState.READY)
        .select_related("patron", "record", "assigned")
        .order_by("pickup_by", "patron__name_reading")
    )


def transits(branch: Branch, *, incoming: bool) -> QuerySet[Transit]:
    qs = Transit.objects.filter(to_branch=branch) if incoming else Transit.objects.filter(from_branch=branch)
    return qs.select_related("holding__record", "from_branch", "to_branch").order_by("sent_at")


def ready_hold_count(patron: Patron) -> int:
    """How many of the patron's holds wait on a hold shelf (the desk says so at checkout)."""
    return Hold.objects.filter(patron=patron, state=HoldState.READY).count()


def copy_by_barcode(barcode: str) -> Holding | None:
    return Holding.objects.select_related("record", "branch").filter(barcode=barcode.strip()).first()


def loan_for_barcode(barcode: str) -> Loan | None:
    return (
        Loan.objects.select_related("patron", "holding__record")
        .filter(holding__barcode=barcode.strip())
        .first()
    )


# -- the JSON API -------------------------------------------------------------------------------


def loan_by_id(pk: int) -> Loan:
    return Loan.objects.select_related("holding__record", "branch", "patron").get(pk=pk)


def hold_by_id(pk: int) -> Hold:
    return Hold.objects.select_related("record", "pickup_branch", "holding", "assigned", "patron").get(pk=pk)


def hold_view(hold: Hold, *, today: date) -> HoldView:
    waiting = hold.state in (HoldState.WAITING, HoldState.SUSPENDED)
    return HoldView(hold=hold, estimate=hold_estimate(hold, today=today) if waiting else None)


def account_counts(patron: Patron) -> dict[str, int]:
    """How many loans and holds a patron has, and how many holds wait on a hold shelf."""
    holds = dict(
        Hold.objects.filter(patron=patron)
        .values_list("state")
        .annotate(n=Count("pk"))
        .values_list("state", "n")
    )
    return {
        "loan_count": Loan.objects.filter(patron=patron).count(),
        "hold_count": sum(holds.values()),
        "ready_hold_count": holds.get(HoldState.READY.value, 0),
    }


def record_by_id(pk: int) -> Record:
    record = Record.objects.filter(pk=pk).first()
    if record is None:
        raise NotFound(f"書誌 {pk} はありません (no record {pk})", code="record_not_found")
    return record


def holding_by_barcode(barcode: str) -> Holding:
    copy = Holding.objects.select_related("record", "branch").filter(barcode=barcode.strip()).first()
    if copy is None:
        raise NotFound(f"資料番号 {barcode} の資料はありません (no copy {barcode})", code="item_not_found")
    return copy


def holds_to_expire(today: date) -> QuerySet[Hold]:
    """Holds that end today: not picked up by their deadline (取置期限), or waiting past the date
    after which the patron no longer needs them. `services.expire_holds` ends them; the daily
    notice scan reads them first, to tell their patrons."""
    return (
        Hold.objects.filter(
            Q(state=HoldState.READY, pickup_by__lt=today)
            | Q(state__in=[HoldState.WAITING, HoldState.SUSPENDED], not_needed_after__lt=today)
        )
        .select_related("patron", "record", "pickup_branch")
        .order_by("pk")
    )


def hold_shelf_clearance(branch: Branch) -> QuerySet[HoldShelfClearance]:
    """Copies to take down from this branch's hold shelf (their holds ended); scanning one at return
    sends it on."""
    return (
        HoldShelfClearance.objects.filter(branch=branch)
        .select_related("holding__record")
        .order_by("since", "holding__barcode")
    )
