"""The desk's queue of online registrations (/desk/registrations; docs/signup.md).

Two kinds of entry: provisional cards issued by the online form, waiting for the holder to show an
identity document at the counter, and applications held because they looked like an existing
patron. Staff verify a provisional card (→ full membership), refuse it with a reason (the card is
removed, its holds cancelled), and for a held application make the card after all, merge it into
the existing account, or refuse it. Every decision goes through toshokan.patrons.signup, which
writes the audit log; opening an entry that shows an existing patron's details is audited as a
view of that patron's profile, as the patron page is.

This module lives in circulation, not patrons, because refusing a provisional card cancels its
holds, which are circulation's.
"""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from toshokan.core import audit
from toshokan.core.domain import DomainError
from toshokan.patrons import selectors as patron_selectors
from toshokan.patrons import services as patron_services
from toshokan.patrons import signup
from toshokan.patrons.domain.enums import PatronCategory, PatronStatus, Residency, StaffAccessKind
from toshokan.patrons.models import Patron, SignupReview

from .desk import CHANGE_PATRONS, REGISTER_PATRONS, staff_view
from .provisional import reject_provisional_card
from .views import _context as desk_context

# Decisions in the page's language; the services' messages are Japanese.
REVIEW_REFUSALS = {
    "already_decided": gettext_lazy("この申請はすでに処理されています"),
    "already_verified": gettext_lazy("この利用者はすでに本登録です"),
    "reason_required": gettext_lazy("理由を入力してください"),
    "not_a_candidate": gettext_lazy("統合先はこの申請の候補ではありません"),
    "has_loans": gettext_lazy("貸出中の資料があるため削除できません"),
    "not_provisional": gettext_lazy("本登録の利用者は不承認にできません"),
}


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("理由 (申込者に伝えます)"), max_length=500)


def _refusal(error: DomainError) -> str:
    return str(REVIEW_REFUSALS.get(error.code, str(error)))


def _by(request: HttpRequest) -> audit.By:
    return audit.by_request(request, audit.Via.DESK)


def _viewed(request: HttpRequest, patron: Patron) -> None:
    patron_services.record_staff_access(
        actor=request.user,
        patron=patron,
        kind=StaffAccessKind.PROFILE,
        client_address=audit.client_address(request),
    )


def _labels(category: str, residency: str) -> dict[str, str]:
    return {"category": _(PatronCategory(category).label_ja), "residency": _(Residency(residency).label_ja)}


def _days_left(patron: Patron, today: date) -> int:
    return (patron.expires_on - today).days


@staff_view(REGISTER_PATRONS)
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """Held applications first (someone may be waiting at the counter), then provisional cards,
    oldest first, with the days left before each expires."""
    today = timezone.localdate()
    reviews = signup.pending_reviews()
    provisional = [(p, _days_left(p, today)) for p in signup.provisional_patrons()]
    return render(
        request,
        "circulation/desk/registrations.html",
        desk_context(request, "registrations", reviews=reviews, provisional=provisional, today=today),
    )


@staff_view(REGISTER_PATRONS)
@require_GET
def review(request: HttpRequest, review_id: int) -> HttpResponse:
    """A held application beside the patrons it resembles (each view of them audited)."""
    item = SignupReview.objects.select_related("home_branch").filter(pk=review_id).first()
    if item is None or item.state != SignupReview.State.PENDING:
        messages.error(request, _("この申請はすでに処理されています"))
        return HttpResponseRedirect(reverse("desk:registrations"))
    candidates = list(item.candidates.select_related("home_branch").order_by("pk"))
    for candidate in candidates:
        _viewed(request, candidate)
    return render(
        request,
        "circulation/desk/registration_review.html",
        desk_context(
            request,
            "registrations",
            item=item,
            labels=_labels(item.category, item.residency),
            candidates=candidates,
            reason_form=ReasonForm(),
        ),
    )


@staff_view(REGISTER_PATRONS)
@require_POST
def review_create(request: HttpRequest, review_id: int) -> HttpResponse:
    item = SignupReview.objects.filter(pk=review_id).first()
    if item is None:
        return HttpResponseRedirect(reverse("desk:registrations"))
    try:
        patron = signup.create_from_review(review=item, actor=request.user, by=_by(request))
    except DomainError as e:
        messages.error(request, _refusal(e))
        return HttpResponseRedirect(reverse("desk:registrations"))
    messages.success(
        request, _("本人確認のうえ新しく登録しました。利用者番号: %(card)s") % {"card": patron.card_number}
    )
    return HttpResponseRedirect(reverse("desk:patron", args=[patron.pk]))


