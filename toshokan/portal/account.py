"""My library (マイライブラリ): the patron's own pages — login by card and PIN, loans and renewal,
holds with their place in the queue, the digital card, settings and the opt-in reading history.

Thin, like the search pages: every change is one call to a service (circulation.services,
patrons.services), the same ones the desk, the JSON API and the self-check call; the login session
is patrons.sessions. An object that is not the logged-in patron's own is a 404, never a 403, so
that ids say nothing about other patrons. Each action works as a plain POST that redirects back
(its answer travels in the messages framework, tagged with the row it belongs to); with htmx the
same POST answers with the row alone and the answer inside it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from toshokan.catalog import selectors as catalog_selectors
from toshokan.circulation import selectors as circulation_selectors
from toshokan.circulation import services as circulation_services
from toshokan.core.domain import DomainError, NotFound
from toshokan.notices import selectors as notice_selectors
from toshokan.notices import services as notice_services
from toshokan.patrons import services as patron_services
from toshokan.patrons import sessions
from toshokan.patrons.domain.pins import InvalidPin
from toshokan.patrons.models import Patron

from . import card as card_symbols
from . import labels
from .account_presenters import Outcome, day_label, hold_row, loan_row, notice_row, refusal
from .forms import HoldForm, LoginForm, PinChangeForm, PreferencesForm
from .presenters import branch_name, content_lang

current_patron = sessions.current_patron
NOTICES_SHOWN = 20

View = Callable[..., HttpResponse]


def login_url(next_url: str) -> str:
    return reverse("portal:account_login") + "?" + urlencode({"next": next_url})


def patron_required(view: View) -> View:
    """Log in first, then come back here. The pages are private (never cached anywhere)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        patron = current_patron(request)
        if patron is None:
            # After logging in, a GET comes back to where it was; a POST cannot be replayed.
            target = request.get_full_path() if request.method == "GET" else reverse("portal:account")
            if _htmx(request):
                # The session ended while the page was open: load the login page, rather than
                # swap it into the row that was being renewed.
                return HttpResponseClientRedirect(login_url(target))
            return HttpResponseRedirect(login_url(target))
        response = view(request, patron, *args, **kwargs)
        patch_vary_headers(response, ("HX-Request",))
        return response

    return never_cache(wrapper)


