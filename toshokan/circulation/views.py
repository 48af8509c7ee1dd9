"""The staff desk (カウンター): checkout, return, renewal, holds, patron lookup and registration.

Thin pages over the same services the JSON API and the SIP2 self-check call
(`circulation.services`, `patrons.services`) and over the selectors; no rule of the library is
decided here. Barcode first: a scanner types a barcode and Enter, so every scan form submits on
Enter and acts at once — no confirm clicks — and the barcode field keeps the focus. Each page is
a plain POST form that works without JavaScript; with htmx the same forms swap only the part of
the page that changed (the checkout area, or one more result at the top of the return list).

Privacy (図書館の自由に関する宣言 第3): a page that shows a patron's loans or holds writes an audit
row and an audit event (patrons.services.record_staff_access); what staff change on a patron's
behalf (registration, PIN, blocks, holds, renewals from the patron page) is audited too. Nothing here keeps what a patron borrowed: the list of
this checkout session travels in the form as loan ids, so a returned (deleted) loan drops out of
it, and the session stores only the desk's branch.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout as auth_logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, gettext_lazy, gettext_noop
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic import RedirectView

from toshokan.catalog import selectors as catalog_selectors
from toshokan.catalog.models import Branch
from toshokan.core import audit
from toshokan.core.domain import DomainError, NotFound
from toshokan.patrons import selectors as patron_selectors
from toshokan.patrons import services as patron_services
from toshokan.patrons.domain.cards import is_valid_card_number, normalise_card_number
from toshokan.patrons.domain.enums import (
    BlockReason,
    NoticeChannel,
    PatronCategory,
    Residency,
    StaffAccessKind,
)
from toshokan.patrons.models import Patron

from . import selectors, services
from .desk import (
    CHANGE_PATRONS,
    MANAGE_BLOCKS,
    REGISTER_PATRONS,
    SESSION_BRANCH,
    branch_for,
    staff_view,
)
from .forms import (
    BlockForm,
    BranchForm,
    HoldForm,
    LookupForm,
    PinForm,
    RegistrationForm,
)

# Why a scan was refused, in the page's language. The services' messages are Japanese and carry
# details (the limit, the date); the Japanese desk shows them as they are, other languages show
# the translated headline for the error's code.
REFUSALS = {
    "registration_expired": gettext_lazy("登録の有効期限が切れています。更新してください"),
    "identity_check_needed": gettext_lazy("本人確認が必要です"),
    "patron_blocked": gettext_lazy("貸出停止中の利用者です"),
    "overdue": gettext_lazy("返却期限を過ぎた資料があります"),
    "suspended": gettext_lazy("延滞による貸出停止期間中です"),
    "loan_limit": gettext_lazy("貸出上限に達しています"),
    "on_loan": gettext_lazy("この資料は貸出中です (返却処理をしてください)"),
    "already_borrowed": gettext_lazy("この資料はすでにこの利用者に貸出中です"),
    "held_for_another": gettext_lazy("この資料は他の利用者の予約資料です"),
    "item_not_found": gettext_lazy("この資料番号の資料はありません"),
    "patron_not_found": gettext_lazy("この利用者番号は登録されていません"),
    "invalid_card_number": gettext_lazy("利用者番号のチェックディジットが合いません"),
    "item_reference_only": gettext_lazy("館内閲覧のみの資料です"),
    "item_missing": gettext_lazy("所在不明の資料です"),
    "item_withdrawn": gettext_lazy("除籍された資料です"),
    "item_processing": gettext_lazy("整理中の資料です"),
    "item_in_transit": gettext_lazy("搬送中の資料です (返却処理で受け入れてください)"),
    "item_on_hold_shelf": gettext_lazy("予約取置中の資料です"),
    "item_on_loan": gettext_lazy("この資料は貸出中です (返却処理をしてください)"),
    "not_on_loan": gettext_lazy("この資料は貸出中ではありません"),
    "renewal_limit": gettext_lazy("延長できる回数を超えています"),
    "holds_waiting": gettext_lazy("予約がある資料は延長できません"),
    "renewal_not_needed": gettext_lazy("延長しても返却期限は変わりません"),
    "already_held": gettext_lazy("この資料はすでに予約しています"),
    "no_copies": gettext_lazy("予約できる資料がありません"),
    "hold_limit": gettext_lazy("予約上限に達しています"),
    "wrong_copy": gettext_lazy("指定の資料はこの書誌のものではありません"),
    "hold_not_found": gettext_lazy("予約が見つかりません"),
    "renewal_too_early": gettext_lazy("登録の更新は有効期限の1か月前からです"),
    "invalid_pin": gettext_lazy("暗証番号は4〜8桁の数字です (同じ数字の繰り返しは使えません)"),
    "card_in_use": gettext_lazy("この利用者番号は使用中です"),
    "email_required": gettext_lazy("メールで通知するにはメールアドレスが必要です"),
    "name_required": gettext_lazy("氏名は必須です"),
    "record_not_found": gettext_lazy("この書誌IDの書誌はありません"),
}

# Labels named only at run time (enum labels), listed for makemessages.
ENUM_LABELS_JA = (
    gettext_noop("一般"),
    gettext_noop("児童"),
    gettext_noop("団体"),
    gettext_noop("在住"),
    gettext_noop("在勤・在学"),
    gettext_noop("広域・その他"),
    gettext_noop("カード紛失"),
    gettext_noop("連絡不能"),
    gettext_noop("資料弁償未了"),
    gettext_noop("利用規則違反"),
    gettext_noop("その他"),
    gettext_noop("予約待ち"),
    gettext_noop("保留中"),
    gettext_noop("搬送中"),
    gettext_noop("取置中"),
)
HOLD_STATE_LABELS = {
    "waiting": "予約待ち",
    "suspended": "保留中",
    "in_transit": "搬送中",
    "ready": "取置中",
}


def refusal(exc: DomainError) -> str:
    if (get_language() or "ja").startswith("ja"):
        return str(exc)
    return str(REFUSALS.get(exc.code, str(exc)))


def _today() -> date:
    return timezone.localdate()


def _partial(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request  # type: ignore[union-attr]


def _context(request: HttpRequest, nav: str, **extra: Any) -> dict[str, Any]:
    branch = branch_for(request)
    user = request.user
    return {
        "nav": nav,
        "desk_branch": branch,
        "branch_form": BranchForm(initial={"branch": branch.code}),
        "can_register": user.has_perm(REGISTER_PATRONS),
        "can_change_patrons": user.has_perm(CHANGE_PATRONS),
        "can_manage_blocks": user.has_perm(MANAGE_BLOCKS),
        **extra,
    }


def _by(request: HttpRequest) -> audit.By:
    """The staff member at this desk, for the audit log (docs/audit.md)."""
    return audit.by_request(request, audit.Via.DESK)


def _viewed(request: HttpRequest, patron: Patron, kind: StaffAccessKind) -> None:
    patron_services.record_staff_access(
        actor=request.user, patron=patron, kind=kind, client_address=audit.client_address(request)
    )


def _patron_or_none(pk: int) -> Patron | None:
    return patron_selectors.patron_by_id(pk)


# -- login, branch ------------------------------------------------------------------------------


class LoginView(RedirectView):
    """/desk/login: staff sign in at settings.LOGIN_URL (toshokan.staff: password, then a second
    factor); bookmarks of this address land there, with their ?next=."""

    query_string = True

    def get_redirect_url(self, *args: Any, **kwargs: Any) -> str:
        return resolve_url(settings.LOGIN_URL)


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    return redirect("desk:login")


@require_POST
@staff_view()
def choose_branch(request: HttpRequest) -> HttpResponse:
    form = BranchForm(request.POST)
    if form.is_valid():
        request.session[SESSION_BRANCH] = form.cleaned_data["branch"]
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
        back = reverse("desk:checkout")
    return HttpResponseRedirect(back)


@staff_view()
def home(request: HttpRequest) -> HttpResponse:
    return redirect("desk:checkout")


# -- checkout -----------------------------------------------------------------------------------


def _session_loan_ids(raw: str) -> list[int]:
    return [int(x) for x in raw.split(",") if x.strip().isdigit()][:200]


@staff_view()
def checkout(request: HttpRequest) -> HttpResponse:
    """Scan the card, then the copies: each scan lends at once and the list of this session's
    loans grows. A card scanned into the copy field starts the next patron."""
    branch = branch_for(request)
    patron: Patron | None = None
    loan_ids: list[int] = []
    error = ""
    refused = ""
    lent = None
    if request.method == "POST":
        if "card" in request.POST:
            patron, error = _scan_card(request, request.POST.get("card", ""))
        else:
            loan_ids = _session_loan_ids(request.POST.get("loans", ""))
            try:
                patron = patron_services.find_by_card(request.POST.get("patron", ""))
            except NotFound as exc:
                error = refusal(exc)
            barcode = request.POST.get("barcode", "").strip()
            if patron is not None and barcode:
                try:
                    lent = services.checkout(
                        barcode=barcode, patron=patron, branch=branch, actor=request.user
                    )
                    loan_ids.append(lent.pk)
                except NotFound as exc:
                    number = normalise_card_number(barcode)
                    if exc.code == "item_not_found" and is_valid_card_number(number):
                        # The next patron's card, scanned straight into the copy field.
                        other, _card_error = _scan_card(request, number)
                        if other is not None:
                            patron, loan_ids = other, []
                        else:  # no such card either: say what was asked, a copy
                            error, refused = refusal(exc), barcode
                    else:
                        error, refused = refusal(exc), barcode
                except DomainError as exc:
                    error, refused = refusal(exc), barcode
    context = _context(request, "checkout", refused=refused, **_checkout_state(patron, loan_ids, error, lent))
    template = "circulation/desk/checkout.html"
    if _partial(request):
        context["htmx_partial"] = True
        return render(request, template + "#checkout_area", context)
    return render(request, template, context, status=400 if error and request.method == "POST" else 200)


def _scan_card(request: HttpRequest, card: str) -> tuple[Patron | None, str]:
    number = normalise_card_number(card)
    if not number:
        return None, _("利用者番号を読み取ってください")
    try:
        patron = patron_services.find_by_card(number)
    except NotFound as exc:
        if number.isdigit() and not is_valid_card_number(number):
            return None, str(REFUSALS["invalid_card_number"])
        return None, refusal(exc)
    _viewed(request, patron, StaffAccessKind.PROFILE)
    return patron, ""


def _checkout_state(patron: Patron | None, loan_ids: list[int], error: str, lent: Any) -> dict[str, Any]:
    today = _today()
    state: dict[str, Any] = {
        "patron": patron,
        "error": error,
        "lent": lent,
    }
    if patron is not None:
        loans = list(
            selectors.patron_loans(patron).filter(pk__in=loan_ids).order_by("-checked_out_at", "-pk")
        )
        state.update(
            session_loans=loans,
            loan_ids=",".join(str(loan.pk) for loan in reversed(loans)),
            problems=[refusal(p) for p in services.borrowing_problems(patron, today=today)],
            loan_count=selectors.patron_loans(patron).count(),
            ready_holds=selectors.ready_hold_count(patron),
        )
    return state


# -- return and renewal -------------------------------------------------------------------------


@staff_view()
def checkin(request: HttpRequest) -> HttpResponse:
    """Scan returned copies (or copies from transit, or fetched for the pull list); each one
    says where it goes next."""
    branch = branch_for(request)
    result = None
    error = ""
    if request.method == "POST":
        barcode = request.POST.get("barcode", "").strip()
        if not barcode:
            error = _("資料番号を読み取ってください")
        else:
            try:
                result = services.checkin(barcode=barcode, branch=branch, actor=request.user)
            except DomainError as exc:
                error = refusal(exc)
            if result is not None and result.hold is not None:
                # The slip names the patron whose hold this copy fills.
                _viewed(request, result.hold.patron, StaffAccessKind.HOLDS)
    return _scan_station(request, "checkin", result=result, error=error)


@staff_view()
def renew(request: HttpRequest) -> HttpResponse:
    """Renew a loan by scanning the copy (the patron brings it, or phones with its number)."""
    loan = None
    error = ""
    if request.method == "POST":
        barcode = request.POST.get("barcode", "").strip()
        if not barcode:
            error = _("資料番号を読み取ってください")
        else:
            try:
                loan = services.renew(barcode=barcode, actor=request.user, by=_by(request))
            except DomainError as exc:
                error = refusal(exc)
    return _scan_station(request, "renew", renewed=loan, error=error)


def _scan_station(request: HttpRequest, nav: str, **result: Any) -> HttpResponse:
    context = _context(request, nav, today=_today(), **result)
    template = f"circulation/desk/{nav}.html"
    if _partial(request):
        # One more result at the top of the list; the form (and the focus in it) stays.
        return render(request, "circulation/desk/_scan_result.html", context)
    status = 400 if result.get("error") else 200
    return render(request, template, context, status=status)


# -- patrons ------------------------------------------------------------------------------------


@staff_view()
def patrons(request: HttpRequest) -> HttpResponse:
    """Find a patron by card number (exact) or by name or reading (prefix)."""
    form = LookupForm(request.GET or None)
    found: list[Patron] | None = None
    if form.is_valid():
        found = patron_selectors.search_patrons(form.cleaned_data["q"])
        if len(found) == 1 and normalise_card_number(form.cleaned_data["q"]).isdigit():
            return redirect("desk:patron", patron_id=found[0].pk)
    return render(
        request, "circulation/desk/patrons.html", _context(request, "patrons", form=form, found=found)
    )


@staff_view()
def patron(request: HttpRequest, patron_id: int) -> HttpResponse:
    """The patron page: details, blocks, loans and holds. Viewing it is audited."""
    p = _patron_or_none(patron_id)
    if p is None:
        return render(request, "circulation/desk/not_found.html", _context(request, "patrons"), status=404)
    today = _today()
    for kind in (StaffAccessKind.PROFILE, StaffAccessKind.LOANS, StaffAccessKind.HOLDS):
        _viewed(request, p, kind)
    holds = selectors.patron_holds(p, today=today)
    context = _context(
        request,
        "patrons",
        patron=p,
        today=today,
        blocks=[(b, _(BlockReason(b.reason).label_ja)) for b in patron_selectors.active_blocks(p)],
        loans=list(selectors.patron_loans(p)),
        holds=[(h, _(HOLD_STATE_LABELS.get(h.hold.state, h.hold.state))) for h in holds],
        problems=[refusal(e) for e in services.borrowing_problems(p, today=today)],
        block_form=BlockForm(),
        pin_form=PinForm(),
        hold_form=HoldForm(initial={"pickup_branch": branch_for(request).code}),
        registered=request.GET.get("registered") == "1",
        labels={
            "category": _(PatronCategory(p.category).label_ja),
            "residency": _(Residency(p.residency).label_ja),
            "notice": _("メール") if p.notice_channel == NoticeChannel.EMAIL else _("マイページのみ"),
        },
    )
    return render(request, "circulation/desk/patron.html", context)


def _back_to(patron_id: int) -> HttpResponse:
    return redirect("desk:patron", patron_id=patron_id)


def _patron_action(request: HttpRequest, patron_id: int) -> Patron | None:
    p = _patron_or_none(patron_id)
    if p is None:
        messages.error(request, _("利用者が見つかりません"))
    return p


@require_POST
@staff_view(CHANGE_PATRONS)
def renew_registration(request: HttpRequest, patron_id: int) -> HttpResponse:
    p = _patron_action(request, patron_id)
    if p is None:
        return redirect("desk:patrons")
    try:
        p = patron_services.renew_registration(patron=p, by=_by(request))
        messages.success(request, _("登録を更新しました。新しい有効期限: %(date)s") % {"date": p.expires_on})
    except DomainError as exc:
        messages.error(request, refusal(exc))
    return _back_to(patron_id)


@require_POST
@staff_view(CHANGE_PATRONS)
def reset_pin(request: HttpRequest, patron_id: int) -> HttpResponse:
    p = _patron_action(request, patron_id)
    if p is None:
        return redirect("desk:patrons")
    form = PinForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("新しい暗証番号を入力してください"))
        return _back_to(patron_id)
    try:
        patron_services.set_pin(patron=p, pin=form.cleaned_data["pin"], by=_by(request))
        messages.success(request, _("暗証番号を再設定しました"))
    except DomainError as exc:
        messages.error(request, refusal(exc))
    return _back_to(patron_id)


@require_POST
@staff_view(MANAGE_BLOCKS)
def add_block(request: HttpRequest, patron_id: int) -> HttpResponse:
    p = _patron_action(request, patron_id)
    if p is None:
        return redirect("desk:patrons")
    form = BlockForm(request.POST)
    if form.is_valid():
        patron_services.add_block(
            patron=p,
            reason=BlockReason(form.cleaned_data["reason"]),
            note=form.cleaned_data["note"],
            actor=request.user,
            by=_by(request),
        )
        messages.success(request, _("貸出停止にしました"))
    else:
        messages.error(request, _("理由を選んでください"))
    return _back_to(patron_id)


@require_POST
@staff_view(MANAGE_BLOCKS)
def lift_block(request: HttpRequest, patron_id: int, block_id: int) -> HttpResponse:
    p = _patron_action(request, patron_id)
    if p is None:
        return redirect("desk:patrons")
    block = patron_selectors.active_blocks(p).filter(pk=block_id).first()
    if block is None:
        messages.error(request, _("この貸出停止はすでに解除されています"))
    else:
        patron_services.lift_block(block=block, actor=request.user, by=_by(request))
        messages.success(request, _("貸出停止を解除しました"))
    return _back_to(patron_id)


@require_POST
@staff_view()
def renew_loan(request: HttpRequest, patron_id: int) -> HttpResponse:
    p = _patron_action(request, patron_id)
    if p is None:
        return redirect("desk:patrons")
    try:
        loan = services.renew(
            barcode=request.POST.get("barcode", ""), patron=p, actor=request.user, by=_by(request)
        )
        messages.success(request, _("延長しました。新しい返却期限: %(date)s") % {"date": loan.due_on})
    except DomainError as exc:
        messages.error(request, refusal(exc))
    return _back_to(patron_id)


@require_POST
@staff_view()
def place_hold(request: HttpRequest, patron_id: int) -> HttpResponse:
    p = _patron_action(request, patron_id)
    if p is None:
        return redirect("desk:patrons")
    form = HoldForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("資料番号または書誌IDと受取館を入力してください"))
        return _back_to(patron_id)
    item = form.cleaned_data["item"].strip()
    pickup = catalog_selectors.branches().get(code=form.cleaned_data["pickup_branch"])
    copy = selectors.copy_by_barcode(item)
    try:
        if copy is not None:
            record = copy.record
        elif item.isdigit() and (found := catalog_selectors.records_by_ids([int(item)])):
            record = found[0]
        else:
            raise NotFound(item, code="record_not_found" if item.isdigit() else "item_not_found")
        services.place_hold(
            patron=p,
            record=record,
            holding=copy if copy is not None and form.cleaned_data["this_copy_only"] else None,
            pickup_branch=pickup,
            actor=request.user,
            by=_by(request),
        )
        messages.success(request, _("予約しました: %(title)s") % {"title": record.title})
    except DomainError as exc:
        messages.error(request, refusal(exc) if exc.code != "record_not_found" else str(REFUSALS[exc.code]))
    return _back_to(patron_id)


@require_POST
@staff_view()
def cancel_hold(request: HttpRequest, patron_id: int, hold_id: int) -> HttpResponse:
    p = _patron_action(request, patron_id)
    if p is None:
        return redirect("desk:patrons")
    try:
        services.cancel_hold(hold=hold_id, patron=p, actor=request.user, by=_by(request))
        messages.success(request, _("予約を取り消しました"))
    except DomainError as exc:
        messages.error(request, refusal(exc))
    return _back_to(patron_id)


@staff_view(REGISTER_PATRONS)
def register(request: HttpRequest) -> HttpResponse:
    """Register a patron (利用登録); the new card number is shown on the patron page to print."""
    branch = branch_for(request)
    form = RegistrationForm(request.POST or None, initial={"home_branch": branch.code})
    error = ""
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            new = patron_services.register_patron(
                family_name=data["family_name"],
                given_name=data["given_name"],
                name_reading=data["name_reading"],
                category=PatronCategory(data["category"]),
                residency=Residency(data["residency"]),
                home_branch=_branch(data["home_branch"]),
                birth_date=data["birth_date"],
                email=data["email"],
                phone=data["phone"],
                postal_code=data["postal_code"],
                address=data["address"],
                notice_channel=NoticeChannel(data["notice_channel"]),
                card_number=data["card_number"],
                pin=data["pin"],
                by=_by(request),
            )
        except DomainError as exc:
            error = refusal(exc)
        else:
            return HttpResponseRedirect(reverse("desk:patron", args=[new.pk]) + "?registered=1")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "circulation/desk/register.html",
        _context(request, "register", form=form, error=error),
        status=status,
    )


def _branch(code: str) -> Branch:
    return catalog_selectors.branches().get(code=code)


# -- hold processing ----------------------------------------------------------------------------


@staff_view()
def holds(request: HttpRequest) -> HttpResponse:
    """Hold processing at this branch: the pull list (copies to fetch from the shelves), the hold
    shelf (expired ones flagged) and transits in and out."""
    branch = branch_for(request)
    today = _today()
    shelf = list(selectors.hold_shelf(branch))
    for patron_id in sorted({h.patron_id for h in shelf}):
        # The hold shelf shows whose holds they are (by card number): audited per patron.
        _viewed(request, shelf_patron(shelf, patron_id), StaffAccessKind.HOLDS)
    context = _context(
        request,
        "holds",
        today=today,
        # In shelf order, for one walk along the shelves.
        pull_list=sorted(
            selectors.pull_list(branch),
            key=lambda pair: (pair[1].location, pair[1].shelf_mark, pair[1].barcode),
        ),
        hold_shelf=shelf,
        clearance=list(selectors.hold_shelf_clearance(branch)),
        incoming=list(selectors.transits(branch, incoming=True)),
        outgoing=list(selectors.transits(branch, incoming=False)),
    )
    return render(request, "circulation/desk/holds.html", context)


def shelf_patron(shelf: list[Any], patron_id: int) -> Patron:
    patron: Patron = next(h.patron for h in shelf if h.patron_id == patron_id)
    return patron
