"""Circulation: checkout, return, renewal and holds — the one place these writes happen.

The desk pages, the JSON API and the SIP2 self-check all call these functions. Each is one
transaction that locks the copy (and the patron, where limits are counted) before it decides, so
concurrent requests serialise on the copy; the database's constraints (one loan per copy, one hold
per assigned copy) are the last word. Moves are looked up in the lifecycle tables
(domain/states.py); due dates and pickup deadlines land on open days (domain/calendar.py); limits
come from the rules staff edit (domain/policy.py). No fines (Japanese public-library practice):
lateness suspends borrowing instead.

Privacy (図書館の自由に関する宣言 第3): a return deletes the loan. The only traces kept are an
anonymous statistics event and — only for patrons who chose it — their reading history. Notices
and search updates run after commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from toshokan.catalog import services as catalog_services
from toshokan.catalog.domain.enums import HoldingStatus
from toshokan.catalog.models import Branch, Holding, Record
from toshokan.core import audit
from toshokan.core.domain import DomainError, NotFound
from toshokan.notices import services as notice_services
from toshokan.notices.domain.enums import NoticeKind
from toshokan.notices.domain.messages import NoticeContext, NoticeItem
from toshokan.patrons import services as patron_services
from toshokan.patrons.domain import provisional
from toshokan.patrons.domain.cards import normalise_card_number
from toshokan.patrons.domain.enums import PatronStatus
from toshokan.patrons.domain.registration import is_expired
from toshokan.patrons.models import Patron, PatronBlock

from . import selectors
from .domain.policy import NOT_LENDABLE, suspension_after_return
from .domain.states import (
    HoldAction,
    HoldState,
    LoanAction,
    LoanState,
    next_hold_state,
    next_loan_state,
)
from .models import (
    CirculationEvent,
    Hold,
    HoldShelfClearance,
    Loan,
    PatronSuspension,
    ReadingHistory,
    Transit,
)


class CirculationError(DomainError):
    code = "circulation_error"


@dataclass(frozen=True, slots=True)
class CheckinResult:
    """What the desk must do with a returned (or scanned) copy."""

    holding: Holding
    was_on_loan: bool
    days_overdue: int
    route: str  # "shelf" | "hold_shelf" | "transit"
    to_branch: Branch | None  # for "transit"
    hold: Hold | None  # the hold this copy now fills (hold shelf slip / transit slip)


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def _today(now: datetime) -> date:
    return timezone.localdate(now)


def _event(kind: str, *, on: date, branch: Branch, holding: Holding, patron: Patron) -> None:
    CirculationEvent.objects.create(
        kind=kind,
        on=on,
        branch=branch,
        material_type=holding.material_type,
        patron_category=patron.category,
        ndc="".join(c for c in holding.record.ndc if c.isdigit())[:3],
    )


IDENTITY_CHECK_NEEDED = "identity_check_needed"


def borrowing_problems(patron: Patron, *, today: date) -> list[DomainError]:
    """Why this patron may not borrow today (empty: they may)."""
    problems: list[DomainError] = []
    if not provisional.may_borrow(PatronStatus(patron.status), patron_services.provisional_rules()):
        # A provisional card (online sign-up): staff must see an identity document first.
        problems.append(CirculationError("本人確認が必要です", code=IDENTITY_CHECK_NEEDED))
    if is_expired(patron.expires_on, today):
        problems.append(
            CirculationError(
                f"登録の有効期限 ({patron.expires_on:%Y-%m-%d}) が切れています。更新してください",
                code="registration_expired",
            )
        )
    # A patron locked by _lock_patron(today=…) carries what may stop them: what is not there
    # needs no query here.
    stops = getattr(patron, "stops_on", None) == today
    blocks = (
        list(patron.blocks.filter(lifted_at__isnull=True))
        if not stops or getattr(patron, "stop_blocked", True)
        else []
    )
    if blocks:
        reasons = "、".join(b.get_reason_display() for b in blocks)
        problems.append(CirculationError(f"貸出停止中です ({reasons})", code="patron_blocked"))
    if (not stops or getattr(patron, "stop_overdue", True)) and Loan.objects.filter(
        patron=patron, due_on__lt=today
    ).exists():
        problems.append(
            CirculationError("返却期限を過ぎた資料があります。返却まで新たな貸出はできません", code="overdue")
        )
    suspension = (
        PatronSuspension.objects.filter(patron=patron, until__gte=today).first()
        if not stops or getattr(patron, "stop_suspended", True)
        else None
    )
    if suspension:
        problems.append(
            CirculationError(f"{suspension.until:%Y-%m-%d} まで貸出停止です (延滞のため)", code="suspended")
        )
    return problems


def _check_can_borrow(patron: Patron, today: date) -> None:
    problems = borrowing_problems(patron, today=today)
    if problems:
        raise problems[0]


def _lock_patron(patron: Patron | str, *, today: date | None = None) -> Patron:
    """The patron — a Patron, or a card number as scanned — locked until the transaction ends.
    With `today`, the same query says whether a block, an overdue loan or a suspension may stop
    them (borrowing_problems then looks only at what is there): one query, not four."""
    rows = Patron.objects.select_for_update(of=("self",))
    if isinstance(patron, str):
        rows = rows.filter(card_number=normalise_card_number(patron))
    else:
        rows = rows.filter(pk=patron.pk)
    if today is not None:
        rows = rows.annotate(
            stop_blocked=Exists(PatronBlock.objects.filter(patron=OuterRef("pk"), lifted_at__isnull=True)),
            stop_overdue=Exists(Loan.objects.filter(patron=OuterRef("pk"), due_on__lt=today)),
            stop_suspended=Exists(PatronSuspension.objects.filter(patron=OuterRef("pk"), until__gte=today)),
        )
    locked = rows.first()
    if locked is None:
        patron_services.find_by_card(str(patron))  # raises the desk's "not registered" error
        raise NotFound("利用者が見つかりません", code="patron_not_found")
    if today is not None:
        locked.stops_on = today  # type: ignore[attr-defined]
    return locked


@transaction.atomic
def checkout(
    *,
    barcode: str,
    patron: Patron | str,
    branch: Branch,
    actor: Any = None,
    now: datetime | None = None,
) -> Loan:
    """Lend a copy (貸出): `patron` is a Patron or a card number as scanned."""
    now = _now(now)
    today = _today(now)
    locked_patron = _lock_patron(patron, today=today)
    holding = catalog_services.lock_holding(barcode=barcode)
    _check_can_borrow(locked_patron, today)

    existing = Loan.objects.filter(holding=holding).select_related("patron").first()
    if existing is not None:
        if existing.patron_id == locked_patron.pk:
            raise CirculationError(
                "この資料はすでにこの利用者に貸出中です (延長できます)", code="already_borrowed"
            )
        raise CirculationError("この資料は貸出中です (返却処理をしてください)", code="on_loan")
    hold = (
        Hold.objects.select_for_update()
        .filter(assigned=holding, state__in=[HoldState.READY, HoldState.IN_TRANSIT])
        .first()
    )
    if hold is not None and hold.patron_id != locked_patron.pk:
        raise CirculationError("この資料は他の利用者の予約資料です (取置中)", code="held_for_another")
    if hold is None and holding.status != HoldingStatus.AVAILABLE:
        raise CirculationError(
            f"この資料は貸出できません ({HoldingStatus(holding.status).label_ja})",
            code=f"item_{holding.status}",
        )
    if hold is not None and hold.state == HoldState.IN_TRANSIT:
        # It reached the patron before the desk received it: the hold is met all the same.
        Transit.objects.filter(holding=holding).delete()
    policy = selectors.policy_for(locked_patron, holding, branch)
    if Loan.objects.filter(patron=locked_patron).count() >= policy.max_loans:
        raise CirculationError(f"貸出上限 ({policy.max_loans}冊) に達しています", code="loan_limit")

    due_on = selectors.calendar_for(branch).due_date(today, policy.loan_days)
    try:
        with transaction.atomic():
            loan = Loan.objects.create(
                holding=holding, patron=locked_patron, branch=branch, checked_out_at=now, due_on=due_on
            )
    except IntegrityError:
        raise CirculationError("この資料は貸出中です", code="on_loan") from None
    if hold is not None:
        next_hold_state(HoldState(hold.state), HoldAction.CHECK_OUT)
        hold.delete()
        _event(
            CirculationEvent.Kind.HOLD_FILLED, on=today, branch=branch, holding=holding, patron=locked_patron
        )
    catalog_services.update_holding_status(holding=holding, status=HoldingStatus.ON_LOAN)
    _event(CirculationEvent.Kind.CHECKOUT, on=today, branch=branch, holding=holding, patron=locked_patron)
    return loan


@transaction.atomic
def checkin(*, barcode: str, branch: Branch, actor: Any = None, now: datetime | None = None) -> CheckinResult:
    """Take a copy back (返却) at any branch — or receive one from transit or the pull list — and
    say where it goes: the shelf, the hold shelf here, or in transit (home or to a pickup branch)."""
    now = _now(now)
    today = _today(now)
    holding = catalog_services.lock_holding(barcode=barcode)
    loan = Loan.objects.select_for_update().select_related("patron").filter(holding=holding).first()
    late = 0
    if loan is not None:
        next_loan_state(LoanState(loan.state), LoanAction.RETURN)
        patron = loan.patron
        late = max(0, (today - loan.due_on).days)
        if patron.reading_history:
            ReadingHistory.objects.create(
                patron=patron,
                record_id=holding.record_id,
                borrowed_on=_today(loan.checked_out_at),
                returned_on=today,
            )
        until = suspension_after_return(selectors.overdue_mode(), loan.due_on, today)
        if until is not None:
            current = PatronSuspension.objects.filter(patron=patron).first()
            if current is None:
                PatronSuspension.objects.create(patron=patron, until=until)
            elif current.until < until:
                current.until = until
                current.save(update_fields=["until"])
        _event(CirculationEvent.Kind.RETURN, on=today, branch=branch, holding=holding, patron=patron)
        loan.delete()  # the link between the patron and the copy ends here
    Transit.objects.filter(holding=holding).delete()
    HoldShelfClearance.objects.filter(holding=holding).delete()  # taken down from the hold shelf

    if HoldingStatus(holding.status) in NOT_LENDABLE - {HoldingStatus.MISSING}:
        # A reference-only or withdrawn copy goes back where it belongs; it fills no hold.
        return _route_home(holding, branch, now, was_on_loan=loan is not None, late=late)

    # A copy already assigned to a hold (arriving from transit, or scanned again on the hold shelf).
    assigned = (
        Hold.objects.select_for_update(of=("self",))
        .filter(assigned=holding, state__in=[HoldState.IN_TRANSIT, HoldState.READY])
        .select_related("patron", "pickup_branch")
        .first()
    )
    if assigned is None:
        assigned = _next_hold_for(holding)
        if assigned is not None:
            assigned.assigned = holding
    if assigned is not None:
        return _send_to_hold(assigned, holding, branch, now, was_on_loan=loan is not None, late=late)
    return _route_home(holding, branch, now, was_on_loan=loan is not None, late=late)


def _next_hold_for(holding: Holding) -> Hold | None:
    """The first hold in the queue that this copy can fill (suspended holds are passed over)."""
    return (
        Hold.objects.select_for_update(of=("self",))
        .filter(record_id=holding.record_id, state=HoldState.WAITING)
        .filter(Q(holding__isnull=True) | Q(holding=holding))
        .select_related("patron", "pickup_branch")
        .order_by("placed_at", "pk")
        .first()
    )


def _send_to_hold(
    hold: Hold, holding: Holding, here: Branch, now: datetime, *, was_on_loan: bool, late: int
) -> CheckinResult:
    today = _today(now)
    if hold.pickup_branch_id == here.pk:
        if hold.state != HoldState.READY:
            hold.state = next_hold_state(
                HoldState(hold.state),
                HoldAction.ARRIVE if hold.state == HoldState.IN_TRANSIT else HoldAction.TRAP,
            )
            policy = selectors.policy_for(hold.patron, holding, here)
            hold.ready_on = today
            hold.pickup_by = selectors.calendar_for(here).due_date(today, policy.hold_pickup_days)
            _notify_hold_ready(hold, holding, here, today)
            hold.save()
        catalog_services.update_holding_status(holding=holding, status=HoldingStatus.ON_HOLD_SHELF)
        return CheckinResult(holding, was_on_loan, late, "hold_shelf", None, hold)
    if hold.state == HoldState.WAITING:
        hold.state = next_hold_state(HoldState.WAITING, HoldAction.SEND)
        hold.save()
    elif hold.state == HoldState.READY:  # scanned at another branch than its hold shelf: send it back
        hold.state = HoldState.IN_TRANSIT
        hold.ready_on = hold.pickup_by = hold.ready_sent_on = None  # told again, with the new deadline
        hold.save()
    Transit.objects.create(
        holding=holding,
        from_branch=here,
        to_branch=hold.pickup_branch,
        reason=Transit.Reason.HOLD,
        sent_at=now,
    )
    catalog_services.update_holding_status(holding=holding, status=HoldingStatus.IN_TRANSIT)
    return CheckinResult(holding, was_on_loan, late, "transit", hold.pickup_branch, hold)


def _notify_hold_ready(hold: Hold, holding: Holding, here: Branch, today: date) -> None:
    """予約資料のご用意: tell the patron once each time the hold goes on the hold shelf. The notice
    is written in this transaction; its e-mail goes after commit."""
    if hold.ready_sent_on is not None:
        return
    notice_services.send_notice(
        patron=hold.patron,
        kind=NoticeKind.HOLD_READY,
        items=[NoticeItem(holding.record.title or "（書名なし）")],
        context=NoticeContext(on=hold.pickup_by, branch=here.name, branch_en=here.name_en),
    )
    hold.ready_sent_on = today


def _route_home(
    holding: Holding, here: Branch, now: datetime, *, was_on_loan: bool, late: int
) -> CheckinResult:
    if holding.branch_id == here.pk:
        status = HoldingStatus(holding.status)
        if status in (HoldingStatus.ON_LOAN, HoldingStatus.IN_TRANSIT, HoldingStatus.ON_HOLD_SHELF):
            catalog_services.update_holding_status(holding=holding, status=HoldingStatus.AVAILABLE)
        return CheckinResult(holding, was_on_loan, late, "shelf", None, None)
    Transit.objects.create(
        holding=holding, from_branch=here, to_branch=holding.branch, reason=Transit.Reason.HOME, sent_at=now
    )
    if HoldingStatus(holding.status) not in NOT_LENDABLE:
        catalog_services.update_holding_status(holding=holding, status=HoldingStatus.IN_TRANSIT)
    return CheckinResult(holding, was_on_loan, late, "transit", holding.branch, None)


@transaction.atomic
def renew(
    *,
    barcode: str,
    patron: Patron | None = None,
    actor: Any = None,
    now: datetime | None = None,
    by: audit.By | None = None,
) -> Loan:
    """Extend a loan (延長) from today by the loan period. Refused when holds wait for the copy,
    when the renewals allowed are used up, or when the loan is already overdue. `patron`, when
    given (the patron's own account, the self-check), must be the borrower. Staff renewing for a
    patron pass `by`: the audit log records that (never which copy)."""
    now = _now(now)
    today = _today(now)
    holding = catalog_services.lock_holding(barcode=barcode)
    loan = (
        Loan.objects.select_for_update(of=("self", "patron"))
        .select_related("patron", "branch")
        .filter(holding=holding)
        .first()
    )
    if loan is None or (patron is not None and loan.patron_id != patron.pk):
        raise NotFound("この資料は貸出中ではありません", code="not_on_loan")
    next_loan_state(LoanState(loan.state), LoanAction.RENEW)
    problems = [p for p in borrowing_problems(loan.patron, today=today) if p.code != "overdue"]
    if problems:
        raise problems[0]
    if loan.due_on < today:
        raise CirculationError("返却期限を過ぎた資料は延長できません", code="overdue")
    policy = selectors.policy_for(loan.patron, holding, loan.branch)
    if loan.renewals >= policy.max_renewals:
        raise CirculationError(f"延長は{policy.max_renewals}回までです", code="renewal_limit")
    waiting = (
        Hold.objects.filter(record_id=holding.record_id, state__in=[HoldState.WAITING])
        .filter(Q(holding__isnull=True) | Q(holding=holding))
        .exists()
    )
    if waiting:
        raise CirculationError("予約がある資料は延長できません", code="holds_waiting")
    new_due = selectors.calendar_for(loan.branch).due_date(today, policy.loan_days)
    if new_due <= loan.due_on:
        raise CirculationError("延長しても返却期限は変わりません", code="renewal_not_needed")
    loan.due_on = new_due
    loan.renewals += 1
    loan.due_soon_sent_on = None
    loan.save(update_fields=["due_on", "renewals", "due_soon_sent_on"])
    _event(CirculationEvent.Kind.RENEW, on=today, branch=loan.branch, holding=holding, patron=loan.patron)
    if by is not None:
        audit.record(by=by, action=audit.Action.LOAN_RENEWED, patron_id=loan.patron_id)
    return loan


@transaction.atomic
def place_hold(
    *,
    patron: Patron,
    record: Record,
    pickup_branch: Branch,
    holding: Holding | None = None,
    not_needed_after: date | None = None,
    actor: Any = None,
    now: datetime | None = None,
    by: audit.By | None = None,
) -> Hold:
    """Reserve a record (any copy) or one copy (予約), to be picked up at `pickup_branch`. Staff
    placing it for a patron pass `by`: the audit log records that (never what was reserved)."""
    now = _now(now)
    today = _today(now)
    locked = _lock_patron(patron, today=today)
    problems = borrowing_problems(locked, today=today)
    if provisional.may_hold(PatronStatus(locked.status), patron_services.provisional_rules()):
        problems = [p for p in problems if p.code != IDENTITY_CHECK_NEEDED]
    if problems:
        raise problems[0]
    copies = Holding.objects.filter(record=record).exclude(status__in=[s.value for s in NOT_LENDABLE])
    if holding is not None:
        if holding.record_id != record.pk:
            raise CirculationError("指定の資料はこの書誌のものではありません", code="wrong_copy")
        copies = copies.filter(pk=holding.pk)
    copy = copies.select_related("record").first()  # one that could fill it: for the rules and statistics
    if copy is None:
        raise CirculationError("予約できる資料がありません (貸出できる所蔵がありません)", code="no_copies")
    if Hold.objects.filter(patron=locked, record=record).exists():
        raise CirculationError("この資料はすでに予約しています", code="already_held")
    if Loan.objects.filter(patron=locked, holding__record=record).exists():
        raise CirculationError("この資料はいま借りています", code="already_borrowed")
    policy = selectors.policy_for(locked, copy, pickup_branch)
    if Hold.objects.filter(patron=locked).count() >= policy.max_holds:
        raise CirculationError(f"予約上限 ({policy.max_holds}件) に達しています", code="hold_limit")
    try:
        with transaction.atomic():
            hold = Hold.objects.create(
                patron=locked,
                record=record,
                holding=holding,
                pickup_branch=pickup_branch,
                placed_at=now,
                not_needed_after=not_needed_after,
            )
    except IntegrityError:
        raise CirculationError("この資料はすでに予約しています", code="already_held") from None
    _event(CirculationEvent.Kind.HOLD_PLACED, on=today, branch=pickup_branch, holding=copy, patron=locked)
    if by is not None:
        audit.record(by=by, action=audit.Action.HOLD_PLACED, patron_id=locked.pk)
    return hold


def _lock_hold(hold: Hold | int, patron: Patron | None) -> Hold:
    pk = hold if isinstance(hold, int) else hold.pk
    locked = (
        Hold.objects.select_for_update(of=("self",))
        .select_related("patron", "pickup_branch")
        .filter(pk=pk)
        .first()
    )
    if locked is None or (patron is not None and locked.patron_id != patron.pk):
        raise NotFound("予約が見つかりません", code="hold_not_found")
    return locked


@transaction.atomic
def suspend_hold(*, hold: Hold | int, patron: Patron | None = None, actor: Any = None) -> Hold:
    """Pause a hold (保留): it keeps its place in the queue and is passed over until resumed."""
    locked = _lock_hold(hold, patron)
    locked.state = next_hold_state(HoldState(locked.state), HoldAction.SUSPEND)
    locked.save(update_fields=["state"])
    return locked


@transaction.atomic
def resume_hold(*, hold: Hold | int, patron: Patron | None = None, actor: Any = None) -> Hold:
    locked = _lock_hold(hold, patron)
    locked.state = next_hold_state(HoldState(locked.state), HoldAction.RESUME)
    locked.save(update_fields=["state"])
    return locked


@transaction.atomic
def cancel_hold(
    *,
    hold: Hold | int,
    patron: Patron | None = None,
    actor: Any = None,
    now: datetime | None = None,
    by: audit.By | None = None,
) -> None:
    """Cancel a hold. A copy it held goes on to the next hold, or home. Staff cancelling for a
    patron pass `by` (audited, without what the hold was for)."""
    locked = _lock_hold(hold, patron)
    next_hold_state(HoldState(locked.state), HoldAction.CANCEL)
    _release(locked, _now(now), reason=HoldShelfClearance.Reason.CANCELLED)
    if by is not None:
        audit.record(by=by, action=audit.Action.HOLD_CANCELLED, patron_id=locked.patron_id)


def _release(hold: Hold, now: datetime, *, reason: str) -> None:
    """Delete an ended hold. A copy it held on the hold shelf stays there, listed for staff to take
    down and scan (HoldShelfClearance) — the shelf is physical, so the copy moves on only when a
    person moves it; a copy on its way to the pickup branch is sent home instead."""
    copy_id = hold.assigned_id if hold.state in (HoldState.READY, HoldState.IN_TRANSIT) else None
    state = hold.state
    pickup = hold.pickup_branch
    hold.delete()
    if copy_id is None:
        return
    holding = (
        Holding.objects.select_for_update(of=("self",)).select_related("record", "branch").get(pk=copy_id)
    )
    if state == HoldState.READY:
        HoldShelfClearance.objects.update_or_create(
            holding=holding,
            defaults={"branch": pickup, "reason": reason, "since": _today(now)},
        )
    else:
        # On its way to the pickup branch: it goes home instead (routed again on arrival).
        Transit.objects.filter(holding=holding).update(to_branch=holding.branch, reason=Transit.Reason.HOME)


@transaction.atomic
def expire_holds(*, now: datetime | None = None) -> int:
    """End holds not picked up by their deadline (取置期限) and holds past their not-needed-after
    date; their copies go on to the next hold or home, and their patrons are told (予約の期限切れ:
    one notice per patron and reason, the e-mail after commit). Run daily (`manage.py
    send_notices`); returns how many holds ended."""
    now = _now(now)
    today = _today(now)
    ending = list(selectors.holds_to_expire(today).values_list("pk", "state"))
    # Unwanted holds first: a copy released from the hold shelf must not go to one of them.
    ending.sort(key=lambda row: row[1] == HoldState.READY)
    ended: list[Hold] = []
    for pk, _state in ending:
        hold = (
            Hold.objects.select_for_update(of=("self",))
            .select_related("pickup_branch", "patron", "record")
            .filter(pk=pk)
            .first()
        )
        if hold is None:
            continue
        next_hold_state(HoldState(hold.state), HoldAction.EXPIRE)
        _release(hold, now, reason=HoldShelfClearance.Reason.EXPIRED)  # the instance still says what it was
        ended.append(hold)
    _notify_holds_expired(ended)
    return len(ended)


def _notify_holds_expired(holds: list[Hold]) -> None:
    groups: dict[tuple[int, int | None, date], list[Hold]] = {}
    for hold in holds:
        key: tuple[int, int | None, date]
        if hold.state == HoldState.READY and hold.pickup_by is not None:
            key = (hold.patron_id, hold.pickup_branch_id, hold.pickup_by)  # not collected there in time
        elif hold.not_needed_after is not None:
            key = (hold.patron_id, None, hold.not_needed_after)  # past the date the patron gave
        else:
            continue
        groups.setdefault(key, []).append(hold)
    for (_patron, at_branch, on), group in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][2])):
        branch = group[0].pickup_branch
        notice_services.send_notice(
            patron=group[0].patron,
            kind=NoticeKind.HOLD_EXPIRED,
            items=[NoticeItem(h.record.title or "（書名なし）") for h in group],
            context=NoticeContext(
                on=on,
                branch=branch.name if at_branch else "",
                branch_en=branch.name_en if at_branch else "",
            ),
        )


@transaction.atomic
def declare_lost(*, barcode: str, actor: Any = None) -> Loan:
    """The patron reports the copy lost (紛失): the loan stays theirs, the copy is missing."""
    holding = catalog_services.lock_holding(barcode=barcode)
    loan = Loan.objects.select_for_update().filter(holding=holding).first()
    if loan is None:
        raise NotFound("この資料は貸出中ではありません", code="not_on_loan")
    loan.state = next_loan_state(LoanState(loan.state), LoanAction.DECLARE_LOST)
    loan.save(update_fields=["state"])
    catalog_services.update_holding_status(holding=holding, status=HoldingStatus.MISSING)
    return loan


@transaction.atomic
def set_reading_history(*, patron: Patron, enabled: bool) -> Patron:
    """Opt in to or out of keeping a reading history. Opting out deletes every entry at once."""
    locked = Patron.objects.select_for_update().get(pk=patron.pk)
    locked.reading_history = enabled
    locked.save(update_fields=["reading_history", "updated_at"])
    if not enabled:
        ReadingHistory.objects.filter(patron=locked).delete()
    return locked


@transaction.atomic
def delete_history_entry(*, patron: Patron, entry_id: int) -> None:
    deleted, _ = ReadingHistory.objects.filter(patron=patron, pk=entry_id).delete()
    if not deleted:
        raise NotFound("記録が見つかりません", code="history_not_found")


__all__ = [
    "NOT_LENDABLE",
    "CheckinResult",
    "CirculationError",
    "cancel_hold",
    "checkin",
    "checkout",
    "declare_lost",
    "expire_holds",
    "place_hold",
    "renew",
    "resume_hold",
    "set_reading_history",
    "suspend_hold",
]
