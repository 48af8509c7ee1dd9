"""The SIP2 Gateway over the library's own services: what a self-check does is what the desk does.

Every write goes through toshokan.circulation.services (checkout, checkin, renew) and every PIN
check through toshokan.patrons.services.authenticate, so the rules, the locking and the privacy
guarantees are the ones the desk and the API have; this module only translates. A refusal
(a DomainError) becomes a result with `ok=False`, the service's own message for the kiosk's screen
and its stable code for the log.

Each method runs in one of the SIP2 server's worker threads; Django's connections are per thread,
so each call starts and ends with close_old_connections() (honouring CONN_MAX_AGE, as a web request
does), and close() drops the thread's connections when the server stops.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, time
from typing import Any, ParamSpec, TypeVar

from django.contrib.auth import authenticate, get_user_model
from django.db import close_old_connections, connections
from django.utils import timezone

from toshokan.catalog.domain.enums import HoldingStatus, MaterialType
from toshokan.catalog.models import Branch, Holding
from toshokan.core import audit
from toshokan.core.domain import DomainError
from toshokan.patrons import services as patron_services
from toshokan.patrons.domain.enums import BlockReason, StaffAccessKind
from toshokan.patrons.models import Patron as PatronModel

from .. import selectors, services
from ..domain.policy import Policy, resolve
from ..domain.states import HoldState
from ..models import Hold, Loan
from . import gateway as g
from .messages import CirculationStatus, PatronStatusFlag

P = ParamSpec("P")
R = TypeVar("R")

STATUS = {
    HoldingStatus.AVAILABLE: CirculationStatus.AVAILABLE,
    HoldingStatus.ON_LOAN: CirculationStatus.CHARGED,
    HoldingStatus.ON_HOLD_SHELF: CirculationStatus.WAITING_ON_HOLD_SHELF,
    HoldingStatus.IN_TRANSIT: CirculationStatus.IN_TRANSIT,
    HoldingStatus.MISSING: CirculationStatus.MISSING,
    HoldingStatus.PROCESSING: CirculationStatus.IN_PROCESS,
    HoldingStatus.REFERENCE_ONLY: CirculationStatus.OTHER,
    HoldingStatus.WITHDRAWN: CirculationStatus.OTHER,
}

# SIP2 media types: 000 other, 001 book, 002 magazine, 005 video tape, 006 CD/CD-ROM.
MEDIA_TYPE = {
    MaterialType.BOOK: "001",
    MaterialType.SERIAL: "002",
    MaterialType.VIDEO: "005",
    MaterialType.AUDIO: "006",
}

WRONG_PIN = "利用者番号または暗証番号が違います"
UNKNOWN_BRANCH = "この自動貸出機の館コード (AO) が登録されていません。係員にお知らせください"


def _in_worker(fn: Callable[P, R]) -> Callable[P, R]:
    @functools.wraps(fn)
    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        close_old_connections()
        try:
            return fn(*args, **kwargs)
        finally:
            close_old_connections()

    return call


def _due(day: date | None) -> datetime | None:
    """A loan is due by the end of its due day (the library's local time)."""
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day, time(23, 59, 59)))


