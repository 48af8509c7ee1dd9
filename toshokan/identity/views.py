"""Pages of My Number card sign-up and login (Japanese first, with English).

    /signup/mynumber            the steps, the challenge (text and QR code), the upload of the signed file
    /signup/mynumber/welcome    the new card number, and setting a PIN
    /account/login/mynumber     log in with the card's 利用者証明用電子証明書
    /account/mynumber           (logged in) the linked certificates; link the card for later logins

Thin: each POST is one call to toshokan.identity.services, the same the JSON API makes. A page's
challenge is kept in the browser's session until it is used or expires, so reloading the page does
not invalidate a file the card reader is writing; a file signed for another page's challenge is
refused before it is sent on. No inline script: the copy buttons are static/identity/jpki.js.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from toshokan.core.domain import DomainError
from toshokan.core.http import client_address
from toshokan.core.qr import qr_svg
from toshokan.patrons import services as patron_services
from toshokan.patrons import sessions
from toshokan.patrons.domain.pins import InvalidPin

from . import services, trust
from .domain.jpki import JpkiRefused, RefusalReason
from .forms import BundleForm, FirstPinForm, RegistrationForm
from .models import CertificateKind, ChallengePurpose

SESSION_PREFIX = "identity_jpki_"
OUTCOME_KEY = SESSION_PREFIX + "outcome"

API_PATHS = {
    ChallengePurpose.REGISTER: "/api/v1/identity/jpki/registrations",
    ChallengePurpose.LOGIN: "/api/v1/identity/jpki/logins",
    ChallengePurpose.LINK: "/api/v1/identity/jpki/links",
}


def _challenge(request: HttpRequest, purpose: ChallengePurpose) -> dict[str, Any]:
    """This page's challenge: the one kept in the session while it is unused and valid, else a new one."""
    key = SESSION_PREFIX + purpose.value
    kept = request.session.get(key)
    now = timezone.now()
    if kept and datetime.fromisoformat(kept["expires_at"]) > now + timedelta(seconds=30):
        return dict(kept)
    issued = services.issue_challenge(purpose=purpose, client_address=client_address(request), now=now)
    kept = {"nonce": issued.nonce, "expires_at": issued.expires_at.isoformat()}
    request.session[key] = kept
    return dict(kept)


def _forget_challenge(request: HttpRequest, purpose: ChallengePurpose) -> None:
    request.session.pop(SESSION_PREFIX + purpose.value, None)


def _challenge_context(request: HttpRequest, purpose: ChallengePurpose) -> dict[str, Any]:
    try:
        challenge = _challenge(request, purpose)
    except services.ChallengeThrottled:
        return {"throttled": True}
    payload = json.dumps(
        {
            "v": 1,
            "purpose": purpose.value,
            "nonce": challenge["nonce"],
            "submit": request.build_absolute_uri(API_PATHS[purpose]),
        },
        separators=(",", ":"),
    )
    return {
        "nonce": challenge["nonce"],
        "expires_at": datetime.fromisoformat(challenge["expires_at"]),
        "qr_svg": qr_svg(payload, label=gettext("チャレンジのQRコード（スマートフォンのアプリで読み取り）")),
        "qr_payload": payload,
        "demo": trust.demo_enabled(),
        "demo_command": (
            f"python manage.py jpki_demo_card --nonce={challenge['nonce']}"
            + (" --card <id> --login" if purpose != ChallengePurpose.REGISTER else "")
            + " --out bundle.json"
        ),
    }


