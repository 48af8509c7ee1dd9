"""Forms of the staff sign-in pages."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from . import services

SIGN_IN_FAILED = _("ログインできませんでした。ユーザー名とパスワードを確かめてください")
SIGN_IN_LOCKED = _(
    "ログインは一時的にロックされています。しばらくしてからやり直すか、管理者に連絡してください"
)


class SignInForm(AuthenticationForm):
    """The password step. Says only "failed" or "temporarily locked": never whether the user name
    exists, is inactive, or is a self-check device."""

    error_messages = {"invalid_login": SIGN_IN_FAILED, "inactive": SIGN_IN_FAILED, "locked": SIGN_IN_LOCKED}

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        address = services.client_address(self.request)
        if username and services.locked_until(username=username, address=address) is not None:
            raise ValidationError(self.error_messages["locked"], code="locked")
        try:
            return super().clean()
        except ValidationError:
            if services.locked_until(username=username, address=address) is not None:
                raise ValidationError(self.error_messages["locked"], code="locked") from None
            raise


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("確認コード"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class ConfirmForm(forms.Form):
    password = forms.CharField(
        label=_("パスワード"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"})
    )
    code = forms.CharField(
        label=_("確認コード"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class RolesForm(forms.Form):
    roles = forms.MultipleChoiceField(
        label=_("役割"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        choices=[("desk", _("カウンター")), ("cataloguer", _("目録")), ("manager", _("管理者 (館長・係長)"))],
    )
