"""Passkey pages and the JSON steps of the ceremonies, for patrons (/account/passkeys/…) and staff
(/desk/passkeys). Thin: each step is one call to services; static/passkeys/passkeys.js drives the
browser's side.

The ceremony steps are POSTs (CSRF-protected; they keep a challenge in the session) answering JSON:
`{"ok": true, …}` or `{"ok": false, "error": "<a message to show>"}` with a 4xx status. Renaming and
removing are plain forms that redirect back, their answer in the messages framework (tag
"passkeys"), which the account page's passkey section and the desk page show.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from toshokan.core.domain import NotFound
from toshokan.patrons import services as patron_services
from toshokan.patrons import sessions
from toshokan.patrons.models import Patron

from . import selectors, services
from .domain.relying_party import NotADomain, RelyingPartyError
from .models import Passkey

View = Callable[..., HttpResponse]
TAG = "passkeys"


def _account_url(anchor: str = "passkeys") -> str:
    return reverse("portal:account") + f"#{anchor}"


def _staff_url(anchor: str = "") -> str:
    return reverse("passkeys:staff") + (f"#{anchor}" if anchor else "")


def _json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        body = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        return {}
    return body if isinstance(body, dict) else {}


def _refusal(text: str, status: int) -> JsonResponse:
    return JsonResponse({"ok": False, "error": text}, status=status)


def _error_text(error: services.PasskeyError) -> str:
    """What to tell the person, in their language, for a refused ceremony."""
    if isinstance(error, services.ChallengeExpired):
        return gettext("手続きの有効期限が切れました。もう一度お試しください。")
    if isinstance(error, services.UserVerificationRequired):
        return gettext(
            "本人確認 (指紋・顔・画面ロックの暗証番号など) が行われなかったため、パスキーを使えませんでした。"
            "本人確認のできる端末やブラウザでお試しください。"
        )
    if isinstance(error, services.DuplicatePasskey):
        return gettext("このパスキーはすでに登録されています。")
    if isinstance(error, services.InvalidPasskeyName):
        return str(error)
    if isinstance(error, services.TooManyPasskeys):
        return gettext("パスキーは%(n)d個まで登録できます。使わないものを削除してください。") % {
            "n": services.MAX_PASSKEYS
        }
    if isinstance(error, services.NoPasskeys):
        return gettext("パスキーが登録されていません。")
    return gettext("このパスキーは使えませんでした。もう一度お試しください。")


def _rp_refusal(error: RelyingPartyError) -> JsonResponse:
    if isinstance(error, NotADomain):
        return _refusal(
            gettext(
                "このアドレスではパスキーを使えません。IP アドレスではなく、localhost や図書館のドメイン名で開いたページでお使いください。"
            ),
            400,
        )
    return _refusal(
        gettext("パスキーの設定に誤りがあるため、いまは使えません。図書館にお知らせください。"), 500
    )


def _ceremony(step: Callable[[], JsonResponse]) -> JsonResponse:
    try:
        return step()
    except services.PasskeyError as error:
        status = 400 if isinstance(error, services.InvalidPasskeyName) else 403
        return _refusal(_error_text(error), status)
    except RelyingPartyError as error:
        return _rp_refusal(error)


# -- patrons --------------------------------------------------------------------------------------


def patron_required(view: View) -> View:
    """The logged-in patron, or: a page goes to the login; a JSON step answers 401."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        patron = sessions.current_patron(request)
        if patron is None:
            if request.content_type == "application/json":
                return _refusal(
                    gettext("ログインの有効期限が切れました。もう一度ログインしてください。"), 401
                )
            target = request.get_full_path() if request.method == "GET" else _account_url()
            return HttpResponseRedirect(reverse("portal:account_login") + "?" + urlencode({"next": target}))
        return view(request, patron, *args, **kwargs)

    return never_cache(wrapper)