def _htmx(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request  # type: ignore[union-attr]


def _safe_next(request: HttpRequest, value: str) -> str:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return reverse("portal:account")


def _tell(request: HttpRequest, outcome: Outcome, tag: str) -> None:
    messages.add_message(request, messages.SUCCESS if outcome.ok else messages.ERROR, outcome.text, tag)


def _outcomes(request: HttpRequest) -> dict[str, Outcome]:
    """The answers waiting from the last action, by the tag of the row they belong to."""
    found: dict[str, Outcome] = {}
    for message in messages.get_messages(request):
        found[message.extra_tags or "page"] = Outcome(ok=message.level < messages.ERROR, text=message.message)
    return found


# -- logging in and out -------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next", ""))
    if current_patron(request) is not None and request.method == "GET":
        return HttpResponseRedirect(next_url)
    form = LoginForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            patron = patron_services.log_in(
                card_number=form.cleaned_data["card_number"],
                pin=form.cleaned_data["pin"],
                client_address=request.META.get("REMOTE_ADDR", ""),
            )
        except patron_services.LoginThrottled as throttled:
            retry_after = max(1, int((throttled.until - timezone.now()).total_seconds()))
            minutes = -(-retry_after // 60)
            form.add_error(
                None,
                gettext(
                    "ログインの失敗が続いたため、あと%(minutes)d分ほどログインできません。"
                    "暗証番号がわからないときは、利用者カードをお持ちのうえ窓口でお尋ねください。"
                )
                % {"minutes": minutes},
            )
            status = 429
        except patron_services.AuthenticationFailed:
            form.add_error(
                None,
                gettext(
                    "利用者番号または暗証番号が違います。暗証番号を登録していない方は、窓口で登録してください。"
                ),
            )
            status = 401
        else:
            sessions.start(request, patron, remember=form.cleaned_data["remember"])
            return HttpResponseRedirect(next_url)
    elif request.method == "POST":
        status = 400
    response = render(request, "portal/account/login.html", {"form": form, "next": next_url}, status=status)
    if status == 429:
        response["Retry-After"] = str(retry_after)
    return response


@never_cache
@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    sessions.end(request)
    response = render(request, "portal/account/logged_out.html")
    # The card page kept for offline use is this patron's: take it (and the service worker that
    # keeps it) off this device. Cookies are left alone, so a staff login in the same browser stays.
    response["Clear-Site-Data"] = '"cache", "storage"'
    return response


# -- my library ---------------------------------------------------------------------------------


def _account_status(patron: Patron, today: Any) -> list[str]:
    problems = circulation_services.borrowing_problems(patron, today=today)
    texts = []
    for problem in problems:
        if problem.code == "overdue":
            texts.append(
                gettext("返却期限を過ぎた資料があります。返却されるまで新しく借りることはできません。")
            )
        else:
            texts.append(refusal(problem))
    return texts


@patron_required
@require_GET
def home(request: HttpRequest, patron: Patron) -> HttpResponse:
    today = timezone.localdate()
    outcomes = _outcomes(request)
    loans = [
        loan_row(loan, today=today, outcome=outcomes.get(f"loan-{loan.pk}"))
        for loan in circulation_selectors.patron_loans(patron)
    ]
    holds = [
        hold_row(view, today=today, outcome=outcomes.get(f"hold-{view.hold.pk}"))
        for view in circulation_selectors.patron_holds(patron, today=today)
    ]
    expires_soon = (patron.expires_on - today).days <= 31
    return render(
        request,
        "portal/account/home.html",
        {
            "patron": patron,
            "home_branch": branch_name(patron.home_branch),
            "expires_label": day_label(patron.expires_on),
            "expires_soon": expires_soon,
            "problems": _account_status(patron, today),
            "loans": loans,
            "overdue_count": sum(1 for row in loans if row["overdue"]),
            "holds": holds,
            "holds_outcome": outcomes.get("holds"),
            "page_outcome": outcomes.get("page"),
            "notices": [notice_row(n) for n in notice_selectors.patron_notices(patron)[:NOTICES_SHOWN]],
            "unread_notices": notice_selectors.unread_count(patron),
            "notices_outcome": outcomes.get("notices"),
        },
    )


@patron_required
@require_POST
def notices_read(request: HttpRequest, patron: Patron) -> HttpResponse:
    notice_services.mark_read(patron=patron)
    _tell(request, Outcome(ok=True, text=gettext("お知らせをすべて既読にしました。")), "notices")
    return HttpResponseRedirect(reverse("portal:account") + "#notices-heading")


def _own_loan(patron: Patron, loan_id: int) -> Any:
    loan = circulation_selectors.patron_loans(patron).filter(pk=loan_id).first()
    if loan is None:
        raise Http404("no such loan")
    return loan


@patron_required
@require_POST
def renew(request: HttpRequest, patron: Patron, loan_id: int) -> HttpResponse:
    loan = _own_loan(patron, loan_id)
    try:
        loan = circulation_services.renew(barcode=loan.holding.barcode, patron=patron)
    except NotFound:
        raise Http404("no such loan") from None
    except DomainError as error:
        outcome = Outcome(ok=False, text=refusal(error, renewals=loan.renewals))
    else:
        outcome = Outcome(
            ok=True,
            text=gettext("延長しました。新しい返却期限は %(due)s です。") % {"due": day_label(loan.due_on)},
        )
    if _htmx(request):
        loan = _own_loan(patron, loan_id)
        row = loan_row(loan, today=timezone.localdate(), outcome=outcome)
        return render(request, "portal/account/home.html#loan_row", {"loan": row})
    _tell(request, outcome, f"loan-{loan_id}")
    return HttpResponseRedirect(reverse("portal:account") + f"#loan-{loan_id}")


def _hold_action(
    request: HttpRequest, patron: Patron, hold_id: int, action: Callable[..., Any], done: str
) -> HttpResponse:
    try:
        action(hold=hold_id, patron=patron)
    except NotFound:
        raise Http404("no such hold") from None
    except DomainError as error:
        outcome = Outcome(ok=False, text=refusal(error))
    else:
        outcome = Outcome(ok=True, text=done)
    if _htmx(request):
        today = timezone.localdate()
        view = next(
            (v for v in circulation_selectors.patron_holds(patron, today=today) if v.hold.pk == hold_id), None
        )
        if view is None:
            raise Http404("no such hold")
        return render(
            request,
            "portal/account/home.html#hold_row",
            {"hold": hold_row(view, today=today, outcome=outcome)},
        )
    _tell(request, outcome, f"hold-{hold_id}")
    return HttpResponseRedirect(reverse("portal:account") + f"#hold-{hold_id}")


@patron_required
@require_POST
def hold_suspend(request: HttpRequest, patron: Patron, hold_id: int) -> HttpResponse:
    return _hold_action(
        request,
        patron,
        hold_id,
        circulation_services.suspend_hold,
        gettext("保留にしました。順番はそのまま保たれ、再開するまで資料は回ってきません。"),
    )


@patron_required
@require_POST
def hold_resume(request: HttpRequest, patron: Patron, hold_id: int) -> HttpResponse:
    return _hold_action(
        request, patron, hold_id, circulation_services.resume_hold, gettext("予約を再開しました。")
    )


@patron_required
@require_http_methods(["GET", "POST"])
def hold_cancel(request: HttpRequest, patron: Patron, hold_id: int) -> HttpResponse:
    """Cancelling loses the place in the queue, so it is asked first (on its own page, which works
    without JavaScript)."""
    today = timezone.localdate()
    view = next(
        (v for v in circulation_selectors.patron_holds(patron, today=today) if v.hold.pk == hold_id), None
    )
    if view is None:
        raise Http404("no such hold")
    if request.method == "POST":
        try:
            circulation_services.cancel_hold(hold=hold_id, patron=patron)
        except NotFound:
            raise Http404("no such hold") from None
        _tell(
            request,
            Outcome(
                ok=True,
                text=gettext("「%(title)s」の予約を取り消しました。") % {"title": view.hold.record.title},
            ),
            "holds",
        )
        return HttpResponseRedirect(reverse("portal:account") + "#holds-heading")
    return render(request, "portal/account/hold_cancel.html", {"hold": hold_row(view, today=today)})


# -- placing a hold from the record page ---------------------------------------------------------


def hold_form_context(request: HttpRequest, record: Any, patron: Patron | None) -> dict[str, object]:
    """What the record page shows about holds: a login link, the patron's hold on this record
    with its place and estimate, or the form to place one."""
    lendable = [h for h in record.holdings.all() if h.status not in circulation_services.NOT_LENDABLE]
    context: dict[str, object] = {"holdable": bool(lendable)}
    if patron is None:
        context["login_url"] = login_url(reverse("portal:record", args=[record.pk]) + "#hold")
        return context
    today = timezone.localdate()
    outcome = _outcomes(request).get("hold")
    context["hold_outcome"] = outcome
    mine = next(
        (v for v in circulation_selectors.patron_holds(patron, today=today) if v.hold.record_id == record.pk),
        None,
    )
    if mine is not None:
        context["my_hold"] = hold_row(mine, today=today)
        return context
    loan = circulation_selectors.patron_loans(patron).filter(holding__record_id=record.pk).first()
    if loan is not None:  # their own loan: nothing to hold, say until when they have it
        context["my_loan"] = loan_row(loan, today=today)
        return context
    context["hold_form"] = _hold_form(record, patron, lendable)
    context["hold_url"] = reverse("portal:record_hold", args=[record.pk])
    return context


def _hold_form(record: Any, patron: Patron, lendable: list[Any], data: Any = None) -> HoldForm:
    branches = [(b.code, branch_name(b)) for b in catalog_selectors.branches()]
    copies = [
        (
            h.barcode,
            gettext("%(branch)s・資料番号 %(barcode)s（%(status)s）")
            % {
                "branch": branch_name(h.branch),
                "barcode": h.barcode,
                "status": labels.status_label(h.status),
            },
        )
        for h in lendable
    ]
    return HoldForm(
        data, branches=branches, copies=copies, initial={"pickup_branch": patron.home_branch.code}
    )


@require_POST
def place_hold(request: HttpRequest, record_id: int) -> HttpResponse:
    back = reverse("portal:record", args=[record_id])
    patron = current_patron(request)
    if patron is None:
        return HttpResponseRedirect(login_url(back + "#hold"))
    try:
        record = catalog_selectors.record_detail(record_id)
    except NotFound:
        raise Http404("no such record") from None
    lendable = [h for h in record.holdings.all() if h.status not in circulation_services.NOT_LENDABLE]
    form = _hold_form(record, patron, lendable, request.POST)
    if not form.is_valid():
        _tell(request, Outcome(ok=False, text=gettext("受取館を選んでください。")), "hold")
        return HttpResponseRedirect(back + "#hold")
    branch = next(b for b in catalog_selectors.branches() if b.code == form.cleaned_data["pickup_branch"])
    copy = next((h for h in lendable if h.barcode == form.cleaned_data["holding"]), None)
    try:
        circulation_services.place_hold(patron=patron, record=record, pickup_branch=branch, holding=copy)
    except DomainError as error:
        _tell(request, Outcome(ok=False, text=refusal(error, hold=True)), "hold")
    else:
        _tell(request, Outcome(ok=True, text=gettext("予約しました。")), "hold")
    return HttpResponseRedirect(back + "#hold")


# -- settings -----------------------------------------------------------------------------------


def _settings_page(
    request: HttpRequest,
    patron: Patron,
    *,
    preferences: PreferencesForm | None = None,
    pin_form: PinChangeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    outcomes = _outcomes(request)
    return render(
        request,
        "portal/account/settings.html",
        {
            "patron": patron,
            "preferences": preferences
            or PreferencesForm(
                initial={
                    "email": patron.email,
                    "phone": patron.phone,
                    "notice_channel": patron.notice_channel,
                    "due_soon_reminder": patron.due_soon_reminder,
                    "language": patron.language,
                }
            ),
            "pin_form": pin_form or PinChangeForm(),
            "preferences_outcome": outcomes.get("preferences"),
            "pin_outcome": outcomes.get("pin"),
        },
        status=status,
    )


@patron_required
@require_http_methods(["GET", "POST"])
def settings(request: HttpRequest, patron: Patron) -> HttpResponse:
    if request.method == "GET":
        return _settings_page(request, patron)
    form = PreferencesForm(request.POST)
    if form.is_valid():
        try:
            patron_services.update_preferences(patron=patron, **form.cleaned_data)
        except patron_services.PatronError as error:
            if error.code == "email_required":
                form.add_error("email", gettext("メールでお知らせを受け取るには、メールアドレスが必要です。"))
            else:
                form.add_error(None, str(error))
        else:
            _tell(
                request,
                Outcome(ok=True, text=gettext("連絡先とお知らせの設定を保存しました。")),
                "preferences",
            )
            return HttpResponseRedirect(reverse("portal:account_settings") + "#preferences-heading")
    return _settings_page(request, patron, preferences=form, status=400)


@patron_required
@require_POST
def change_pin(request: HttpRequest, patron: Patron) -> HttpResponse:
    form = PinChangeForm(request.POST)
    if form.is_valid():
        try:
            changed = patron_services.change_pin(
                patron=patron,
                current_pin=form.cleaned_data["current_pin"],
                new_pin=form.cleaned_data["new_pin"],
            )
        except patron_services.AuthenticationFailed:
            form.add_error("current_pin", gettext("いまの暗証番号が違います。"))
        except patron_services.LoginThrottled:
            form.add_error(
                "current_pin",
                gettext("暗証番号の誤りが続いたため、しばらく変更できません。時間をおいてお試しください。"),
            )
        except InvalidPin:
            form.add_error("new_pin", gettext("暗証番号は4〜8桁の数字で、同じ数字だけのものは使えません。"))
        else:
            sessions.refresh(request, changed)
            _tell(
                request,
                Outcome(
                    ok=True, text=gettext("暗証番号を変更しました。ほかの端末ではログインし直してください。")
                ),
                "pin",
            )
            return HttpResponseRedirect(reverse("portal:account_settings") + "#pin-heading")
    return _settings_page(request, patron, pin_form=form, status=400)


# -- reading history (opt-in) -------------------------------------------------------------------


@patron_required
@require_GET
def history(request: HttpRequest, patron: Patron) -> HttpResponse:
    entries = list(circulation_selectors.reading_history(patron)) if patron.reading_history else []
    return render(
        request,
        "portal/account/history.html",
        {
            "patron": patron,
            "entries": [
                {
                    "pk": e.pk,
                    "title": e.record.title,
                    "lang": content_lang(e.record.language),
                    "url": reverse("portal:record", args=[e.record_id]),
                    "borrowed": day_label(e.borrowed_on),
                    "returned": day_label(e.returned_on),
                    "delete_url": reverse("portal:account_history_delete", args=[e.pk]),
                }
                for e in entries
            ],
            "outcome": _outcomes(request).get("history"),
        },
    )


@patron_required
@require_POST
def history_start(request: HttpRequest, patron: Patron) -> HttpResponse:
    circulation_services.set_reading_history(patron=patron, enabled=True)
    _tell(
        request,
        Outcome(ok=True, text=gettext("これから返却する資料を読書記録に残します。")),
        "history",
    )
    return HttpResponseRedirect(reverse("portal:account_history"))


@patron_required
@require_http_methods(["GET", "POST"])
def history_stop(request: HttpRequest, patron: Patron) -> HttpResponse:
    """Stopping deletes every entry, for good: say so, with the number, before doing it."""
    if request.method == "POST":
        circulation_services.set_reading_history(patron=patron, enabled=False)
        _tell(
            request,
            Outcome(ok=True, text=gettext("読書記録をやめ、これまでの記録をすべて削除しました。")),
            "history",
        )
        return HttpResponseRedirect(reverse("portal:account_history"))
    if not patron.reading_history:
        return HttpResponseRedirect(reverse("portal:account_history"))
    count = circulation_selectors.reading_history(patron).count()
    return render(request, "portal/account/history_stop.html", {"patron": patron, "count": count})


@patron_required
@require_POST
def history_delete(request: HttpRequest, patron: Patron, entry_id: int) -> HttpResponse:
    try:
        circulation_services.delete_history_entry(patron=patron, entry_id=entry_id)
    except NotFound:
        raise Http404("no such entry") from None
    _tell(request, Outcome(ok=True, text=gettext("記録を1件削除しました。")), "history")
    return HttpResponseRedirect(reverse("portal:account_history"))


# -- the digital library card ---------------------------------------------------------------------


@patron_required
@require_GET
def card(request: HttpRequest, patron: Patron) -> HttpResponse:
    number = patron.card_number
    return render(
        request,
        "portal/account/card.html",
        {
            "patron": patron,
            "number": number,
            "number_spaced": " ".join(number[i : i + 4] for i in range(0, len(number), 4)),
            "barcode_svg": card_symbols.barcode_svg(number, label=gettext("利用者番号のバーコード")),
            "qr_svg": card_symbols.qr_svg(number, label=gettext("利用者番号のQRコード")),
            "home_branch": branch_name(patron.home_branch),
            "expires_label": day_label(patron.expires_on),
        },
    )


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """Served from the site root so that it may control /account/card (see static sw template)."""
    response = render(request, "portal/sw.js", content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response
