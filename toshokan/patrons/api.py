"""Patrons in the JSON API: the patron's login session, and registration, look-up, preferences,
blocks, registration renewal and PIN resets at the desk. Thin: every write is a patrons service.

What a patron has borrowed or reserved is circulation's (toshokan.circulation.api), and so is the
full view of a patron (with why they may not borrow), since only circulation knows that.
"""

from __future__ import annotations

import math
from datetime import date, datetime

from django.http import HttpRequest
from django.middleware.csrf import get_token, rotate_token
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.responses import Status
from ninja.utils import check_csrf

from toshokan.catalog.models import Branch
from toshokan.core import audit
from toshokan.core.api_auth import CsrfFailed
from toshokan.core.domain import DomainError, NotFound

from . import selectors, services, sessions
from .api_auth import CHANGE_PATRONS, MANAGE_BLOCKS, REGISTER_PATRONS, desk, patron, patron_of
from .domain.enums import BlockReason, NoticeChannel, PatronCategory, Residency, StaffAccessKind
from .models import Patron, PatronBlock

router = Router(tags=["patrons"])


class ErrorOut(Schema):
    error: str = Field(description="a stable code, e.g. patron_not_found")
    detail: str = Field(description="what went wrong, for people (Japanese, with English)")


class UnsupportedMediaType(DomainError):
    code = "json_required"


def branch_by_code(code: str) -> Branch:
    branch = Branch.objects.filter(code=code).first()
    if branch is None:
        raise NotFound(f"館コード {code} の館はありません (no branch {code!r})", code="branch_not_found")
    return branch


# -- schemas ------------------------------------------------------------------------------------


class BlockOut(Schema):
    id: int
    reason: BlockReason
    reason_label: str
    note: str
    created_at: datetime
    lifted_at: datetime | None


class PatronSummaryOut(Schema):
    card_number: str
    name: str
    name_reading: str
    home_branch: str
    expires_on: date


class PatronOut(Schema):
    """A patron's registration as the desk sees it."""

    card_number: str
    family_name: str
    given_name: str
    name_reading: str
    category: PatronCategory
    residency: Residency
    home_branch: str
    birth_date: date | None
    email: str
    phone: str
    postal_code: str
    address: str
    notice_channel: NoticeChannel
    due_soon_reminder: bool
    language: str
    reading_history: bool = Field(description="the patron chose to keep a reading history")
    registered_on: date
    expires_on: date
    expired: bool
    has_pin: bool
    blocks: list[BlockOut] = Field(description="blocks in force (貸出停止)")


class PatronCreateIn(Schema):
    family_name: str = Field(min_length=1, max_length=100)
    given_name: str = Field("", max_length=100)
    name_reading: str = Field("", max_length=200)
    category: PatronCategory = PatronCategory.ADULT
    residency: Residency = Residency.RESIDENT
    home_branch: str = Field(description="branch code")
    email: str = ""
    phone: str = ""
    postal_code: str = ""
    address: str = ""
    birth_date: date | None = None
    pin: str = Field("", description="4-8 digits; empty: set later")
    card_number: str = Field("", description="a pre-printed card's number; empty: the next number")
    notice_channel: NoticeChannel | None = None


class PreferencesIn(Schema):
    """Only the fields sent are changed."""

    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=32)
    postal_code: str | None = Field(None, max_length=16)
    address: str | None = Field(None, max_length=500)
    notice_channel: NoticeChannel | None = None
    due_soon_reminder: bool | None = None
    language: str | None = Field(None, max_length=8)


class BlockIn(Schema):
    reason: BlockReason
    note: str = Field("", max_length=500)


class PinIn(Schema):
    pin: str = Field(description="4-8 digits")


class PinChangeIn(Schema):
    current_pin: str
    new_pin: str


class SessionIn(Schema):
    card_number: str = Field(description="the card number as printed or scanned")
    pin: str
    remember: bool = Field(False, description="keep the session after the browser closes")


class SessionOut(Schema):
    card_number: str
    name: str
    csrf_token: str = Field(description="send it back in the X-CSRFToken header on POST, PUT, PATCH, DELETE")