class ServicesGateway:
    """Gateway over toshokan.circulation.services and toshokan.patrons.services."""

    # --- staff -----------------------------------------------------------------------------------

    @_in_worker
    def login(self, user: str, password: str) -> bool:
        # channel="sip2": only accounts marked as self-check devices sign in here (toshokan.staff).
        account = authenticate(None, username=user, password=password, channel="sip2")
        return account is not None and account.is_active and account.is_staff

    @staticmethod
    def _actor(terminal: g.Terminal) -> Any:
        if not terminal.user:
            return None
        return get_user_model().objects.filter(username=terminal.user, is_active=True).first()

    # --- patrons ---------------------------------------------------------------------------------

    @staticmethod
    def _find(card: str) -> PatronModel | None:
        try:
            return patron_services.find_by_card(card)
        except DomainError:
            return None

    @staticmethod
    def _pin_ok(card: str, pin: str | None) -> bool | None:
        if pin is None:
            return None
        try:
            patron_services.authenticate(card_number=card, pin=pin)
        except DomainError:
            return False
        return True

    @staticmethod
    def _policy(patron: PatronModel) -> Policy:
        # Limits as they apply to a book at the patron's home branch (SIP2 has one limit per patron).
        return resolve(
            selectors.rules(),
            patron_category=patron.category,
            material_type=MaterialType.BOOK.value,
            branch=patron.home_branch.code,
        )

    def _patron(self, card: str, pin: str | None, *, items: bool) -> g.Patron:
        patron = self._find(card)
        if patron is None:
            return g.Patron(card=card, valid=False, screen_message="この利用者番号は登録されていません")
        pin_ok = self._pin_ok(card, pin)
        today = timezone.localdate()
        problems = services.borrowing_problems(patron, today=today)
        codes = {p.code for p in problems}
        flags: set[PatronStatusFlag] = set()
        if problems:
            flags |= {PatronStatusFlag.CHARGE_PRIVILEGES_DENIED, PatronStatusFlag.HOLD_PRIVILEGES_DENIED}
        if codes - {"overdue"}:
            flags.add(PatronStatusFlag.RENEWAL_PRIVILEGES_DENIED)
        if "overdue" in codes:
            flags.add(PatronStatusFlag.TOO_MANY_ITEMS_OVERDUE)
        if patron.blocks.filter(lifted_at__isnull=True, reason=BlockReason.LOST_CARD.value).exists():
            flags.add(PatronStatusFlag.CARD_REPORTED_LOST)
        policy = self._policy(patron)
        loans = list(selectors.patron_loans(patron))
        if len(loans) >= policy.max_loans:
            flags.add(PatronStatusFlag.TOO_MANY_ITEMS_CHARGED)
        result = g.Patron(
            card=patron.card_number,
            valid=True,
            pin_ok=pin_ok,
            name=patron.display_name,
            flags=frozenset(flags),
            screen_message=str(problems[0]) if problems else "",
            email=patron.email,
            charged_limit=policy.max_loans,
            hold_limit=policy.max_holds,
        )
        if not items:
            return result
        holds = list(
            Hold.objects.filter(patron=patron)
            .select_related("record", "assigned")
            .order_by("placed_at", "pk")
        )
        ready = [h for h in holds if h.state == HoldState.READY]
        return replace(
            result,
            charged_items=tuple(loan.holding.barcode for loan in loans),
            overdue_items=tuple(loan.holding.barcode for loan in loans if loan.due_on < today),
            hold_items=tuple(h.assigned.barcode if h.assigned else h.record.title for h in ready),
            unavailable_hold_items=tuple(h.record.title for h in holds if h.state != HoldState.READY),
        )

    @_in_worker
    def patron_status(self, card: str, pin: str | None) -> g.Patron:
        return self._patron(card, pin, items=False)

    @_in_worker
    def patron_information(
        self, card: str, pin: str | None, summary: g.Summary, *, terminal: g.Terminal | None = None
    ) -> g.Patron:
        found = self._patron(card, pin, items=True)
        if found.valid and found.pin_ok is not True:
            # Without the patron's PIN it is the terminal's staff account that reads the lists.
            self._audit_read(found.card, terminal or g.Terminal())
        return found

    def _audit_read(self, card: str, terminal: g.Terminal) -> None:
        patron = self._find(card)
        actor = self._actor(terminal)
        if patron is None:
            return
        for kind in (StaffAccessKind.LOANS, StaffAccessKind.HOLDS):
            if actor is not None:
                patron_services.record_staff_access(actor=actor, patron=patron, kind=kind, via="sip2")
            else:
                audit.record(
                    by=audit.By(None, terminal.user, audit.Via.SIP2),
                    action=patron_services.VIEWED[kind],
                    patron_id=patron.pk,
                )

    # --- items -----------------------------------------------------------------------------------

    @_in_worker
    def item_information(self, barcode: str) -> g.Item:
        holding = Holding.objects.select_related("record", "branch").filter(barcode=barcode.strip()).first()
        if holding is None:
            return g.Item(barcode=barcode, found=False, screen_message="この資料番号の資料はありません")
        loan = Loan.objects.filter(holding=holding).only("due_on").first()
        transit = getattr(holding, "transit", None) if holding.status == HoldingStatus.IN_TRANSIT else None
        waiting = Hold.objects.filter(record_id=holding.record_id, state=HoldState.WAITING).count()
        return g.Item(
            barcode=holding.barcode,
            found=True,
            title=holding.record.title,
            status=STATUS.get(HoldingStatus(holding.status), CirculationStatus.OTHER),
            due=_due(loan.due_on) if loan else None,
            permanent_location=holding.branch.code,
            current_location=transit.to_branch.code if transit else holding.branch.code,
            hold_queue_length=waiting,
            media_type=MEDIA_TYPE.get(MaterialType(holding.material_type), "000"),
        )

    @staticmethod
    def _title(barcode: str) -> str:
        return (
            Holding.objects.filter(barcode=barcode.strip()).values_list("record__title", flat=True).first()
            or ""
        )

    # --- circulation -----------------------------------------------------------------------------

    @_in_worker
    def checkout(
        self,
        card: str,
        pin: str | None,
        barcode: str,
        branch: str,
        *,
        terminal: g.Terminal,
        renew_if_borrowed: bool = False,
    ) -> g.Checkout:
        refused = functools.partial(g.Checkout, ok=False, barcode=barcode, card=card)
        if pin is not None and not self._pin_ok(card, pin):
            return refused(screen_message=WRONG_PIN, code="authentication_failed")
        where = Branch.objects.filter(code=branch).first()
        if where is None:
            return refused(screen_message=UNKNOWN_BRANCH, code="unknown_branch")
        actor = self._actor(terminal)
        try:
            loan = services.checkout(barcode=barcode, patron=card, branch=where, actor=actor)
        except DomainError as error:
            if error.code == "already_borrowed" and renew_if_borrowed:
                renewal = self._renew(card, barcode, actor)
                return g.Checkout(
                    ok=renewal.ok,
                    barcode=barcode,
                    card=card,
                    title=renewal.title,
                    due=renewal.due,
                    renewal_ok=renewal.ok,
                    screen_message=renewal.screen_message,
                    code=renewal.code or "renewed",
                )
            return refused(title=self._title(barcode), screen_message=str(error), code=error.code)
        return g.Checkout(
            ok=True,
            barcode=loan.holding.barcode,
            card=card,
            title=loan.holding.record.title,
            due=_due(loan.due_on),
            screen_message=f"返却期限は {loan.due_on:%Y年%m月%d日} です",
        )

    @_in_worker
    def checkin(
        self, barcode: str, branch: str, return_date: datetime | None, *, terminal: g.Terminal
    ) -> g.Checkin:
        # The kiosk's return date is not used: the server's clock dates the return, as at the desk
        # (the ACS Status message tells kiosks not to work offline).
        where = Branch.objects.filter(code=branch).first()
        if where is None:
            return g.Checkin(
                ok=False, barcode=barcode, alert=True, screen_message=UNKNOWN_BRANCH, code="unknown_branch"
            )
        try:
            result = services.checkin(barcode=barcode, branch=where, actor=self._actor(terminal))
        except DomainError as error:
            return g.Checkin(
                ok=False, barcode=barcode, alert=True, screen_message=str(error), code=error.code
            )
        holding = result.holding
        if result.route == "hold_shelf":
            message, sort_bin = "予約資料です。カウンターへお持ちください", "hold_shelf"
        elif result.route == "transit":
            destination = result.to_branch.code if result.to_branch else ""
            message, sort_bin = "他館へ搬送する資料です。カウンターへお持ちください", f"transit:{destination}"
        else:
            message, sort_bin = ("返却しました" if result.was_on_loan else "貸出中ではない資料です"), ""
        return g.Checkin(
            ok=True,
            barcode=holding.barcode,
            title=holding.record.title,
            permanent_location=holding.branch.code,
            alert=result.route != "shelf",
            sort_bin=sort_bin,
            screen_message=message,
            code="" if result.was_on_loan else "not_on_loan",
        )

    def _renew(self, card: str, barcode: str, actor: Any) -> g.Renewal:
        refused = functools.partial(g.Renewal, ok=False, barcode=barcode, card=card)
        patron = self._find(card)
        if patron is None:
            return refused(screen_message=WRONG_PIN, code="patron_not_found")
        try:
            loan = services.renew(barcode=barcode, patron=patron, actor=actor)
        except DomainError as error:
            return refused(title=self._title(barcode), screen_message=str(error), code=error.code)
        return g.Renewal(
            ok=True,
            barcode=barcode,
            card=card,
            title=loan.holding.record.title,
            due=_due(loan.due_on),
            screen_message=f"延長しました。返却期限は {loan.due_on:%Y年%m月%d日} です",
        )

    @_in_worker
    def renew(self, card: str, pin: str | None, barcode: str, *, terminal: g.Terminal) -> g.Renewal:
        if pin is not None and not self._pin_ok(card, pin):
            return g.Renewal(
                ok=False, barcode=barcode, card=card, screen_message=WRONG_PIN, code="authentication_failed"
            )
        return self._renew(card, barcode, self._actor(terminal))

    def close(self) -> None:
        connections.close_all()