@require_POST
@patron_required
def patron_register_options(request: HttpRequest, patron: Patron) -> JsonResponse:
    pin = str(_json_body(request).get("pin") or "")
    try:
        return _ceremony(lambda: JsonResponse(services.begin_registration(request, patron=patron, pin=pin)))
    except patron_services.LoginThrottled as throttled:
        return _throttled(throttled)
    except patron_services.AuthenticationFailed:
        return _refusal(
            gettext("暗証番号が違います。パスキーを追加するには、いまの暗証番号を入力してください。"), 403
        )


@require_POST
@patron_required
def patron_register(request: HttpRequest, patron: Patron) -> JsonResponse:
    body = _json_body(request)

    def step() -> JsonResponse:
        passkey = services.finish_registration(
            request, body.get("credential"), name=str(body.get("name") or ""), patron=patron
        )
        messages.success(
            request, gettext("パスキー「%(name)s」を登録しました。") % {"name": passkey.name}, TAG
        )
        return JsonResponse({"ok": True, "redirect": _account_url(f"passkey-{passkey.pk}")})

    return _ceremony(step)


def _patron_passkey(patron: Patron, passkey_id: int) -> Passkey:
    try:
        return selectors.passkey_of(passkey_id, patron=patron)
    except NotFound:
        raise Http404("no such passkey") from None


@require_POST
@patron_required
def patron_rename(request: HttpRequest, patron: Patron, passkey_id: int) -> HttpResponse:
    passkey = _patron_passkey(patron, passkey_id)
    try:
        services.rename_passkey(passkey=passkey, name=request.POST.get("name", ""))
    except services.InvalidPasskeyName as error:
        messages.error(request, str(error), TAG)
    else:
        messages.success(
            request, gettext("パスキーの名前を「%(name)s」に変更しました。") % {"name": passkey.name}, TAG
        )
    return HttpResponseRedirect(_account_url(f"passkey-{passkey.pk}"))


@require_http_methods(["GET", "POST"])
@patron_required
def patron_remove(request: HttpRequest, patron: Patron, passkey_id: int) -> HttpResponse:
    passkey = _patron_passkey(patron, passkey_id)
    if request.method == "POST":
        services.remove_passkey(passkey=passkey)
        messages.success(
            request, gettext("パスキー「%(name)s」を削除しました。") % {"name": passkey.name}, TAG
        )
        return HttpResponseRedirect(_account_url())
    remaining = selectors.passkeys_of(patron=patron).exclude(pk=passkey.pk).count()
    return render(
        request,
        "passkeys/account_remove.html",
        {"passkey": passkey, "remaining": remaining, "back": _account_url(f"passkey-{passkey.pk}")},
    )


# -- patron login -----------------------------------------------------------------------------------


def _safe_next(request: HttpRequest, value: object) -> str:
    if isinstance(value, str) and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return reverse("portal:account")


