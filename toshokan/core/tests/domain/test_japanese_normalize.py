"""Match keys: what a typed query and a stored title must agree on (toshokan.core.japanese.normalize)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from toshokan.core.japanese.normalize import fold, is_kana, is_latin, split_terms, variant_table


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("ねこ", "ネコ"),  # hiragana and katakana readings meet
        ("ﾊﾝｽ", "ハンス"),  # half-width katakana
        ("ﾎﾟｽﾄ", "ポスト"),  # half-width with a separate voicing mark
        ("Ｄ坂", "D坂"),  # full-width Latin
        ("小熊秀雄全集－１０", "小熊秀雄全集-10"),  # full-width digits and dash
        ("日本文學の發生", "日本文学の発生"),  # kyujitai → shinjitai
        ("國", "国"),
        ("澤", "沢"),
        ("越中劒岳", "越中剣岳"),  # itaiji outside the kyujitai list
        ("福田恆存", "福田恒存"),
        ("ブアイオリン", "ヴァイオリン"),  # ヴァ ≈ ブア
        ("バイオリン", "ヴァイオリン"),
        ("ウエ", "ウェ"),  # small vowels
        ("テブル", "テーブル"),  # long-vowel mark
        ("グッドバイ", "グッド・バイ"),  # punctuation
        ("lord rayleigh", "Lord Rayleigh"),
    ],
)
def test_typed_forms_meet_the_stored_form(typed, stored):
    assert fold(typed) == fold(stored)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("東京", "京都"),
        ("はな", "わな"),  # the surface key keeps は and わ apart (only the romaji key merges them)
        ("こころ", "こごろ"),  # voicing is kept
    ],
)
def test_distinct_words_stay_distinct(a, b):
    assert fold(a) != fold(b)


@given(st.text(max_size=40))
def test_fold_is_idempotent(text):
    assert fold(fold(text)) == fold(text)


@given(st.text(max_size=40))
def test_fold_keeps_only_letters_and_digits(text):
    assert all(c.isalnum() for c in fold(text))


def test_the_variant_table_has_hundreds_of_pairs_and_no_chains():
    table = variant_table()
    assert len(table) > 350
    assert all(new not in table for new in table.values())


def test_terms_split_on_ideographic_and_ascii_spaces():
    assert split_terms("漱石　こころ  kokoro") == ["漱石", "こころ", "kokoro"]


@pytest.mark.parametrize(
    ("text", "latin", "kana"),
    [
        ("Sōseki", True, False),
        ("ねこ", False, True),
        ("ネコー", False, True),
        ("猫", False, False),
        ("123", False, False),
    ],
)
def test_script_detection(text, latin, kana):
    assert is_latin(text) is latin
    assert is_kana(text) is kana


@pytest.mark.parametrize("text", ["ぶ・あ", "ヴ・ァ", "ﾌﾞ ｱ", "ぶあぶあ"])
def test_fold_is_idempotent_across_removed_punctuation(text):
    assert fold(fold(text)) == fold(text)


def test_analyser_readings_keep_word_spaces_inside_and_none_at_the_ends():
    from toshokan.core.japanese.readings import reading

    assert reading("日本 の 茶書").endswith("ちゃしょ")
    assert reading("林屋辰三郎") == "はやしやたつさぶろう"
    assert reading("吾輩は猫である") == "わがはいはねこである"
