"""Circulation in the JSON API: the desk's checkout, return, renewal and hold processing, a
patron's loans, holds and history as staff see them (every such read is audited), and the
patron's own account (/me). Thin: every write is a circulation service, every read a selector.

Object-level permissions: a patron's endpoints look loans and holds up *through the patron*, so
another patron's id is simply not found (404) — the same answer as an id that never existed.

Privacy (図書館の自由に関する宣言 第3): a return answers where the copy goes, never who returned
it; a returned copy is in no loan list, and the stored answers of Idempotency-Key go with the loan.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.params import functions as param
from ninja.responses import Status

from toshokan.catalog.models import Record
from toshokan.core import audit
from toshokan.core.domain import NotFound
from toshokan.notices import selectors as notice_selectors
from toshokan.notices import services as notice_services
from toshokan.notices.models import Notice
from toshokan.patrons import services as patron_services
from toshokan.patrons.api import ErrorOut, PatronOut, branch_by_code, patron_out
from toshokan.patrons.api_auth import RUN_LIBRARY_JOBS, actor_key, desk, patron, patron_of
from toshokan.patrons.domain.enums import StaffAccessKind
from toshokan.patrons.models import Patron

from . import idempotency, selectors, services
from .domain.states import HoldState, LoanState
from .models import Hold, Loan

router = Router(tags=["circulation"])

IdempotencyKey = param.Header(
    None,
    alias=idempotency.HEADER,
    description="a unique string per intended write (e.g. a UUID); a retry with the same key and "
    "body returns the first answer and writes nothing (see docs/api.md)",
)


# -- schemas ------------------------------------------------------------------------------------


class RecordRef(Schema):
    id: int
    title: str


class PatronRef(Schema):
    card_number: str
    name: str


class LoanOut(Schema):
    id: int
    barcode: str
    record: RecordRef
    branch: str = Field(description="where it was lent")
    checked_out_at: datetime
    due_on: date
    overdue: bool
    renewals: int
    state: LoanState


class DeskLoanOut(LoanOut):
    patron: PatronRef


class EstimateOut(Schema):
    position: int = Field(description="1 = next in the queue (suspended holds ahead do not count)")
    copies: int = Field(description="copies that can fill the hold")
    expected_on: date | None = Field(description="estimated day a copy is ready; null: no copy can fill it")
    days: int | None = Field(description="days from today to expected_on")


class HoldOut(Schema):
    id: int
    record: RecordRef
    copy_barcode: str | None = Field(description="the one copy asked for, if not any copy")
    pickup_branch: str
    state: HoldState
    placed_at: datetime
    estimate: EstimateOut | None = Field(description="for holds still waiting or suspended")
    assigned_barcode: str | None = Field(description="the copy on its way or on the hold shelf")
    ready_on: date | None
    pickup_by: date | None = Field(description="取置期限: collect it by this day")
    not_needed_after: date | None


class DeskHoldOut(HoldOut):
    patron: PatronRef


class HoldSlipOut(Schema):
    """The slip a returned copy gets when it fills a hold (hold shelf or transit)."""

    id: int
    patron: PatronRef
    pickup_branch: str
    pickup_by: date | None


class ReturnOut(Schema):
    barcode: str
    record: RecordRef
    was_on_loan: bool
    days_overdue: int
    route: Literal["shelf", "hold_shelf", "transit"]
    to_branch: str | None = Field(description="for route=transit: where to send it")
    hold: HoldSlipOut | None


class ProblemOut(Schema):
    code: str
    detail: str


class PatronDetailOut(PatronOut):
    problems: list[ProblemOut] = Field(description="why the patron may not borrow today (empty: they may)")
    loan_count: int
    hold_count: int
    ready_hold_count: int


class MeOut(Schema):
    card_number: str
    name: str
    name_reading: str
    home_branch: str
    email: str
    phone: str
    postal_code: str
    address: str
    notice_channel: str
    due_soon_reminder: bool
    language: str
    reading_history: bool
    expires_on: date
    problems: list[ProblemOut]
    loan_count: int
    hold_count: int
    ready_hold_count: int


class HistoryEntryOut(Schema):
    id: int
    record: RecordRef
    borrowed_on: date
    returned_on: date


class HistoryOut(Schema):
    enabled: bool = Field(description="the patron chose to keep a reading history")
    total: int
    entries: list[HistoryEntryOut] = Field(description="newest return first")


class PageParams(Schema):
    limit: Annotated[int, Field(ge=1, le=500)] = 100
    offset: Annotated[int, Field(ge=0)] = 0


class HistorySettingIn(Schema):
    enabled: bool = Field(description="false deletes every entry at once")


class CheckoutIn(Schema):
    barcode: str = Field(min_length=1, max_length=64)
    card_number: str = Field(min_length=1, max_length=64)
    branch: str = Field(description="the branch lending it (code)")


class ReturnIn(Schema):
    barcode: str = Field(min_length=1, max_length=64)
    branch: str = Field(description="the branch taking it back (code)")


class MyHoldIn(Schema):
    record_id: int
    pickup_branch: str = Field(description="branch code")
    holding: str | None = Field(None, description="a copy's barcode, to reserve that copy only")
    not_needed_after: date | None = Field(None, description="cancel by itself after this day")


class DeskHoldIn(MyHoldIn):
    card_number: str = Field(min_length=1, max_length=64)


class BranchParams(Schema):
    direction: Literal["incoming", "outgoing"] = "incoming"


class PullItemOut(Schema):
    hold_id: int
    barcode: str
    shelf_mark: str
    record: RecordRef
    pickup_branch: str
    placed_at: datetime


class ShelfItemOut(Schema):
    hold_id: int
    barcode: str | None
    record: RecordRef
    patron: PatronRef
    ready_on: date | None
    pickup_by: date | None
    past_pickup_by: bool


class TransitOut(Schema):
    barcode: str
    record: RecordRef
    from_branch: str
    to_branch: str
    reason: str
    sent_at: datetime


class ExpiredOut(Schema):
    expired: int


class NoticeOut(Schema):
    id: int
    kind: str
    kind_label: str
    channel: str
    status: str = Field(description="queued, sent, delivered or failed (docs/notices.md)")
    subject: str
    body: str
    created_at: datetime
    sent_at: datetime | None
    read_at: datetime | None


class DeskNoticeOut(NoticeOut):
    address: str
    error: str


class NoticesOut(Schema):
    unread: int
    notices: list[NoticeOut]


class MarkReadIn(Schema):
    ids: list[int] | None = Field(None, description="these notices; omitted: all of mine")


class MarkedOut(Schema):
    marked: int


# -- building answers ---------------------------------------------------------------------------


def _today() -> date:
    return timezone.localdate()


def record_ref(record: Record) -> dict[str, object]:
    return {"id": record.pk, "title": record.title}


def patron_ref(p: Patron) -> dict[str, object]:
    return {"card_number": p.card_number, "name": p.display_name}


def loan_out(loan: Loan, *, with_patron: bool) -> dict[str, object]:
    out: dict[str, object] = {
        "id": loan.pk,
        "barcode": loan.holding.barcode,
        "record": record_ref(loan.holding.record),
        "branch": loan.branch.code,
        "checked_out_at": loan.checked_out_at,
        "due_on": loan.due_on,
        "overdue": loan.due_on < _today(),
        "renewals": loan.renewals,
        "state": loan.state,
    }
    if with_patron:
        out["patron"] = patron_ref(loan.patron)
    return out


def hold_out(view: selectors.HoldView, *, with_patron: bool) -> dict[str, object]:
    hold, est = view.hold, view.estimate
    out: dict[str, object] = {
        "id": hold.pk,
        "record": record_ref(hold.record),
        "copy_barcode": hold.holding.barcode if hold.holding else None,
        "pickup_branch": hold.pickup_branch.code,
        "state": hold.state,
        "placed_at": hold.placed_at,
        "estimate": None
        if est is None
        else {
            "position": est.position,
            "copies": est.copies,
            "expected_on": est.expected_on,
            "days": est.days_from(_today()),
        },
        "assigned_barcode": hold.assigned.barcode
        if hold.assigned and hold.state in (HoldState.IN_TRANSIT, HoldState.READY)
        else None,
        "ready_on": hold.ready_on,
        "pickup_by": hold.pickup_by,
        "not_needed_after": hold.not_needed_after,
    }
    if with_patron:
        out["patron"] = patron_ref(hold.patron)
    return out


def _hold_view(hold: Hold) -> selectors.HoldView:
    return selectors.hold_view(hold, today=_today())


def problems_out(p: Patron) -> list[dict[str, str]]:
    return [{"code": e.code, "detail": str(e)} for e in services.borrowing_problems(p, today=_today())]


def _counts(p: Patron) -> dict[str, int]:
    return selectors.account_counts(p)


def _json(schema: type[Schema], data: dict[str, object]) -> Any:
    """The body as JSON values (dates as strings), as stored for Idempotency-Key replays."""
    return schema.model_validate(data).model_dump(mode="json")


def _once(
    request: HttpRequest,
    response: HttpResponse,
    *,
    key: str | None,
    payload: Any,
    write: Callable[[], idempotency.Outcome],
) -> Status[Any]:
    """Run `write` once per Idempotency-Key of this caller and path; a retry gets the first answer."""
    answer = idempotency.perform_once(
        actor=actor_key(request), key=key, path=request.path, payload=payload, write=write
    )
    if answer.replayed:
        response["Idempotent-Replayed"] = "true"
    return Status(answer.status, answer.body)


def _place_hold(request: HttpRequest, p: Patron, data: MyHoldIn, *, with_patron: bool) -> idempotency.Outcome:
    hold = services.place_hold(
        patron=p,
        record=selectors.record_by_id(data.record_id),
        pickup_branch=branch_by_code(data.pickup_branch),
        holding=selectors.holding_by_barcode(data.holding) if data.holding else None,
        not_needed_after=data.not_needed_after,
        actor=request.user if with_patron else None,  # staff placing it for a patron
        by=_by(request) if with_patron else None,
    )
    schema = DeskHoldOut if with_patron else HoldOut
    body = _json(schema, hold_out(_hold_view(selectors.hold_by_id(hold.pk)), with_patron=with_patron))
    return idempotency.Outcome(201, body, hold=hold)


# -- the desk: lending --------------------------------------------------------------------------


@router.post(
    "/loans",
    response={201: DeskLoanOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    auth=desk(),
    summary="Check a copy out to a patron (貸出); honours Idempotency-Key",
)
def checkout(
    request: HttpRequest,
    response: HttpResponse,
    data: CheckoutIn,
    idempotency_key: str | None = IdempotencyKey,
) -> Status[Any]:
    def write() -> idempotency.Outcome:
        loan = services.checkout(
            barcode=data.barcode,
            patron=data.card_number,
            branch=branch_by_code(data.branch),
            actor=request.user,
        )
        # The service's loan carries its copy, record, branch and patron already: no reload.
        body = _json(DeskLoanOut, loan_out(loan, with_patron=True))
        return idempotency.Outcome(201, body, loan=loan)

    return _once(request, response, key=idempotency_key, payload=data.model_dump(), write=write)


@router.post(
    "/returns",
    response={200: ReturnOut, 404: ErrorOut, 422: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    auth=desk(),
    summary="Take a copy back (返却) at any branch, or receive it from transit: answers where it goes",
)
def checkin(
    request: HttpRequest, response: HttpResponse, data: ReturnIn, idempotency_key: str | None = IdempotencyKey
) -> Status[Any]:
    def write() -> idempotency.Outcome:
        result = services.checkin(
            barcode=data.barcode, branch=branch_by_code(data.branch), actor=request.user
        )
        hold = result.hold
        body = _json(
            ReturnOut,
            {
                "barcode": result.holding.barcode,
                "record": record_ref(result.holding.record),
                "was_on_loan": result.was_on_loan,
                "days_overdue": result.days_overdue,
                "route": result.route,
                "to_branch": result.to_branch.code if result.to_branch else None,
                "hold": None
                if hold is None
                else {
                    "id": hold.pk,
                    "patron": patron_ref(hold.patron),
                    "pickup_branch": hold.pickup_branch.code,
                    "pickup_by": hold.pickup_by,
                },
            },
        )
        # The slip names the patron the copy is now held for: it goes with that hold.
        return idempotency.Outcome(200, body, hold=hold)

    return _once(request, response, key=idempotency_key, payload=data.model_dump(), write=write)


@router.post(
    "/loans/{barcode}/renewal",
    response={200: DeskLoanOut, 404: ErrorOut, 409: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    auth=desk(),
    summary="Renew a loan (延長) at the desk",
)
def renew(request: HttpRequest, barcode: str) -> dict[str, object]:
    loan = services.renew(barcode=barcode, actor=request.user, by=_by(request))
    return loan_out(selectors.loan_by_id(loan.pk), with_patron=True)


@router.post(
    "/loans/{barcode}/lost",
    response={200: DeskLoanOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    auth=desk(),
    summary="The patron reports the copy lost (紛失): the loan stays theirs, the copy is missing",
)
def declare_lost(request: HttpRequest, barcode: str) -> dict[str, object]:
    loan = services.declare_lost(barcode=barcode, actor=request.user)
    return loan_out(selectors.loan_by_id(loan.pk), with_patron=True)


# -- the desk: a patron's account (every read audited) ------------------------------------------


def _by(request: HttpRequest) -> audit.By:
    """The staff member calling, for the audit log (docs/audit.md)."""
    return audit.by_request(request, audit.Via.API)


def _viewed(request: HttpRequest, patron: Patron, kind: StaffAccessKind) -> None:
    patron_services.record_staff_access(
        actor=request.user, patron=patron, kind=kind, via="api", client_address=audit.client_address(request)
    )


def _audited_patron(request: HttpRequest, card_number: str, kind: StaffAccessKind) -> Patron:
    found = patron_services.find_by_card(card_number)
    _viewed(request, found, kind)
    return found


@router.get(
    "/patrons/{card_number}",
    response={200: PatronDetailOut, 404: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    auth=desk(),
    tags=["patrons"],
    summary="A patron's registration, blocks and why they may not borrow (audited)",
)
def patron_detail(request: HttpRequest, card_number: str) -> dict[str, object]:
    found = _audited_patron(request, card_number, StaffAccessKind.PROFILE)
    return {**patron_out(found), "problems": problems_out(found), **_counts(found)}


@router.get(
    "/patrons/{card_number}/loans",
    response={200: list[DeskLoanOut], 404: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    auth=desk(),
    tags=["patrons"],
    summary="A patron's current loans (audited)",
)
def patron_loans(request: HttpRequest, card_number: str) -> list[dict[str, object]]:
    found = _audited_patron(request, card_number, StaffAccessKind.LOANS)
    return [loan_out(loan, with_patron=True) for loan in selectors.patron_loans(found)]


@router.get(
    "/patrons/{card_number}/holds",
    response={200: list[DeskHoldOut], 404: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    auth=desk(),
    tags=["patrons"],
    summary="A patron's holds with queue positions and estimates (audited)",
)
def patron_holds(request: HttpRequest, card_number: str) -> list[dict[str, object]]:
    found = _audited_patron(request, card_number, StaffAccessKind.HOLDS)
    return [hold_out(v, with_patron=True) for v in selectors.patron_holds(found, today=_today())]


@router.get(
    "/patrons/{card_number}/history",
    response={200: HistoryOut, 404: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    auth=desk(),
    tags=["patrons"],
    summary="A patron's reading history — only if they chose to keep one (audited)",
)
def patron_history(request: HttpRequest, card_number: str, page: Query[PageParams]) -> dict[str, object]:
    found = _audited_patron(request, card_number, StaffAccessKind.HISTORY)
    return _history(found, page)


def notice_out(n: Notice, *, for_staff: bool) -> dict[str, object]:
    out: dict[str, object] = {
        "id": n.pk,
        "kind": n.kind,
        "kind_label": n.get_kind_display(),
        "channel": n.channel,
        "status": n.status,
        "subject": n.subject,
        "body": n.body,
        "created_at": n.created_at,
        "sent_at": n.sent_at,
        "read_at": n.read_at,
    }
    if for_staff:
        out |= {"address": n.address, "error": n.error}
    return out


NOTICES_LIMIT = 200


@router.get(
    "/patrons/{card_number}/notices",
    response={200: list[DeskNoticeOut], 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    auth=desk(),
    tags=["patrons"],
    summary="A patron's notice log, sent, delivered or failed (needs notices.view_notice; audited)",
)
def patron_notices(request: HttpRequest, card_number: str) -> list[dict[str, object]]:
    found = patron_services.find_by_card(card_number)
    notices = notice_selectors.notices_for_staff(
        actor=request.user, patron=found, via="api", client_address=audit.client_address(request)
    )
    return [notice_out(n, for_staff=True) for n in notices[:NOTICES_LIMIT]]


# -- the desk: holds ----------------------------------------------------------------------------


@router.post(
    "/holds",
    response={201: DeskHoldOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    auth=desk(),
    summary="Place a hold (予約) for a patron; honours Idempotency-Key",
)
def place_hold(
    request: HttpRequest,
    response: HttpResponse,
    data: DeskHoldIn,
    idempotency_key: str | None = IdempotencyKey,
) -> Status[Any]:
    def write() -> idempotency.Outcome:
        return _place_hold(request, patron_services.find_by_card(data.card_number), data, with_patron=True)

    return _once(request, response, key=idempotency_key, payload=data.model_dump(mode="json"), write=write)


@router.delete(
    "/holds/{int:hold_id}",
    response={204: None, 404: ErrorOut, 409: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    auth=desk(),
    summary="Cancel a hold (a copy it held goes on to the next hold, or home)",
)
def cancel_hold(request: HttpRequest, hold_id: int) -> Status[None]:
    services.cancel_hold(hold=hold_id, actor=request.user, by=_by(request))
    return Status(204, None)


@router.post(
    "/holds/{int:hold_id}/suspend",
    response={200: DeskHoldOut, 404: ErrorOut, 409: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    auth=desk(),
    summary="Suspend a hold (保留): it keeps its place and is passed over until resumed",
)
def suspend_hold(request: HttpRequest, hold_id: int) -> dict[str, object]:
    hold = services.suspend_hold(hold=hold_id, actor=request.user)
    return hold_out(_hold_view(selectors.hold_by_id(hold.pk)), with_patron=True)


@router.post(
    "/holds/{int:hold_id}/resume",
    response={200: DeskHoldOut, 404: ErrorOut, 409: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    auth=desk(),
    summary="Resume a suspended hold",
)
def resume_hold(request: HttpRequest, hold_id: int) -> dict[str, object]:
    hold = services.resume_hold(hold=hold_id, actor=request.user)
    return hold_out(_hold_view(selectors.hold_by_id(hold.pk)), with_patron=True)


@router.post(
    "/holds/expire",
    response={200: ExpiredOut, 401: ErrorOut, 403: ErrorOut},
    auth=desk(RUN_LIBRARY_JOBS),
    summary="End holds past their pickup deadline or not-needed-after date (normally a daily task)",
)
def expire_holds(request: HttpRequest) -> dict[str, int]:
    return {"expired": services.expire_holds()}


@router.get(
    "/branches/{branch}/pull-list",
    response={200: list[PullItemOut], 404: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    auth=desk(),
    summary="集書リスト: copies on this branch's shelves to fetch for waiting holds",
)
def pull_list(request: HttpRequest, branch: str) -> list[dict[str, object]]:
    return [
        {
            "hold_id": hold.pk,
            "barcode": copy.barcode,
            "shelf_mark": copy.shelf_mark,
            "record": record_ref(hold.record),
            "pickup_branch": hold.pickup_branch.code,
            "placed_at": hold.placed_at,
        }
        for hold, copy in selectors.pull_list(branch_by_code(branch))
    ]


@router.get(
    "/branches/{branch}/hold-shelf",
    response={200: list[ShelfItemOut], 404: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    auth=desk(),
    summary="取置棚: holds ready for pickup here, with whose they are (audited per patron)",
)
def hold_shelf(request: HttpRequest, branch: str) -> list[dict[str, object]]:
    holds = list(selectors.hold_shelf(branch_by_code(branch)))
    for p in {h.patron_id: h.patron for h in holds}.values():
        _viewed(request, p, StaffAccessKind.HOLDS)
    today = _today()
    return [
        {
            "hold_id": h.pk,
            "barcode": h.assigned.barcode if h.assigned else None,
            "record": record_ref(h.record),
            "patron": patron_ref(h.patron),
            "ready_on": h.ready_on,
            "pickup_by": h.pickup_by,
            "past_pickup_by": h.pickup_by is not None and h.pickup_by < today,
        }
        for h in holds
    ]


@router.get(
    "/branches/{branch}/transits",
    response={200: list[TransitOut], 404: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    auth=desk(),
    summary="Copies in transit to (incoming) or from (outgoing) this branch",
)
def transits(request: HttpRequest, branch: str, params: Query[BranchParams]) -> list[dict[str, object]]:
    return [
        {
            "barcode": t.holding.barcode,
            "record": record_ref(t.holding.record),
            "from_branch": t.from_branch.code,
            "to_branch": t.to_branch.code,
            "reason": t.reason,
            "sent_at": t.sent_at,
        }
        for t in selectors.transits(branch_by_code(branch), incoming=params.direction == "incoming")
    ]


# -- the patron's own account -------------------------------------------------------------------


@router.get(
    "/me",
    response={200: MeOut, 401: ErrorOut, 403: ErrorOut},
    auth=patron(),
    tags=["patron account"],
    summary="The logged-in patron: registration, preferences and why they may not borrow",
)
def me(request: HttpRequest) -> dict[str, object]:
    p = patron_of(request)
    return {
        "card_number": p.card_number,
        "name": p.display_name,
        "name_reading": p.name_reading,
        "home_branch": p.home_branch.code,
        "email": p.email,
        "phone": p.phone,
        "postal_code": p.postal_code,
        "address": p.address,
        "notice_channel": p.notice_channel,
        "due_soon_reminder": p.due_soon_reminder,
        "language": p.language,
        "reading_history": p.reading_history,
        "expires_on": p.expires_on,
        "problems": problems_out(p),
        **_counts(p),
    }


@router.get(
    "/me/loans",
    response={200: list[LoanOut], 401: ErrorOut, 403: ErrorOut},
    auth=patron(),
    tags=["patron account"],
    summary="My loans, soonest due first",
)
def my_loans(request: HttpRequest) -> list[dict[str, object]]:
    return [loan_out(loan, with_patron=False) for loan in selectors.patron_loans(patron_of(request))]


@router.post(
    "/me/loans/{int:loan_id}/renewal",
    response={200: LoanOut, 404: ErrorOut, 409: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    auth=patron(),
    tags=["patron account"],
    summary="Renew one of my loans (延長)",
)
def renew_my_loan(request: HttpRequest, loan_id: int) -> dict[str, object]:
    me_ = patron_of(request)
    loan = selectors.patron_loans(me_).filter(pk=loan_id).first()
    if loan is None:
        raise NotFound("貸出が見つかりません", code="loan_not_found")
    renewed = services.renew(barcode=loan.holding.barcode, patron=me_)
    return loan_out(selectors.loan_by_id(renewed.pk), with_patron=False)


@router.get(
    "/me/holds",
    response={200: list[HoldOut], 401: ErrorOut, 403: ErrorOut},
    auth=patron(),
    tags=["patron account"],
    summary="My holds, with my place in the queue and an estimated wait",
)
def my_holds(request: HttpRequest) -> list[dict[str, object]]:
    return [
        hold_out(v, with_patron=False) for v in selectors.patron_holds(patron_of(request), today=_today())
    ]


@router.post(
    "/me/holds",
    response={201: HoldOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    auth=patron(),
    tags=["patron account"],
    summary="Place a hold (予約) on a record or one copy; honours Idempotency-Key",
)
def place_my_hold(
    request: HttpRequest,
    response: HttpResponse,
    data: MyHoldIn,
    idempotency_key: str | None = IdempotencyKey,
) -> Status[Any]:
    return _once(
        request,
        response,
        key=idempotency_key,
        payload=data.model_dump(mode="json"),
        write=lambda: _place_hold(request, patron_of(request), data, with_patron=False),
    )


@router.delete(
    "/me/holds/{int:hold_id}",
    response={204: None, 404: ErrorOut, 409: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    auth=patron(),
    tags=["patron account"],
    summary="Cancel one of my holds",
)
def cancel_my_hold(request: HttpRequest, hold_id: int) -> Status[None]:
    services.cancel_hold(hold=hold_id, patron=patron_of(request))
    return Status(204, None)


@router.post(
    "/me/holds/{int:hold_id}/suspend",
    response={200: HoldOut, 404: ErrorOut, 409: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    auth=patron(),
    tags=["patron account"],
    summary="Suspend one of my holds (it keeps its place)",
)
def suspend_my_hold(request: HttpRequest, hold_id: int) -> dict[str, object]:
    hold = services.suspend_hold(hold=hold_id, patron=patron_of(request))
    return hold_out(_hold_view(selectors.hold_by_id(hold.pk)), with_patron=False)


@router.post(
    "/me/holds/{int:hold_id}/resume",
    response={200: HoldOut, 404: ErrorOut, 409: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    auth=patron(),
    tags=["patron account"],
    summary="Resume one of my suspended holds",
)
def resume_my_hold(request: HttpRequest, hold_id: int) -> dict[str, object]:
    hold = services.resume_hold(hold=hold_id, patron=patron_of(request))
    return hold_out(_hold_view(selectors.hold_by_id(hold.pk)), with_patron=False)


@router.get(
    "/me/notices",
    response={200: NoticesOut, 401: ErrorOut, 403: ErrorOut},
    auth=patron(),
    tags=["patron account"],
    summary="My notices (お知らせ), newest first, with how many I have not read",
)
def my_notices(request: HttpRequest) -> dict[str, object]:
    me_ = patron_of(request)
    return {
        "unread": notice_selectors.unread_count(me_),
        "notices": [
            notice_out(n, for_staff=False) for n in notice_selectors.patron_notices(me_)[:NOTICES_LIMIT]
        ],
    }


@router.post(
    "/me/notices/read",
    response={200: MarkedOut, 401: ErrorOut, 403: ErrorOut},
    auth=patron(),
    tags=["patron account"],
    summary="Mark my notices read (these, or all of them)",
)
def mark_my_notices_read(request: HttpRequest, data: MarkReadIn) -> dict[str, int]:
    return {"marked": notice_services.mark_read(patron=patron_of(request), notice_ids=data.ids)}


def _history(p: Patron, page: PageParams | None = None) -> dict[str, object]:
    if not p.reading_history:  # nothing is shown, even a row left behind by mistake
        return {"enabled": False, "total": 0, "entries": []}
    page = page or PageParams()
    entries = selectors.reading_history(p)
    return {
        "enabled": True,
        "total": entries.count(),
        "entries": [
            {
                "id": e.pk,
                "record": record_ref(e.record),
                "borrowed_on": e.borrowed_on,
                "returned_on": e.returned_on,
            }
            for e in entries[page.offset : page.offset + page.limit]
        ],
    }


@router.get(
    "/me/reading-history",
    response={200: HistoryOut, 401: ErrorOut, 403: ErrorOut},
    auth=patron(),
    tags=["patron account"],
    summary="My reading history (kept only if I chose it)",
)
def my_history(request: HttpRequest, page: Query[PageParams]) -> dict[str, object]:
    return _history(patron_of(request), page)


@router.put(
    "/me/reading-history",
    response={200: HistoryOut, 401: ErrorOut, 403: ErrorOut},
    auth=patron(),
    tags=["patron account"],
    summary="Choose to keep a reading history, or stop (stopping deletes it all)",
)
def set_my_history(request: HttpRequest, data: HistorySettingIn) -> dict[str, object]:
    return _history(services.set_reading_history(patron=patron_of(request), enabled=data.enabled))


@router.delete(
    "/me/reading-history/{int:entry_id}",
    response={204: None, 404: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    auth=patron(),
    tags=["patron account"],
    summary="Delete one entry of my reading history",
)
def delete_my_history_entry(request: HttpRequest, entry_id: int) -> Status[None]:
    services.delete_history_entry(patron=patron_of(request), entry_id=entry_id)
    return Status(204, None)
