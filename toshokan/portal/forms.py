"""Forms of the patron's pages. They check the shape of what was typed; the rules (PIN policy,
an e-mail address for e-mail notices, hold limits) are the services' to apply."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from toshokan.patrons.domain.enums import NoticeChannel


class LoginForm(forms.Form):
    card_number = forms.CharField(
        label=_("利用者番号"),
        max_length=40,
        help_text=_("利用者カードの裏にある番号です（ハイフンや空白はあってもなくてもかまいません）。"),
        widget=forms.TextInput(
            attrs={"autocomplete": "username", "inputmode": "numeric", "spellcheck": "false"}
        ),
    )
    pin = forms.CharField(
        label=_("暗証番号"),
        max_length=32,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "inputmode": "numeric"}),
    )
    remember = forms.BooleanField(
        label=_("この端末でログインしたままにする"),
        required=False,
        help_text=_(
            "ご自分のスマートフォンやパソコンのときだけ選んでください。図書館の端末では選ばないでください。"
        ),
    )


NOTICE_CHANNEL_CHOICES = [
    (NoticeChannel.EMAIL.value, _("メールとマイライブラリ")),
    (NoticeChannel.ACCOUNT.value, _("マイライブラリだけ（メールは送らない）")),
]
LANGUAGE_CHOICES = [("ja", "日本語"), ("en", "English")]


class PreferencesForm(forms.Form):
    email = forms.EmailField(
        label=_("メールアドレス"),
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=_("電話番号"),
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    notice_channel = forms.ChoiceField(
        label=_("お知らせの受け取り方"), choices=NOTICE_CHANNEL_CHOICES, widget=forms.RadioSelect
    )
    due_soon_reminder = forms.BooleanField(label=_("返却期限が近づいたらお知らせする"), required=False)
    language = forms.ChoiceField(label=_("お知らせの言語"), choices=LANGUAGE_CHOICES)


class PinChangeForm(forms.Form):
    current_pin = forms.CharField(
        label=_("いまの暗証番号"),
        strip=False,
        max_length=32,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "inputmode": "numeric"}),
    )
    new_pin = forms.CharField(
        label=_("新しい暗証番号"),
        strip=False,
        max_length=32,
        help_text=_("4〜8桁の数字。同じ数字だけ（1111 など）は使えません。"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "inputmode": "numeric"}),
    )
    new_pin_again = forms.CharField(
        label=_("新しい暗証番号（確認）"),
        strip=False,
        max_length=32,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password", "inputmode": "numeric"}),
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("new_pin") and data.get("new_pin_again") and data["new_pin"] != data["new_pin_again"]:
            self.add_error("new_pin_again", _("新しい暗証番号が一致しません。"))
        return data


class HoldForm(forms.Form):
    """Pickup branch and, optionally, one copy; the choices are the record's own."""

    pickup_branch = forms.ChoiceField(label=_("受取館"))
    holding = forms.ChoiceField(label=_("資料"), required=False)

    def __init__(
        self,
        *args: object,
        branches: list[tuple[str, str]],
        copies: list[tuple[str, str]],
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["pickup_branch"].choices = branches  # type: ignore[attr-defined]
        self.fields["holding"].choices = [("", _("どれでもよい（早く用意できるもの）")), *copies]  # type: ignore[attr-defined]
