"""Forms of the staff desk: what a person types, checked before a service sees it.

They only shape input (trim, required, choices); every rule of the library is the services'. The
scan fields (card, barcode) are written in the templates, since they carry the scanner's
attributes, and read straight from the POST: whatever was scanned goes to the service, which says
what is wrong with it.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from toshokan.catalog import selectors as catalog_selectors
from toshokan.patrons.domain.enums import BlockReason, NoticeChannel, PatronCategory, Residency

from .desk import branch_label


def _branch_choices() -> list[tuple[str, str]]:
    return [(b.code, branch_label(b)) for b in catalog_selectors.branches()]


def _labels(enum: type) -> list[tuple[str, object]]:
    return [(m.value, _(m.label_ja)) for m in enum]  # type: ignore[attr-defined]


class LookupForm(forms.Form):
    q = forms.CharField(
        label=_("利用者番号・氏名・よみ"),
        max_length=100,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off", "type": "search"}),
    )


class BranchForm(forms.Form):
    branch = forms.ChoiceField(label=_("カウンターの館"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["branch"].choices = _branch_choices()  # type: ignore[attr-defined]


class RegistrationForm(forms.Form):
    family_name = forms.CharField(label=_("姓"), max_length=100)
    given_name = forms.CharField(label=_("名"), max_length=100, required=False)
    name_reading = forms.CharField(
        label=_("よみ (ひらがな)"), max_length=200, required=False, help_text=_("例: やまだ はなこ")
    )
    category = forms.ChoiceField(label=_("利用者区分"), choices=_labels(PatronCategory))
    residency = forms.ChoiceField(label=_("登録資格"), choices=_labels(Residency))
    home_branch = forms.ChoiceField(label=_("登録館"))
    birth_date = forms.DateField(
        label=_("生年月日"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    email = forms.EmailField(label=_("メールアドレス"), required=False)
    phone = forms.CharField(label=_("電話番号"), max_length=32, required=False)
    postal_code = forms.CharField(label=_("郵便番号"), max_length=16, required=False)
    address = forms.CharField(label=_("住所"), max_length=500, required=False)
    notice_channel = forms.ChoiceField(
        label=_("お知らせの受け取り方"),
        choices=[
            (NoticeChannel.EMAIL.value, _("メール")),
            (NoticeChannel.ACCOUNT.value, _("マイページのみ")),
        ],
        initial=NoticeChannel.ACCOUNT.value,
    )
    card_number = forms.CharField(
        label=_("利用者番号 (印刷済みのカードを渡すとき)"),
        max_length=40,
        required=False,
        help_text=_("空欄なら新しい番号を発行します"),
    )
    pin = forms.CharField(
        label=_("暗証番号 (4〜8桁の数字)"),
        max_length=8,
        required=False,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "new-password"}),
        help_text=_("利用者本人が入力します。空欄なら後で設定できます"),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["home_branch"].choices = _branch_choices()  # type: ignore[attr-defined]


class BlockForm(forms.Form):
    reason = forms.ChoiceField(label=_("理由"), choices=_labels(BlockReason))
    note = forms.CharField(label=_("メモ"), max_length=500, required=False)


class PinForm(forms.Form):
    pin = forms.CharField(
        label=_("新しい暗証番号 (4〜8桁の数字)"),
        max_length=8,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "new-password"}),
    )


class HoldForm(forms.Form):
    item = forms.CharField(
        label=_("資料番号または書誌ID"),
        max_length=40,
        help_text=_("資料番号で指定すると、その資料の書誌に予約します"),
    )
    this_copy_only = forms.BooleanField(label=_("この資料 (資料番号) に限る"), required=False)
    pickup_branch = forms.ChoiceField(label=_("受取館"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["pickup_branch"].choices = _branch_choices()  # type: ignore[attr-defined]