@staff_view(REGISTER_PATRONS, CHANGE_PATRONS)
@require_POST
def review_merge(request: HttpRequest, review_id: int) -> HttpResponse:
    item = SignupReview.objects.filter(pk=review_id).first()
    into = patron_selectors.patron_by_id(int(request.POST.get("into", "0") or 0))
    if item is None or into is None:
        messages.error(request, _("統合先の利用者を選んでください"))
        return HttpResponseRedirect(reverse("desk:registrations"))
    try:
        patron = signup.merge_review(review=item, into=into, actor=request.user, by=_by(request))
    except DomainError as e:
        messages.error(request, _refusal(e))
        return HttpResponseRedirect(reverse("desk:registrations"))
    messages.success(
        request, _("既存の登録 (%(card)s) に統合し、連絡先を更新しました。") % {"card": patron.card_number}
    )
    return HttpResponseRedirect(reverse("desk:patron", args=[patron.pk]))


@staff_view(REGISTER_PATRONS)
@require_POST
def review_reject(request: HttpRequest, review_id: int) -> HttpResponse:
    item = SignupReview.objects.filter(pk=review_id).first()
    form = ReasonForm(request.POST)
    if item is None:
        return HttpResponseRedirect(reverse("desk:registrations"))
    if not form.is_valid():
        messages.error(request, _("理由を入力してください"))
        return HttpResponseRedirect(reverse("desk:registration_review", args=[item.pk]))
    try:
        signup.reject_review(
            review=item, reason=form.cleaned_data["reason"], actor=request.user, by=_by(request)
        )
    except DomainError as e:
        messages.error(request, _refusal(e))
    else:
        messages.success(request, _("申請を不承認にしました。"))
    return HttpResponseRedirect(reverse("desk:registrations"))


def _provisional_or_redirect(request: HttpRequest, patron_id: int) -> Patron | None:
    patron = patron_selectors.patron_by_id(patron_id)
    if patron is None or patron.status != PatronStatus.PROVISIONAL:
        messages.error(request, _("仮登録の利用者が見つかりません"))
        return None
    return patron


@staff_view(REGISTER_PATRONS)
@require_POST
def verify(request: HttpRequest, patron_id: int) -> HttpResponse:
    """The holder showed an identity document at the counter: full membership."""
    patron = _provisional_or_redirect(request, patron_id)
    if patron is None:
        return HttpResponseRedirect(reverse("desk:registrations"))
    try:
        verified = signup.verify_patron(patron=patron, actor=request.user, by=_by(request))
    except DomainError as e:
        messages.error(request, _refusal(e))
        return HttpResponseRedirect(reverse("desk:registrations"))
    messages.success(
        request,
        _("本人確認をしました。本登録になりました (有効期限 %(date)s)。")
        % {"date": f"{verified.expires_on:%Y-%m-%d}"},
    )
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = reverse("desk:registrations")
    return HttpResponseRedirect(back)


@staff_view(REGISTER_PATRONS)
@require_POST
def reject(request: HttpRequest, patron_id: int) -> HttpResponse:
    """Refuse a provisional card: its holds are cancelled, then the card is removed."""
    patron = _provisional_or_redirect(request, patron_id)
    form = ReasonForm(request.POST)
    if patron is None:
        return HttpResponseRedirect(reverse("desk:registrations"))
    if not form.is_valid():
        messages.error(request, _("理由を入力してください"))
        return HttpResponseRedirect(reverse("desk:registrations"))
    problem = signup.removal_problem(patron)
    if problem:
        messages.error(request, _("貸出中の資料があるため削除できません"))
        return HttpResponseRedirect(reverse("desk:registrations"))
    try:
        reject_provisional_card(
            patron=patron, reason=form.cleaned_data["reason"], actor=request.user, by=_by(request)
        )
    except DomainError as e:
        messages.error(request, _refusal(e))
    else:
        messages.success(request, _("仮登録を取り消しました。"))
    return HttpResponseRedirect(reverse("desk:registrations"))
