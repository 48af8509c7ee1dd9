"""The text a notice keeps in the patron's log, and what every kind of notice must be told.

Privacy rule (図書館の自由に関する宣言 第3, docs/notices.md): the stored text of a notice says *how
many* items, *where* and *by when* — never which titles or copies. A log that named what a patron
borrowed would keep the link between them after the return. `compose` therefore never sees the
items, only their count; the e-mail as sent may list the titles (it goes to the patron's own
mailbox) and is rendered elsewhere and not kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from toshokan.core.domain import DomainError

from .enums import NoticeKind

LANGUAGES = ("ja", "en")
_WEEKDAYS_JA = "月火水木金土日"
# Spelled out rather than taken from strftime, whose names follow the process's locale.
_WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
              "October", "November", "December")  # fmt: skip


class NoticeError(DomainError):
    code = "notice_error"


@dataclass(frozen=True, slots=True)
class NoticeItem:
    """One item a notice is about, as the e-mail lists it (never stored)."""

    title: str
    due_on: date | None = None


@dataclass(frozen=True, slots=True)
class NoticeContext:
    """What a notice says besides its items: the day it is about (pickup deadline, due date, the
    earliest due date of overdue items, the expiry of a hold or of the registration) and the branch
    it concerns (the pickup branch), by name in both languages."""

    on: date | None = None
    branch: str = ""
    branch_en: str = ""


@dataclass(frozen=True, slots=True)
class Message:
    subject: str
    body: str


def language_of(preference: str) -> str:
    """The notice language for a patron's language preference: English for "en…", else Japanese."""
    return "en" if preference.lower().startswith("en") else "ja"


def format_date(day: date, language: str) -> str:
    if language == "en":
        return f"{_WEEKDAYS_EN[day.weekday()]}, {day.day} {_MONTHS_EN[day.month - 1]} {day.year}"
    return f"{day.year}年{day.month}月{day.day}日（{_WEEKDAYS_JA[day.weekday()]}）"


def check(kind: NoticeKind, *, items: Sequence[NoticeItem], context: NoticeContext) -> None:
    """Refuse a notice that would say nothing useful: every kind names its day, the item kinds
    need at least one item, a hold-ready notice needs its pickup branch."""
    if context.on is None:
        raise NoticeError(f"a {kind} notice needs the day it is about (context.on)", code="notice_needs_date")
    if kind == NoticeKind.REGISTRATION_EXPIRING:
        if items:
            raise NoticeError("a registration notice is about no items", code="notice_takes_no_items")
    elif not items:
        raise NoticeError(f"a {kind} notice needs at least one item", code="notice_needs_items")
    if kind == NoticeKind.HOLD_READY and not context.branch:
        raise NoticeError("a hold-ready notice needs the pickup branch", code="notice_needs_branch")
    for item in items:
        if not item.title.strip():
            raise NoticeError("an item without a title cannot be listed", code="notice_item_untitled")


def compose(kind: NoticeKind, *, count: int, context: NoticeContext, language: str) -> Message:
    """The subject and body kept in the log (and opening the e-mail): a count, a branch, a date."""
    if language not in LANGUAGES:
        raise NoticeError(f"no notice texts in {language!r}", code="notice_language")
    if context.on is None:
        raise NoticeError(f"a {kind} notice needs the day it is about (context.on)", code="notice_needs_date")
    day = format_date(context.on, language)
    if language == "en":
        return Message(kind.label_en, _body_en(kind, count, context, day))
    return Message(kind.label_ja, _body_ja(kind, count, context, day))


def _body_ja(kind: NoticeKind, n: int, context: NoticeContext, day: str) -> str:
    if kind == NoticeKind.HOLD_READY:
        return (
            f"予約資料が{n}点ご用意できました。{context.branch}のカウンターでお受け取りください。"
            f"取置期限は{day}です。"
        )
    if kind == NoticeKind.DUE_SOON:
        return (
            f"{day}が返却期限の資料が{n}点あります。期限までにご返却ください。"
            "ほかの方の予約がない資料は、マイライブラリから延長できます。"
        )
    if kind == NoticeKind.OVERDUE:
        return (
            f"返却期限を過ぎた資料が{n}点あります（返却期限 {day}）。お早めにご返却ください。"
            "延滞中は新しく借りることができません。"
        )
    if kind == NoticeKind.HOLD_EXPIRED:
        if context.branch:
            return f"{context.branch}での取置期限（{day}）を過ぎたため、予約{n}件を取り消しました。"
        return f"ご指定の有効期限（{day}）を過ぎたため、予約{n}件を取り消しました。"
    return (
        f"利用者カードの有効期限は{day}です。引き続きご利用いただくには、"
        "本人確認書類をお持ちのうえ、カウンターで更新のお手続きをしてください。"
    )


def _body_en(kind: NoticeKind, n: int, context: NoticeContext, day: str) -> str:
    items = "1 item" if n == 1 else f"{n} items"
    holds = "1 hold" if n == 1 else f"{n} holds"
    branch = context.branch_en or context.branch
    if kind == NoticeKind.HOLD_READY:
        return (
            f"{items} you reserved {'is' if n == 1 else 'are'} ready for pickup at the {branch} desk. "
            f"Please collect {'it' if n == 1 else 'them'} by {day}."
        )
    if kind == NoticeKind.DUE_SOON:
        return (
            f"{items} you borrowed {'is' if n == 1 else 'are'} due on {day}. Please return "
            f"{'it' if n == 1 else 'them'} by then; items no one else has reserved can be renewed "
            "in My Library."
        )
    if kind == NoticeKind.OVERDUE:
        return (
            f"{items} you borrowed {'is' if n == 1 else 'are'} overdue (due {day}). Please return "
            f"{'it' if n == 1 else 'them'} soon: no new loans are possible while items are overdue."
        )
    if kind == NoticeKind.HOLD_EXPIRED:
        if context.branch:
            return f"{holds} ended: not collected at {branch} by the pickup deadline ({day})."
        return f"{holds} ended: the date after which you no longer needed {'it' if n == 1 else 'them'} ({day}) has passed."
    return (
        f"Your library card expires on {day}. To keep using the library, please renew it at the "
        "desk, bringing proof of identity."
    )
