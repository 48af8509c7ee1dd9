"""Staff sign-in pages under /staff/: password, second factor (or enrolment), confirmation before
sensitive actions, recovery codes, the session's remaining time, and a managers' roles page.

Thin over toshokan.staff.services; the rules are there and in the middleware.
"""

from __future__ import annotations

import json
import math
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from toshokan.core.domain import DomainError
from toshokan.passkeys import services as passkey_services

from . import selectors, services, sessions
from .domain import totp
from .forms import CodeForm, ConfirmForm, RolesForm, SignInForm
from .models import EventKind, FailureKind
from .qr import qr_svg
from .reauth import require_recent_authentication


def _next(request: HttpRequest, default: str = "") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default or reverse("desk:checkout")


def _with_next(name: str, next_url: str) -> str:
    return f"{reverse(name)}?{urlencode({'next': next_url})}"


def _private(response: HttpResponse) -> HttpResponse:
    patch_cache_control(response, private=True, no_store=True)
    return response


def _pending_user(request: HttpRequest) -> Any:
    """The user whose password was accepted and whose second factor is awaited (or None)."""
    user = request.user
    if not user.is_authenticated or not selectors.is_staff_account(user):
        return None
    return user


# -- password -------------------------------------------------------------------------------------


class SignInView(auth_views.LoginView):
    """The staff login page (password). /desk/login and /admin/login/ lead here."""

    template_name = "staff/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return reverse("desk:checkout")

    def form_valid(self, form: SignInForm) -> HttpResponse:  # type: ignore[override]
        user = form.get_user()
        # Whatever this session proved before, a new password is a new sign-in.
        for key in (sessions.VERIFIED, sessions.AUTHENTICATED_AT, sessions.STARTED_AT, sessions.SEEN_AT):
            self.request.session.pop(key, None)
        auth_login(self.request, user)
        target = self.get_success_url()
        address = services.client_address(self.request)
        if not selectors.is_staff_account(user):
            services.clear_failures(username=user.get_username())
            services.record_event(kind=EventKind.SIGNED_IN, user=user, address=address, detail="password")
            return HttpResponseRedirect(target)
        self.request.session[sessions.PASSWORD_AT] = sessions.now()
        step = "staff:verify" if selectors.has_second_factor(user) else "staff:enrol"
        return HttpResponseRedirect(_with_next(step, target))


# -- second factor --------------------------------------------------------------------------------


def _signed_in(request: HttpRequest, user: Any, method: str) -> HttpResponse:
    sessions.mark_verified(request, user, method=method)
    services.clear_failures(username=user.get_username())
    services.record_event(
        kind=EventKind.SIGNED_IN, user=user, address=services.client_address(request), detail=method
    )
    return HttpResponseRedirect(_next(request))


def _locked_out(request: HttpRequest) -> HttpResponse:
    auth_logout(request)
    messages.error(request, str(SignInForm.error_messages["locked"]))
    return redirect("staff:login")


def verify(request: HttpRequest) -> HttpResponse:
    """The second factor: a code from the authenticator app, a recovery code, or a passkey."""
    user = _pending_user(request)
    if user is None:
        return redirect(_with_next("staff:login", _next(request)))
    if sessions.is_verified(request, user):
        return HttpResponseRedirect(_next(request))
    if not selectors.has_second_factor(user):
        return redirect(_with_next("staff:enrol", _next(request)))
    form = CodeForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        try:
            method = services.verify_second_factor(
                user=user,
                code=form.cleaned_data["code"],
                address=services.client_address(request),
                now=sessions.now(),
            )
        except services.SignInLocked:
            return _locked_out(request)
        except services.SecondFactorRefused:
            error = _("コードが違うか、すでに使われています")
            if services.locked_until(username=user.get_username(), address="") is not None:
                return _locked_out(request)
        else:
            if method == "recovery":
                left = selectors.unused_recovery_codes(user)
                messages.warning(request, _("回復コードを使いました。残りは %(n)d 個です。") % {"n": left})
            return _signed_in(request, user, method)
    context = {
        "form": form,
        "error": error,
        "next": _next(request),
        "has_totp": selectors.has_totp(user),
        "has_passkey": selectors.has_passkey(user),
    }
    return _private(render(request, "staff/verify.html", context, status=400 if error else 200))


@require_POST
def passkey_options(request: HttpRequest) -> HttpResponse:
    """Options for navigator.credentials.get() with this account's passkeys (user verification
    required), for the second-factor page and the confirmation page."""
    user = _pending_user(request)
    if user is None:
        return JsonResponse({"error": "not_signed_in"}, status=401)
    try:
        return _private(JsonResponse(passkey_services.begin_authentication(request, user=user)))
    except DomainError as exc:
        return JsonResponse({"error": exc.code, "message": str(exc)}, status=400)