def refusal_text(exc: DomainError, *, purpose: ChallengePurpose) -> str:
    """What to tell a person whose card, file or eligibility was refused (the reason code is shown too)."""
    if isinstance(exc, JpkiRefused):
        reason = exc.reason
        if reason is RefusalReason.EXPIRED:
            return gettext(
                "マイナンバーカードの電子証明書の有効期限が切れています。お住まいの市区町村の窓口で更新してください。"
            )
        if reason is RefusalReason.NOT_YET_VALID:
            return gettext("この電子証明書はまだ有効になっていません。")
        if reason is RefusalReason.REVOKED:
            return gettext(
                "この電子証明書は失効しています。引っ越しなどで新しい証明書が発行されたときは、新しい証明書で署名してください。"
            )
        if reason is RefusalReason.REVOCATION_UNKNOWN:
            return gettext("電子証明書の失効確認ができませんでした。しばらくしてからもう一度お試しください。")
        if reason in (RefusalReason.UNKNOWN_ISSUER, RefusalReason.BAD_CHAIN_SIGNATURE):
            return gettext(
                "地方公共団体情報システム機構（J-LIS）が発行した電子証明書であることを確認できませんでした。"
            )
        if reason in (RefusalReason.WRONG_KEY_USAGE, RefusalReason.WRONG_POLICY):
            if purpose == ChallengePurpose.REGISTER:
                return gettext("登録には署名用電子証明書（6〜16桁の暗証番号）で署名してください。")
            return gettext("ログインには利用者証明用電子証明書（4桁の暗証番号）で署名してください。")
        if reason is RefusalReason.BAD_SIGNATURE:
            return gettext(
                "署名を確認できませんでした。この画面に表示されている番号に署名したファイルを選んでください。"
            )
        return gettext("電子証明書を読み取れませんでした。読み取りソフトが作成したファイルを選んでください。")
    return str(exc)


def _refusal_context(exc: DomainError, purpose: ChallengePurpose) -> dict[str, Any]:
    code = exc.reason.value if isinstance(exc, JpkiRefused) else exc.code
    return {"refusal": refusal_text(exc, purpose=purpose), "refusal_code": code}


def _bundle_for_page(
    request: HttpRequest, form: BundleForm, purpose: ChallengePurpose, *, signing: bool
) -> Any:
    """The uploaded bundle, checked to answer this page's own challenge. A file that answers it spends
    the challenge here, whatever happens next (the page then shows a new one); a file signed over
    another number leaves it, so the person can sign the one on the screen."""
    bundle = form.cleaned_data["bundle"]
    kept = request.session.get(SESSION_PREFIX + purpose.value) or {}
    if bundle.get("nonce") != kept.get("nonce"):
        raise services.BundleInvalid(
            gettext(
                "このファイルは、いま表示されている番号に署名したものではありません。表示されている番号で、もう一度署名してください。"
            ),
            code="nonce_mismatch",
        )
    _forget_challenge(request, purpose)
    return services.parse_bundle(bundle, signing=signing, auth=not signing)