def block_out(block: PatronBlock) -> dict[str, object]:
    return {
        "id": block.pk,
        "reason": block.reason,
        "reason_label": block.get_reason_display(),
        "note": block.note,
        "created_at": block.created_at,
        "lifted_at": block.lifted_at,
    }


def patron_out(p: Patron) -> dict[str, object]:
    from .domain.registration import is_expired

    return {
        "card_number": p.card_number,
        "family_name": p.family_name,
        "given_name": p.given_name,
        "name_reading": p.name_reading,
        "category": p.category,
        "residency": p.residency,
        "home_branch": p.home_branch.code,
        "birth_date": p.birth_date,
        "email": p.email,
        "phone": p.phone,
        "postal_code": p.postal_code,
        "address": p.address,
        "notice_channel": p.notice_channel,
        "due_soon_reminder": p.due_soon_reminder,
        "language": p.language,
        "reading_history": p.reading_history,
        "registered_on": p.registered_on,
        "expires_on": p.expires_on,
        "expired": is_expired(p.expires_on, timezone.localdate()),
        "has_pin": bool(p.pin_hash),
        "blocks": [block_out(b) for b in selectors.active_blocks(p)],
    }


def summary_out(p: Patron) -> dict[str, object]:
    return {
        "card_number": p.card_number,
        "name": p.display_name,
        "name_reading": p.name_reading,
        "home_branch": p.home_branch.code,
        "expires_on": p.expires_on,
    }


def _reload(p: Patron) -> Patron:
    return services.find_by_card(p.card_number)


# -- the patron's session -----------------------------------------------------------------------


@router.post(
    "/patron/session",
    response={200: SessionOut, 400: ErrorOut, 401: ErrorOut, 415: ErrorOut, 422: ErrorOut, 429: ErrorOut},
    auth=None,
    tags=["patron account"],
    summary="Log in with card number and PIN: sets the session cookie (and a CSRF token)",
)
def log_in(request: HttpRequest, data: SessionIn) -> dict[str, object]:
    # A JSON body is required: a cross-site <form> cannot send one without the browser asking
    # first (CORS), which is what keeps this login safe from login CSRF without a token.
    if request.content_type != "application/json":
        raise UnsupportedMediaType("Content-Type: application/json で送ってください")
    found = services.log_in(
        card_number=data.card_number, pin=data.pin, client_address=request.META.get("REMOTE_ADDR", "")
    )
    sessions.start(request, found, remember=data.remember)
    rotate_token(request)
    return {"card_number": found.card_number, "name": found.display_name, "csrf_token": get_token(request)}


@router.get(
    "/patron/session",
    response={200: SessionOut, 401: ErrorOut, 403: ErrorOut},
    auth=patron(),
    tags=["patron account"],
    summary="Who is logged in, with the session's CSRF token (for a client that lost it)",
)
def current_session(request: HttpRequest) -> dict[str, object]:
    me = patron_of(request)
    return {"card_number": me.card_number, "name": me.display_name, "csrf_token": get_token(request)}


@router.delete(
    "/patron/session",
    response={204: None, 403: ErrorOut},
    auth=None,
    tags=["patron account"],
    summary="Log out (ends the patron's session; a staff login in the same browser stays)",
)
def log_out(request: HttpRequest) -> Status[None]:
    if sessions.current_patron(request) is not None:
        if check_csrf(request):
            raise CsrfFailed("CSRF トークンがありません (send X-CSRFToken)")
        sessions.end(request)
    return Status(204, None)