@require_POST
def passkey_verify(request: HttpRequest) -> HttpResponse:
    """The browser's answer to passkey_options. Completes the sign-in (or the confirmation)."""
    user = _pending_user(request)
    if user is None:
        return JsonResponse({"error": "not_signed_in"}, status=401)
    address = services.client_address(request)
    if services.locked_until(username=user.get_username(), address=address) is not None:
        auth_logout(request)
        return JsonResponse({"error": "sign_in_locked", "redirect": reverse("staff:login")}, status=403)
    try:
        payload = json.loads(request.body or b"{}")
        passkey_services.finish_authentication(request, payload.get("credential", payload), user=user)
    except (ValueError, AttributeError, DomainError) as exc:
        services.second_factor_failed(user=user, address=address)
        code = getattr(exc, "code", "invalid")
        return JsonResponse(
            {"error": code, "message": str(exc) if isinstance(exc, DomainError) else ""}, status=400
        )
    purpose = request.GET.get("purpose", "")
    if purpose == "confirm" and sessions.is_verified(request, user):
        sessions.mark_reauthenticated(request)
        services.record_event(kind=EventKind.REAUTHENTICATED, user=user, address=address, detail="passkey")
    elif not sessions.is_verified(request, user):
        sessions.mark_verified(request, user, method="passkey")
        services.clear_failures(username=user.get_username())
        services.record_event(kind=EventKind.SIGNED_IN, user=user, address=address, detail="passkey")
    return _private(JsonResponse({"redirect": _next(request)}))