# -- sign-up --------------------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    purpose = ChallengePurpose.REGISTER
    form = RegistrationForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                bundle = _bundle_for_page(request, form, purpose, signing=True)
                result = services.register_with_card(
                    bundle=bundle,
                    email=form.cleaned_data["email"],
                    workplace_address=form.cleaned_data["workplace_address"],
                )
            except DomainError as exc:
                context.update(_refusal_context(exc, purpose))
                status = 400
            else:
                if result.outcome is services.Outcome.REGISTERED:
                    sessions.start(request, result.patron)
                request.session[OUTCOME_KEY] = {
                    "outcome": result.outcome.value,
                    "card_number": result.patron.card_number,
                    "auth_linked": result.auth_linked,
                }
                return HttpResponseRedirect(reverse("identity:welcome"))
        else:
            status = 400
    context.update(form=form, **_challenge_context(request, purpose))
    if context.get("throttled"):
        status = 429
    return render(request, "identity/signup.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def welcome(request: HttpRequest) -> HttpResponse:
    """The new card (or: you are already a member), and a first PIN for the card and PIN login."""
    done = request.session.get(OUTCOME_KEY)
    if not done:
        return HttpResponseRedirect(reverse("identity:signup"))
    patron = sessions.current_patron(request)
    own = patron is not None and patron.card_number == done["card_number"]
    form = FirstPinForm(request.POST or None) if own and patron is not None and not patron.pin_hash else None
    pin_set = False
    status = 200
    if request.method == "POST" and form is not None and patron is not None:
        if form.is_valid():
            try:
                patron = patron_services.set_pin(patron=patron, pin=form.cleaned_data["pin"])
            except InvalidPin as exc:
                form.add_error("pin", str(exc))
                status = 400
            else:
                sessions.refresh(request, patron)
                pin_set = True
                form = None
        else:
            status = 400
    number = done["card_number"]
    return render(
        request,
        "identity/welcome.html",
        {
            "outcome": done["outcome"],
            "card_number": number if own or done["outcome"] != "registered" else "",
            "number_spaced": " ".join(number[i : i + 4] for i in range(0, len(number), 4)),
            "patron": patron if own else None,
            "auth_linked": done["auth_linked"],
            "form": form,
            "pin_set": pin_set,
        },
        status=status,
    )


# -- login with the card -------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def login(request: HttpRequest) -> HttpResponse:
    purpose = ChallengePurpose.LOGIN
    form = BundleForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                bundle = _bundle_for_page(request, form, purpose, signing=False)
                patron = services.log_in_with_card(bundle=bundle)
            except DomainError as exc:
                context.update(_refusal_context(exc, purpose))
                status = 401 if isinstance(exc, services.NotLinked) else 400
            else:
                sessions.start(request, patron)
                return HttpResponseRedirect(reverse("portal:account"))
        else:
            status = 400
    context.update(form=form, **_challenge_context(request, purpose))
    if context.get("throttled"):
        status = 429
    return render(request, "identity/login.html", context, status=status)


# -- the account's certificates ------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    patron = sessions.current_patron(request)
    if patron is None:
        return HttpResponseRedirect(reverse("portal:account_login") + "?next=" + reverse("identity:account"))
    purpose = ChallengePurpose.LINK
    form = BundleForm(request.POST or None, request.FILES or None)
    context: dict[str, Any] = {}
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                bundle = _bundle_for_page(request, form, purpose, signing=False)
                services.link_auth_certificate(patron=patron, bundle=bundle)
            except DomainError as exc:
                context.update(_refusal_context(exc, purpose))
                status = 400
            else:
                context["linked"] = True
        else:
            status = 400
    context["pin_set"] = request.GET.get("pin") == "set"
    links = [
        {
            "kind": gettext("署名用電子証明書")
            if link.kind == CertificateKind.SIGN
            else gettext("利用者証明用電子証明書"),
            "serial": link.serial,
            "linked_at": timezone.localtime(link.linked_at),
            "ended_at": timezone.localtime(link.ended_at) if link.ended_at else None,
            "not_after": timezone.localtime(link.not_after),
        }
        for link in services.links_of(patron)
    ]
    context.update(
        form=form,
        patron=patron,
        links=links,
        pin_form=FirstPinForm() if not patron.pin_hash else None,
        **_challenge_context(request, purpose),
    )
    return render(request, "identity/account.html", context, status=status)


@never_cache
@require_http_methods(["POST"])
def first_pin(request: HttpRequest) -> HttpResponse:
    """A PIN for a patron who registered with the card and has none yet (changing one is the
    account settings' job, which asks for the current PIN)."""
    patron = sessions.current_patron(request)
    if patron is None:
        return HttpResponseRedirect(reverse("portal:account_login") + "?next=" + reverse("identity:account"))
    form = FirstPinForm(request.POST)
    if patron.pin_hash:
        return HttpResponseRedirect(reverse("portal:account_settings"))
    if form.is_valid():
        try:
            patron = patron_services.set_pin(patron=patron, pin=form.cleaned_data["pin"])
        except InvalidPin as exc:
            form.add_error("pin", str(exc))
        else:
            sessions.refresh(request, patron)
            return HttpResponseRedirect(reverse("identity:account") + "?pin=set")
    return render(
        request,
        "identity/account.html",
        {
            "form": BundleForm(),
            "patron": patron,
            "links": [],
            "pin_form": form,
            **_challenge_context(request, ChallengePurpose.LINK),
        },
        status=400,
    )
