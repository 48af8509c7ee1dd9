"""The stored notice texts: a count, a branch and a date in Japanese or English — and no items."""

from __future__ import annotations

from datetime import date

import pytest

from toshokan.notices.domain.enums import NoticeKind
from toshokan.notices.domain.messages import (
    NoticeContext,
    NoticeError,
    NoticeItem,
    check,
    compose,
    format_date,
    language_of,
)

DAY = date(2026, 12, 21)  # a Monday
AT_CENTRAL = NoticeContext(on=DAY, branch="中央図書館", branch_en="Central Library")


@pytest.mark.parametrize(
    ("kind", "count", "context", "subject", "body"),
    [
        (NoticeKind.HOLD_READY, 1, AT_CENTRAL, "予約資料のご用意",
         "予約資料が1点ご用意できました。中央図書館のカウンターでお受け取りください。取置期限は2026年12月21日（月）です。"),
        (NoticeKind.DUE_SOON, 3, NoticeContext(on=DAY), "返却期限のお知らせ",
         "2026年12月21日（月）が返却期限の資料が3点あります。"),
        (NoticeKind.OVERDUE, 2, NoticeContext(on=DAY), "延滞のお知らせ",
         "返却期限を過ぎた資料が2点あります（返却期限 2026年12月21日（月））。"),
        (NoticeKind.HOLD_EXPIRED, 1, AT_CENTRAL, "予約の期限切れ",
         "中央図書館での取置期限（2026年12月21日（月））を過ぎたため、予約1件を取り消しました。"),
        (NoticeKind.HOLD_EXPIRED, 2, NoticeContext(on=DAY), "予約の期限切れ",
         "ご指定の有効期限（2026年12月21日（月））を過ぎたため、予約2件を取り消しました。"),
        (NoticeKind.REGISTRATION_EXPIRING, 0, NoticeContext(on=DAY), "登録更新のお知らせ",
         "利用者カードの有効期限は2026年12月21日（月）です。"),
    ],
)  # fmt: skip
def test_japanese_texts_say_how_many_where_and_by_when(kind, count, context, subject, body):
    message = compose(kind, count=count, context=context, language="ja")
    assert message.subject == subject
    assert message.body.startswith(body)


@pytest.mark.parametrize(
    ("kind", "count", "context", "body"),
    [
        (NoticeKind.HOLD_READY, 1, AT_CENTRAL,
         "1 item you reserved is ready for pickup at the Central Library desk. Please collect it by Monday, 21 December 2026."),
        (NoticeKind.HOLD_READY, 2, AT_CENTRAL,
         "2 items you reserved are ready for pickup at the Central Library desk. Please collect them by"),
        (NoticeKind.DUE_SOON, 1, NoticeContext(on=DAY), "1 item you borrowed is due on Monday, 21 December 2026."),
        (NoticeKind.OVERDUE, 4, NoticeContext(on=DAY), "4 items you borrowed are overdue (due Monday, 21 December 2026)."),
        (NoticeKind.HOLD_EXPIRED, 1, AT_CENTRAL, "1 hold ended: not collected at Central Library by the pickup deadline"),
        (NoticeKind.REGISTRATION_EXPIRING, 0, NoticeContext(on=DAY), "Your library card expires on Monday, 21 December 2026."),
    ],
)  # fmt: skip
def test_english_texts_use_the_english_branch_name_and_plurals(kind, count, context, body):
    message = compose(kind, count=count, context=context, language="en")
    assert message.subject == kind.label_en
    assert message.body.startswith(body)


def test_an_english_text_falls_back_to_the_japanese_branch_name():
    message = compose(
        NoticeKind.HOLD_READY, count=1, context=NoticeContext(on=DAY, branch="北分館"), language="en"
    )
    assert "at the 北分館 desk" in message.body


@pytest.mark.parametrize(
    ("preference", "language"),
    [("ja", "ja"), ("en", "en"), ("en-GB", "en"), ("EN", "en"), ("zh", "ja"), ("", "ja")],
)
def test_patrons_language_picks_english_only_for_english(preference, language):
    assert language_of(preference) == language


def test_dates_are_written_the_way_each_language_writes_them():
    assert format_date(date(2027, 1, 3), "ja") == "2027年1月3日（日）"
    assert format_date(date(2027, 1, 3), "en") == "Sunday, 3 January 2027"


def test_a_language_without_texts_is_refused():
    with pytest.raises(NoticeError) as excinfo:
        compose(NoticeKind.DUE_SOON, count=1, context=NoticeContext(on=DAY), language="fr")
    assert excinfo.value.code == "notice_language"


def test_check_accepts_a_complete_notice():
    check(NoticeKind.HOLD_READY, items=[NoticeItem("こころ")], context=AT_CENTRAL)
    check(NoticeKind.REGISTRATION_EXPIRING, items=[], context=NoticeContext(on=DAY))