def enrol(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: the QR code and the secret, confirmed by a first code.

    At the first sign-in (password accepted, no second factor yet) it is the way in. An account
    that has a second factor must give it first; replacing it then needs a recent confirmation."""
    user = _pending_user(request)
    if user is None:
        return redirect(_with_next("staff:login", _next(request, reverse("staff:enrol"))))
    verified = sessions.is_verified(request, user)
    if not verified and selectors.has_second_factor(user):
        return redirect(_with_next("staff:verify", _next(request)))
    if verified and selectors.has_second_factor(user):
        return _reenrol(request)
    return _enrol(request, user, verified=verified)


@require_recent_authentication()
def _reenrol(request: HttpRequest) -> HttpResponse:
    return _enrol(request, request.user, verified=True)


def _enrol(request: HttpRequest, user: Any, *, verified: bool) -> HttpResponse:
    secret = request.session.get(sessions.ENROLMENT)
    if not isinstance(secret, str):
        secret = totp.new_secret()
        request.session[sessions.ENROLMENT] = secret
    form = CodeForm(request.POST or None)
    error = ""
    if request.method == "POST" and form.is_valid():
        address = services.client_address(request)
        try:
            codes = services.enrol_totp(
                user=user, secret=secret, code=form.cleaned_data["code"], now=sessions.now(), address=address
            )
        except services.SecondFactorRefused:
            services.second_factor_failed(user=user, address=address)
            if services.locked_until(username=user.get_username(), address=address) is not None:
                return _locked_out(request)
            error = _("確認コードが違います。認証アプリに表示されている6桁のコードを入力してください")
        else:
            del request.session[sessions.ENROLMENT]
            request.session[sessions.NEW_RECOVERY_CODES] = codes
            if not verified:
                sessions.mark_verified(request, user, method="totp")
                services.clear_failures(username=user.get_username())
                services.record_event(
                    kind=EventKind.SIGNED_IN, user=user, address=address, detail="enrolment"
                )
            messages.success(request, _("認証アプリを登録しました"))
            return redirect(_with_next("staff:recovery_codes", _next(request)))
    uri = totp.provisioning_uri(
        secret, account=user.get_username(), issuer=str(sessions.setting("TOTP_ISSUER"))
    )
    context = {
        "form": form,
        "error": error,
        "next": _next(request),
        "qr": qr_svg(uri, label=_("認証アプリで読み取るQRコード")),
        "secret": totp.grouped(secret),
        "replacing": verified,
    }
    return _private(render(request, "staff/enrol.html", context, status=400 if error else 200))


def recovery_codes(request: HttpRequest) -> HttpResponse:
    """Shows fresh recovery codes once (after enrolment, or after making new ones here)."""
    user = request.user
    if not user.is_authenticated or not sessions.is_verified(request, user):
        return redirect(_with_next("staff:login", reverse("staff:recovery_codes")))
    if request.method == "POST":
        return _new_recovery_codes(request)
    codes = request.session.pop(sessions.NEW_RECOVERY_CODES, None)
    context = {
        "codes": codes or [],
        "left": selectors.unused_recovery_codes(user),
        "next": _next(request),
    }
    return _private(render(request, "staff/recovery_codes.html", context))


@require_recent_authentication()
def _new_recovery_codes(request: HttpRequest) -> HttpResponse:
    request.session[sessions.NEW_RECOVERY_CODES] = services.make_recovery_codes(
        user=request.user, address=services.client_address(request)
    )
    return redirect(_with_next("staff:recovery_codes", _next(request)))


# -- confirmation before sensitive actions --------------------------------------------------------


def confirm(request: HttpRequest) -> HttpResponse:
    """Password and second factor again, then back to the action (toshokan.staff.reauth)."""
    user = request.user
    back = _next(request)
    if not user.is_authenticated or not sessions.is_verified(request, user):
        return redirect(_with_next("staff:login", back))
    form = ConfirmForm(request.POST or None)
    error = ""
    address = services.client_address(request)
    if request.method == "POST" and form.is_valid():
        try:
            services.check_not_locked(username=user.get_username(), address=address)
            if not user.check_password(form.cleaned_data["password"]):
                services.record_failure(
                    username=user.get_username(),
                    address=address,
                    kind=FailureKind.PASSWORD,
                    user=user,
                )
                raise services.SecondFactorRefused("password")
            if selectors.has_totp(user) or form.cleaned_data["code"]:
                services.verify_second_factor(
                    user=user, code=form.cleaned_data["code"], address=address, now=sessions.now()
                )
            else:  # a passkey-only account confirms with its passkey (the page's button)
                raise services.SecondFactorRefused("passkey")
        except services.SignInLocked:
            return _locked_out(request)
        except services.SecondFactorRefused:
            if services.locked_until(username=user.get_username(), address=address) is not None:
                return _locked_out(request)
            error = _("パスワードまたは確認コードが違います")
        else:
            sessions.mark_reauthenticated(request)
            services.record_event(kind=EventKind.REAUTHENTICATED, user=user, address=address)
            return HttpResponseRedirect(back)
    context = {
        "form": form,
        "error": error,
        "next": back,
        "has_totp": selectors.has_totp(user),
        "has_passkey": selectors.has_passkey(user),
    }
    return _private(render(request, "staff/confirm.html", context, status=400 if error else 200))


# -- session --------------------------------------------------------------------------------------


@require_GET
def session_status(request: HttpRequest) -> HttpResponse:
    """How long this staff session has left (the pages' idle warning reads it; not activity)."""
    return _status(request)


@require_POST
def session_extend(request: HttpRequest) -> HttpResponse:
    """ "Continue" on the idle warning: any request by the staff member counts as activity (the
    middleware notes it); this one only answers the new time left."""
    return _status(request)


def _status(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated or not sessions.is_verified(request, user):
        # "pending": the password was given, the second factor not yet (the pages asking for it).
        pending = user.is_authenticated and selectors.is_staff_account(user)
        return _private(JsonResponse({"signed_in": False, "pending": bool(pending)}))
    now = sessions.now()
    seen = float(request.session.get(sessions.SEEN_AT, now))
    started = float(request.session.get(sessions.STARTED_AT, now))
    idle_left = float(sessions.setting("IDLE_TIMEOUT_S")) - (now - seen)
    absolute_left = float(sessions.setting("ABSOLUTE_TIMEOUT_S")) - (now - started)
    return _private(
        JsonResponse(
            {
                "signed_in": True,
                # Rounded up: 0 only once the session has really ended.
                "remaining_s": max(0, math.ceil(min(idle_left, absolute_left))),
                "idle_remaining_s": max(0, math.ceil(idle_left)),
                "absolute_remaining_s": max(0, math.ceil(absolute_left)),
                "warning_s": int(sessions.setting("IDLE_WARNING_S")),
            }
        )
    )


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user.is_authenticated:
        services.record_event(kind=EventKind.SIGNED_OUT, user=user, address=services.client_address(request))
    auth_logout(request)
    return redirect("staff:login")


# -- roles (managers) -----------------------------------------------------------------------------


@permission_required("staff.manage_staff", login_url="staff:login", raise_exception=False)
def roles(request: HttpRequest) -> HttpResponse:
    """Managers give the desk, cataloguer and manager roles to the staff of their branches."""
    people = services.manageable_by(request.user).order_by("username").prefetch_related("groups")
    rows = [
        {
            "user": person,
            "roles": sorted(g.name for g in person.groups.all()),
            "branches": [b.code for b in selectors.branches_of(person)],
        }
        for person in people
    ]
    return _private(render(request, "staff/roles.html", {"rows": rows, "form": RolesForm()}))


@require_POST
@permission_required("staff.manage_staff", login_url="staff:login", raise_exception=False)
@require_recent_authentication()
def set_roles(request: HttpRequest, user_id: int) -> HttpResponse:
    person = get_object_or_404(get_user_model(), pk=user_id)
    form = RolesForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("役割を選んでください"))
        return redirect("staff:roles")
    try:
        services.set_roles(user=person, roles=form.cleaned_data["roles"], actor=request.user)
        messages.success(request, _("%(name)s の役割を変更しました") % {"name": person.get_username()})
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect("staff:roles")
