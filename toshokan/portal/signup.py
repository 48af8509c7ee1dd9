"""Online registration (オンライン利用登録) without the My Number card: the form at /signup, the
page that follows, and the e-mail confirmation link (docs/signup.md).

Thin: the rules, the duplicate check, the rate limits and the card are toshokan.patrons.signup's.
An applicant who gets a provisional card is logged in at once (as after /account/login), so that
they can reserve a book the same minute; one held for staff is told only what happens next —
never whose registration theirs resembled.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from toshokan.catalog import selectors as catalog_selectors
from toshokan.core.domain import DomainError
from toshokan.core.http import client_address
from toshokan.patrons import services as patron_services
from toshokan.patrons import sessions, signup
from toshokan.patrons.domain.eligibility import Refusal
from toshokan.patrons.domain.pins import InvalidPin

from .presenters import branch_name

OUTCOME_KEY = "toshokan_signup_outcome"

REFUSAL_TEXT = {
    Refusal.OUTSIDE_AREA: _("お住まいの地域の方は、この図書館にオンラインで登録できません。"),
    Refusal.WORKPLACE_REQUIRED: _(
        "登録できる地域の外にお住まいの方は、地域内の勤務先または学校の名称と所在地を入力してください。"
    ),
    Refusal.WORKPLACE_OUTSIDE_AREA: _("勤務先・学校の所在地が、この図書館に登録できる地域の外です。"),
    Refusal.TOO_YOUNG_ONLINE: _(
        "%(age)d歳未満の方はオンラインで登録できません。保護者の方と一緒に図書館のカウンターでお申し込みください。"
    ),
    Refusal.BIRTH_DATE_INVALID: _("生年月日が正しくありません。"),
}


class SignupForm(forms.Form):
    family_name = forms.CharField(
        label=_("姓"), max_length=100, widget=forms.TextInput(attrs={"autocomplete": "family-name"})
    )
    given_name = forms.CharField(
        label=_("名"), max_length=100, widget=forms.TextInput(attrs={"autocomplete": "given-name"})
    )
    name_reading = forms.CharField(
        label=_("よみがな"),
        max_length=200,
        help_text=_("ひらがなかカタカナで入力してください (例: やまだ はなこ)。"),
    )
    birth_date = forms.DateField(
        label=_("生年月日"), widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"})
    )
    postal_code = forms.RegexField(
        label=_("郵便番号"),
        regex=r"^\s*[0-9０-９]{3}\s*[-‐－ー−]?\s*[0-9０-９]{4}\s*$",
        error_messages={"invalid": _("郵便番号は7桁の数字で入力してください (例: 100-0001)。")},
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}),
    )
    address = forms.CharField(
        label=_("住所"),
        max_length=500,
        help_text=_("都道府県から入力してください (例: 東京都千代田区丸の内1-1)。"),
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    email = forms.EmailField(
        label=_("メールアドレス"),
        help_text=_("確認のメールを送ります。予約の連絡もこのアドレスに届きます。"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    workplace_name = forms.CharField(
        label=_("勤務先・学校の名称"),
        max_length=150,
        required=False,
        help_text=_("地域の外にお住まいで、地域内に通勤・通学している方だけ入力してください。"),
    )
    workplace_address = forms.CharField(
        label=_("勤務先・学校の所在地"),
        max_length=150,
        required=False,
        help_text=_("都道府県から入力してください。"),
    )
    home_branch = forms.ChoiceField(label=_("よく使う図書館"), choices=())
    pin = forms.CharField(
        label=_("暗証番号 (4〜8桁の数字)"),
        max_length=8,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "inputmode": "numeric"}),
    )
    pin_again = forms.CharField(
        label=_("暗証番号 (確認のためもう一度)"),
        max_length=8,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "inputmode": "numeric"}),
    )
    agree = forms.BooleanField(label=_("図書館の利用規則と個人情報の取り扱いに同意します"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        branch_field: forms.ChoiceField = self.fields["home_branch"]  # type: ignore[assignment]
        branch_field.choices = [(b.code, branch_name(b)) for b in catalog_selectors.branches()]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("pin") and data.get("pin_again") is not None and data["pin"] != data.get("pin_again"):
            self.add_error("pin_again", gettext("暗証番号が一致しません。"))
        if bool(data.get("workplace_name", "").strip()) != bool(data.get("workplace_address", "").strip()):
            field = "workplace_address" if data.get("workplace_name", "").strip() else "workplace_name"
            self.add_error(field, gettext("勤務先・学校は、名称と所在地の両方を入力してください。"))
        return data


def _refusal_text(error: signup.SignupRefused) -> str:
    if not error.refusals:
        return str(error)
    refusal = error.refusals[0]
    text = str(REFUSAL_TEXT[refusal])
    if refusal == Refusal.TOO_YOUNG_ONLINE:
        text = text % {"age": patron_services.registration_rules().min_online_age}
    return text


def _confirm_url(request: HttpRequest, token: str) -> str:
    return request.build_absolute_uri(reverse("portal:signup_confirm", args=[token]))


@never_cache
@require_http_methods(["GET", "POST"])
def signup_form(request: HttpRequest) -> HttpResponse:
    form = SignupForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        branch = next(b for b in catalog_selectors.branches() if b.code == data["home_branch"])
        application = signup.Application(
            family_name=data["family_name"],
            given_name=data["given_name"],
            name_reading=data["name_reading"],
            birth_date=data["birth_date"],
            postal_code=data["postal_code"].strip(),
            address=data["address"],
            email=data["email"],
            pin=data["pin"],
            home_branch=branch,
            workplace_name=data["workplace_name"],
            workplace_address=data["workplace_address"],
        )
        try:
            outcome = signup.sign_up(application=application, client_address=client_address(request))
        except signup.SignupThrottled as throttled:
            minutes = max(1, -(-int((throttled.until - timezone.now()).total_seconds()) // 60))
            form.add_error(
                None,
                gettext(
                    "お申し込みが続いたため、あと%(minutes)d分ほど受け付けられません。"
                    "お急ぎの方は図書館のカウンターでお申し込みください。"
                )
                % {"minutes": minutes},
            )
            status = 429
        except signup.SignupRefused as refused:
            field = {
                "address_unreadable": "address",
                "workplace_address_unreadable": "workplace_address",
                "workplace_name_required": "workplace_name",
                "email_required": "email",
            }.get(refused.code)
            form.add_error(field, _refusal_text(refused) if refused.refusals else _field_refusal(refused))
            status = 422
        except InvalidPin:
            form.add_error("pin", gettext("暗証番号は4〜8桁の数字です。同じ数字だけの暗証番号は使えません。"))
            status = 422
        except DomainError as e:
            form.add_error(None, str(e))
            status = 422
        else:
            language = get_language() or "ja"
            if outcome.patron is not None:
                patron = outcome.patron
                signup.send_confirmation(
                    to=patron,
                    confirm_url=_confirm_url(request, signup.confirmation_token(patron=patron)),
                    language=language,
                )
                sessions.start(request, patron)
                request.session[OUTCOME_KEY] = {"kind": "card", "patron": patron.pk}
            else:
                assert outcome.review is not None
                signup.send_confirmation(
                    to=outcome.review,
                    confirm_url=_confirm_url(request, signup.confirmation_token(review=outcome.review)),
                    language=language,
                )
                request.session[OUTCOME_KEY] = {"kind": "held"}
            return HttpResponseRedirect(reverse("portal:signup_done"))
    elif request.method == "POST":
        status = 422
    rules = patron_services.registration_rules()
    return render(
        request,
        "portal/signup/form.html",
        {
            "form": form,
            "areas": "、".join(a.area for a in rules.resident_areas),
            "commuter_areas": "、".join(a.area for a in rules.effective_commuter_areas),
            "other_areas": "、".join(a.area for a in rules.other_areas),
            "allow_anyone": rules.allow_anyone,
            "min_age": rules.min_online_age,
            "provisional": patron_services.provisional_rules(),
        },
        status=status,
    )


def _field_refusal(error: signup.SignupRefused) -> str:
    return {
        "address_unreadable": gettext(
            "住所は都道府県・市区町村から入力してください (例: 東京都千代田区丸の内1-1)。"
        ),
        "workplace_address_unreadable": gettext(
            "勤務先・学校の所在地は都道府県・市区町村から入力してください。"
        ),
        "workplace_name_required": gettext("勤務先・学校の名称を入力してください。"),
        "email_required": gettext("メールアドレスを入力してください。"),
    }.get(error.code, str(error))


@never_cache
@require_GET
def signup_done(request: HttpRequest) -> HttpResponse:
    outcome = request.session.get(OUTCOME_KEY)
    if not outcome:
        return HttpResponseRedirect(reverse("portal:signup"))
    patron = sessions.current_patron(request) if outcome.get("kind") == "card" else None
    if outcome.get("kind") == "card" and (patron is None or patron.pk != outcome.get("patron")):
        return HttpResponseRedirect(reverse("portal:signup"))
    rules = patron_services.provisional_rules()
    return render(
        request,
        "portal/signup/done.html",
        {"patron": patron, "held": outcome.get("kind") == "held", "provisional": rules},
    )


@never_cache
@require_GET
def signup_confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        signup.confirm_email(token=token)
    except signup.ReviewError:
        return render(request, "portal/signup/confirmed.html", {"ok": False}, status=400)
    return render(request, "portal/signup/confirmed.html", {"ok": True})


@never_cache
@require_POST
def signup_resend(request: HttpRequest) -> HttpResponse:
    """Send the confirmation e-mail again to the logged-in patron's address (rate-limited as
    applications are: per client address and per e-mail address)."""
    patron = sessions.current_patron(request)
    if patron is None:
        return HttpResponseRedirect(reverse("portal:account_login"))
    if not patron.email or patron.email_confirmed_at is not None:
        return HttpResponseRedirect(reverse("portal:account"))
    try:
        signup.count_attempt(client_address=client_address(request), email=patron.email, now=timezone.now())
    except signup.SignupThrottled:
        messages.error(request, gettext("しばらく時間をおいてから、もう一度お試しください。"))
    else:
        signup.send_confirmation(
            to=patron,
            confirm_url=_confirm_url(request, signup.confirmation_token(patron=patron)),
            language=get_language() or "ja",
        )
        messages.success(request, gettext("確認メールを送りました。"))
    return HttpResponseRedirect(reverse("portal:account"))