def _throttled(throttled: patron_services.LoginThrottled) -> JsonResponse:
    retry_after = max(1, int((throttled.until - timezone.now()).total_seconds()))
    response = _refusal(
        gettext(
            "ログインの失敗が続いたため、あと%(minutes)d分ほどログインできません。"
            "暗証番号がわからないときは、利用者カードをお持ちのうえ窓口でお尋ねください。"
        )
        % {"minutes": -(-retry_after // 60)},
        429,
    )
    response["Retry-After"] = str(retry_after)
    return response


@never_cache
@require_POST
def login_options(request: HttpRequest) -> JsonResponse:
    return _ceremony(lambda: JsonResponse(services.begin_patron_login(request)))


@never_cache
@require_POST
def login(request: HttpRequest) -> JsonResponse:
    """Log a patron in with a passkey: the same session as card and PIN (patrons.sessions), the
    same throttle per client address, and the same answer whatever part was wrong."""
    body = _json_body(request)
    try:
        patron = services.finish_patron_login(
            request, body.get("credential"), client_address=request.META.get("REMOTE_ADDR", "")
        )
    except patron_services.LoginThrottled as throttled:
        return _throttled(throttled)
    except services.PatronLoginNotVerified:
        return _refusal(_error_text(services.UserVerificationRequired("")), 401)
    except services.PatronLoginExpired:
        return _refusal(_error_text(services.ChallengeExpired("")), 401)
    except patron_services.AuthenticationFailed:
        return _refusal(
            gettext(
                "パスキーでログインできませんでした。登録したパスキーを選ぶか、利用者番号と暗証番号でログインしてください。"
            ),
            401,
        )
    except RelyingPartyError as error:
        return _rp_refusal(error)
    sessions.start(request, patron, remember=bool(body.get("remember")))
    return JsonResponse({"ok": True, "redirect": _safe_next(request, body.get("next"))})


# -- staff ------------------------------------------------------------------------------------------


def staff_required(view: View) -> View:
    """A staff login (the desk's login page first); JSON steps answer 401 instead."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not (user.is_authenticated and user.is_active and user.is_staff):
            if request.content_type == "application/json":
                return _refusal(gettext("職員としてログインしてください。"), 401)
            if user.is_authenticated:
                return render(request, "circulation/desk/forbidden.html", {"perms": ()}, status=403)
            return redirect_to_login(request.get_full_path(), reverse("desk:login"))
        response = view(request, *args, **kwargs)
        patch_cache_control(response, private=True, no_store=True)
        return response

    return never_cache(wrapper)


@require_GET
@staff_required
def staff(request: HttpRequest) -> HttpResponse:
    return render(request, "passkeys/staff.html", {"passkeys": selectors.passkeys_of(user=request.user)})


@require_POST
@staff_required
def staff_register_options(request: HttpRequest) -> JsonResponse:
    return _ceremony(lambda: JsonResponse(services.begin_registration(request, user=request.user)))


@require_POST
@staff_required
def staff_register(request: HttpRequest) -> JsonResponse:
    body = _json_body(request)

    def step() -> JsonResponse:
        passkey = services.finish_registration(
            request, body.get("credential"), name=str(body.get("name") or ""), user=request.user
        )
        messages.success(request, gettext("パスキー「%(name)s」を登録しました。") % {"name": passkey.name})
        return JsonResponse({"ok": True, "redirect": _staff_url(f"passkey-{passkey.pk}")})

    return _ceremony(step)


@require_POST
@staff_required
def staff_verify_options(request: HttpRequest) -> JsonResponse:
    return _ceremony(lambda: JsonResponse(services.begin_authentication(request, user=request.user)))


@require_POST
@staff_required
def staff_verify(request: HttpRequest) -> JsonResponse:
    """Check a passkey of the logged-in staff user: the ceremony staff sign-in uses, tried here."""
    body = _json_body(request)

    def step() -> JsonResponse:
        passkey = services.finish_authentication(request, body.get("credential"), user=request.user)
        text = gettext("パスキー「%(name)s」で本人確認できました。") % {"name": passkey.name}
        return JsonResponse({"ok": True, "message": text})

    return _ceremony(step)


def _staff_passkey(request: HttpRequest, passkey_id: int) -> Passkey:
    try:
        return selectors.passkey_of(passkey_id, user=request.user)
    except NotFound:
        raise Http404("no such passkey") from None


@require_POST
@staff_required
def staff_rename(request: HttpRequest, passkey_id: int) -> HttpResponse:
    passkey = _staff_passkey(request, passkey_id)
    try:
        services.rename_passkey(passkey=passkey, name=request.POST.get("name", ""))
    except services.InvalidPasskeyName as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, gettext("パスキーの名前を「%(name)s」に変更しました。") % {"name": passkey.name}
        )
    return HttpResponseRedirect(_staff_url(f"passkey-{passkey.pk}"))


@require_http_methods(["GET", "POST"])
@staff_required
def staff_remove(request: HttpRequest, passkey_id: int) -> HttpResponse:
    passkey = _staff_passkey(request, passkey_id)
    if request.method == "POST":
        services.remove_passkey(passkey=passkey)
        messages.success(request, gettext("パスキー「%(name)s」を削除しました。") % {"name": passkey.name})
        return HttpResponseRedirect(_staff_url())
    remaining = selectors.passkeys_of(user=request.user).exclude(pk=passkey.pk).count()
    return render(request, "passkeys/staff_remove.html", {"passkey": passkey, "remaining": remaining})
