"""Forms of the My Number card pages: the signed bundle as a file (or pasted), and a first PIN."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

MAX_BUNDLE_BYTES = 64 * 1024  # two certificates, a chain and two signatures fit many times over


class BundleForm(forms.Form):
    """The bundle the card reader software wrote: a JSON file, or its text pasted."""

    bundle_file = forms.FileField(
        label=_("署名済みファイル（読み取りソフトが作成した .json）"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/json,.json"}),
    )
    bundle_text = forms.CharField(
        label=_("またはファイルの内容を貼り付け"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "autocomplete": "off"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("bundle_file")
        raw: bytes | str = ""
        if upload is not None:
            if upload.size > MAX_BUNDLE_BYTES:
                raise forms.ValidationError(
                    _("ファイルが大きすぎます。読み取りソフトが作成したファイルを選んでください。")
                )
            raw = upload.read()
        elif data.get("bundle_text"):
            raw = data["bundle_text"]
        if not raw:
            raise forms.ValidationError(_("署名済みファイルを選んでください。"))
        try:
            bundle = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise forms.ValidationError(
                _("読み取りソフトが作成したファイル（JSON）ではありません。")
            ) from None
        if not isinstance(bundle, dict):
            raise forms.ValidationError(_("読み取りソフトが作成したファイル（JSON）ではありません。"))
        data["bundle"] = bundle
        return data


class RegistrationForm(BundleForm):
    email = forms.EmailField(
        label=_("メールアドレス（任意）"),
        required=False,
        help_text=_("返却期限や予約のお知らせを受け取るときに入力してください。"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    workplace_address = forms.CharField(
        label=_("市内の勤務先・学校の所在地（市外にお住まいの方のみ・任意）"),
        required=False,
        max_length=300,
    )


class FirstPinForm(forms.Form):
    pin = forms.CharField(
        label=_("暗証番号"),
        strip=False,
        max_length=32,
        help_text=_("4〜8桁の数字。同じ数字だけ（1111 など）は使えません。"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "inputmode": "numeric"}),
    )
    pin_again = forms.CharField(
        label=_("暗証番号（確認）"),
        strip=False,
        max_length=32,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "inputmode": "numeric"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("pin") and data.get("pin_again") and data["pin"] != data["pin_again"]:
            self.add_error("pin_again", _("暗証番号が一致しません。"))
        return data
