"""Wording for the patron's own pages (マイライブラリ): loans, holds, the card, settings, history.

The facts come from circulation's selectors; this module only says them in the page's language —
due dates with their weekday, how many days are left, a hold's place in the queue and when it may
come, and why a renewal was refused (by the error's stable code, so the English page can say it
too).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, ngettext

from toshokan.catalog.models import Record
from toshokan.circulation.domain.states import HoldState
from toshokan.circulation.models import Loan
from toshokan.circulation.selectors import HoldView
from toshokan.core.domain import DomainError
from toshokan.notices.domain.enums import NoticeKind, NoticeStatus
from toshokan.notices.models import Notice

from .presenters import _english, branch_name, content_lang

DUE_SOON_DAYS = 3
_WEEKDAYS_JA = "月火水木金土日"


# Spelled out rather than taken from strftime, whose names follow the process's locale.
_WEEKDAYS_EN = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day_label(day: date) -> str:
    """「2026年12月10日（木）」 / "Thu 10 Dec 2026"."""
    if _english():
        return f"{_WEEKDAYS_EN[day.weekday()]} {day.day} {_MONTHS_EN[day.month - 1]} {day.year}"
    return f"{day.year}年{day.month}月{day.day}日（{_WEEKDAYS_JA[day.weekday()]}）"


def iso(day: date) -> str:
    return day.isoformat()


# Why a renewal or a hold was refused, by the error's code (circulation.services).
REFUSALS = {
    "holds_waiting": gettext_lazy("ほかの方の予約が入っているため延長できません。"),
    "overdue": gettext_lazy("返却期限を過ぎているため延長できません。返却をお願いします。"),
    "renewal_not_needed": gettext_lazy("いま延長しても返却期限は変わりません。"),
    "registration_expired": gettext_lazy("登録の有効期限が切れています。窓口で更新してください。"),
    "identity_check_needed": gettext_lazy(
        "本人確認が必要です。本人確認書類をお持ちのうえ、カウンターへお越しください。本登録になると借りられます。"
    ),
    "patron_blocked": gettext_lazy("貸出が停止されています。窓口にお問い合わせください。"),
    "suspended": gettext_lazy("延滞による貸出停止期間中です。"),
    "loan_cannot_renew": gettext_lazy("紛失の届けが出ている資料は延長できません。"),
    "already_held": gettext_lazy("この資料はすでに予約しています。"),
    "already_borrowed": gettext_lazy("この資料はいま借りています。"),
    "no_copies": gettext_lazy("予約できる資料がありません（貸出できる所蔵がありません）。"),
    "wrong_copy": gettext_lazy("指定の資料はこの書誌のものではありません。"),
    "hold_limit": gettext_lazy("予約できる件数の上限に達しています。"),
}


HOLD_REFUSALS = {
    "overdue": gettext_lazy("返却期限を過ぎた資料があるため、いまは予約できません。"),
    "identity_check_needed": gettext_lazy(
        "仮登録のカードでは予約できません。本人確認書類をお持ちのうえ、カウンターへお越しください。"
    ),
}


def refusal(error: DomainError, *, renewals: int = 0, hold: bool = False) -> str:
    """Why a renewal (or, with `hold`, a hold) was refused, in the page's language."""
    if hold and error.code in HOLD_REFUSALS:
        return str(HOLD_REFUSALS[error.code])
    if error.code == "renewal_limit":
        return ngettext(
            "延長は%(n)d回までです。すでに延長しています。",
            "延長は%(n)d回までです。すでに%(n)d回延長しています。",
            renewals,
        ) % {"n": renewals}
    text = REFUSALS.get(error.code)
    return str(text) if text is not None else str(error)


@dataclass(frozen=True, slots=True)
class Outcome:
    """The answer to something the patron just did, shown beside the thing it was done to."""

    ok: bool
    text: str


def record_url(record: Record) -> str:
    return reverse("portal:record", args=[record.pk])