@router.put(
    "/me/pin",
    response={204: None, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    auth=patron(),
    tags=["patron account"],
    summary="Change one's own PIN (the current PIN is required; other sessions end)",
)
def change_my_pin(request: HttpRequest, data: PinChangeIn) -> Status[None]:
    me = services.change_pin(patron=patron_of(request), current_pin=data.current_pin, new_pin=data.new_pin)
    sessions.refresh(request, me)
    return Status(204, None)


@router.patch(
    "/me/preferences",
    response={200: PatronOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
    auth=patron(),
    tags=["patron account"],
    summary="Change one's own contact details and notice preferences",
)
def update_my_preferences(request: HttpRequest, data: PreferencesIn) -> dict[str, object]:
    me = services.update_preferences(patron=patron_of(request), **data.model_dump(exclude_unset=True))
    return patron_out(_reload(me))


# -- the desk -----------------------------------------------------------------------------------


class PatronQuery(Schema):
    q: str = Field(description="a card number (exact) or the start of a name or its reading")
    limit: int = Field(20, ge=1, le=100)


def _by(request: HttpRequest) -> audit.By:
    """The staff member calling, for the audit log (docs/audit.md)."""
    return audit.by_request(request, audit.Via.API)


def _viewed(request: HttpRequest, patron: Patron) -> None:
    services.record_staff_access(
        actor=request.user,
        patron=patron,
        kind=StaffAccessKind.PROFILE,
        via="api",
        client_address=audit.client_address(request),
    )


@router.get(
    "/patrons",
    response={200: list[PatronSummaryOut], 401: ErrorOut, 403: ErrorOut},
    auth=desk(),
    summary="Look a patron up by card number or name (no loans or holds: those are audited reads)",
)
def find_patrons(request: HttpRequest, params: Query[PatronQuery]) -> list[dict[str, object]]:
    return [summary_out(p) for p in selectors.search_patrons(params.q, limit=params.limit)]


@router.post(
    "/patrons",
    response={201: PatronOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut},
    auth=desk(REGISTER_PATRONS),
    summary="Register a patron (利用登録); the card number is issued unless a pre-printed one is given",
)
def register_patron(request: HttpRequest, data: PatronCreateIn) -> Status[dict[str, object]]:
    fields = data.model_dump()
    fields["home_branch"] = branch_by_code(data.home_branch)
    created = services.register_patron(**fields, by=_by(request))
    return Status(201, patron_out(_reload(created)))


@router.patch(
    "/patrons/{card_number}/preferences",
    response={200: PatronOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    auth=desk(CHANGE_PATRONS),
    summary="Change a patron's contact details and notice preferences",
)
def update_preferences(request: HttpRequest, card_number: str, data: PreferencesIn) -> dict[str, object]:
    found = services.find_by_card(card_number)
    _viewed(request, found)
    changed = services.update_preferences(
        patron=found, by=_by(request), **data.model_dump(exclude_unset=True)
    )
    return patron_out(_reload(changed))


@router.post(
    "/patrons/{card_number}/registration-renewal",
    response={200: PatronOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    auth=desk(CHANGE_PATRONS),
    summary="Renew the registration (更新): from a month before it expires",
)
def renew_registration(request: HttpRequest, card_number: str) -> dict[str, object]:
    found = services.find_by_card(card_number)
    _viewed(request, found)
    return patron_out(_reload(services.renew_registration(patron=found, by=_by(request))))


@router.put(
    "/patrons/{card_number}/pin",
    response={204: None, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    auth=desk(CHANGE_PATRONS),
    summary="Reset a patron's PIN at the desk (their sessions end)",
)
def reset_pin(request: HttpRequest, card_number: str, data: PinIn) -> Status[None]:
    services.set_pin(patron=services.find_by_card(card_number), pin=data.pin, by=_by(request))
    return Status(204, None)


@router.post(
    "/patrons/{card_number}/blocks",
    response={201: BlockOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    auth=desk(MANAGE_BLOCKS),
    summary="Stop a card (貸出停止) with a reason",
)
def add_block(request: HttpRequest, card_number: str, data: BlockIn) -> Status[dict[str, object]]:
    found = services.find_by_card(card_number)
    block = services.add_block(
        patron=found, reason=data.reason, note=data.note, actor=request.user, by=_by(request)
    )
    return Status(201, block_out(block))


@router.post(
    "/patrons/{card_number}/blocks/{int:block_id}/lift",
    response={200: BlockOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
    auth=desk(MANAGE_BLOCKS),
    summary="Lift a block (it is kept, with who lifted it and when)",
)
def lift_block(request: HttpRequest, card_number: str, block_id: int) -> dict[str, object]:
    found = services.find_by_card(card_number)
    block = PatronBlock.objects.filter(patron=found, pk=block_id).first()
    if block is None:
        raise NotFound("貸出停止が見つかりません", code="block_not_found")
    return block_out(services.lift_block(block=block, actor=request.user, by=_by(request)))


def retry_after(until: datetime) -> str:
    return str(max(1, math.ceil((until - timezone.now()).total_seconds())))