def loan_row(loan: Loan, *, today: date, outcome: Outcome | None = None) -> dict[str, object]:
    days_left = (loan.due_on - today).days
    overdue = days_left < 0
    if overdue:
        due_note = ngettext("%(n)d日過ぎています", "%(n)d日過ぎています", -days_left) % {"n": -days_left}
    elif days_left == 0:
        due_note = gettext("今日が返却期限です")
    else:
        due_note = ngettext("あと%(n)d日", "あと%(n)d日", days_left) % {"n": days_left}
    record = loan.holding.record
    return {
        "pk": loan.pk,
        "title": record.title,
        "lang": content_lang(record.language),
        "url": record_url(record),
        "barcode": loan.holding.barcode,
        "branch": branch_name(loan.branch),
        "due_on": iso(loan.due_on),
        "due_label": day_label(loan.due_on),
        "due_note": due_note,
        "overdue": overdue,
        "due_soon": not overdue and days_left <= DUE_SOON_DAYS,
        "renewals": loan.renewals,
        "lost": loan.state == "lost",
        "renew_url": reverse("portal:account_renew", args=[loan.pk]),
        "outcome": outcome,
    }


HOLD_STATE_LABELS = {
    HoldState.WAITING: gettext_lazy("予約待ち"),
    HoldState.SUSPENDED: gettext_lazy("保留中"),
    HoldState.IN_TRANSIT: gettext_lazy("取り寄せ中"),
    HoldState.READY: gettext_lazy("受け取れます"),
}


def hold_row(view: HoldView, *, today: date, outcome: Outcome | None = None) -> dict[str, object]:
    hold = view.hold
    state = HoldState(hold.state)
    est = view.estimate
    estimate_label = ""
    estimate_note = ""
    if est is not None:
        if est.expected_on is None:
            estimate_note = gettext("貸出できる資料がないため、目安を出せません。")
        else:
            expected = max(est.expected_on, today + timedelta(days=1))
            estimate_label = day_label(expected)
            days = (expected - today).days
            estimate_note = ngettext("約%(n)d日後", "約%(n)d日後", days) % {"n": days}
    record = hold.record
    return {
        "pk": hold.pk,
        "title": record.title,
        "lang": content_lang(record.language),
        "url": record_url(record),
        "state": state.value,
        "state_label": str(HOLD_STATE_LABELS[state]),
        "pickup_branch": branch_name(hold.pickup_branch),
        "copy_barcode": hold.holding.barcode if hold.holding_id else "",  # type: ignore[union-attr]
        "position": est.position if est is not None else None,
        "copies": est.copies if est is not None else None,
        "estimate_label": estimate_label,
        "estimate_on": iso(est.expected_on) if est is not None and est.expected_on else "",
        "estimate_note": estimate_note,
        "pickup_by": day_label(hold.pickup_by) if hold.pickup_by else "",
        "can_suspend": state == HoldState.WAITING,
        "can_resume": state == HoldState.SUSPENDED,
        "suspend_url": reverse("portal:account_hold_suspend", args=[hold.pk]),
        "resume_url": reverse("portal:account_hold_resume", args=[hold.pk]),
        "cancel_url": reverse("portal:account_hold_cancel", args=[hold.pk]),
        "outcome": outcome,
    }


NOTICE_STATUS_LABELS = {
    NoticeStatus.QUEUED: gettext_lazy("送信待ち"),
    NoticeStatus.SENT: gettext_lazy("送信済み"),
    NoticeStatus.DELIVERED: gettext_lazy("配信済み"),
    NoticeStatus.FAILED: gettext_lazy("送信できませんでした"),
}


def notice_row(notice: Notice) -> dict[str, object]:
    """One entry of the notice log. Its text was written in the patron's notice language when it
    was sent, and says only how many, where and by when (never a title)."""
    kind = NoticeKind(notice.kind)
    at = timezone.localtime(notice.created_at)
    return {
        "pk": notice.pk,
        "kind": kind.label_en if _english() else kind.label_ja,
        "subject": notice.subject,
        "body": notice.body,
        "lang": notice.language,
        "at_iso": at.isoformat(),
        "at_label": f"{day_label(at.date())} {at:%H:%M}",
        "by_email": notice.channel == "email",
        "status": str(NOTICE_STATUS_LABELS[NoticeStatus(notice.status)]),
        "failed": notice.status == NoticeStatus.FAILED,
        "unread": notice.read_at is None,
    }
