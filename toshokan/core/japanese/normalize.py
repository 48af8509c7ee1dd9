"""Match keys for Japanese (and Latin) text: how a typed query and a stored title come to compare equal.

The rules, each applied to the stored text and to the query alike:

1. Unicode NFKC: half-width katakana become full-width (ﾊﾝｽ → ハンス), full-width Latin letters and
   digits become ASCII (Ｄ坂 → D坂, １０ → 10), CJK compatibility ideographs become their unified form.
2. Case folding (Lord → lord).
3. Old and variant kanji forms become the forms in today's Jōyō and Jinmeiyō lists (學 → 学, 國 → 国,
   澤 → 沢, 劒 → 剣). The table joins kyujipy's shinjitai/kyujitai list (the Jōyō and Jinmeiyō lists
   with the Unicode standardized variants), joyokanji's list and the itaiji below that the two lack;
   see `variant_table()`.
4. Katakana become hiragana (ネコ → ねこ), so readings typed in either script meet.
5. Kana spelling variants of loanwords are folded: ヴ → ブ and ヴァ → バ (ヴァイオリン ≈ バイオリン),
   small kana become full-size (ウェ ≈ ウエ, ティ ≈ テイ, ッ ≈ ツ), the long-vowel mark is dropped
   (テーブル ≈ テブル).
6. Everything that is not a letter or a digit (spaces, punctuation, brackets, middle dots) is
   dropped, so 「グッド・バイ」 and グッドバイ meet. Search keeps separately indexed values (title,
   subtitle, each creator) apart, so a match never runs from one into the next.

Rules 5 and 6 lose information on purpose: they are for matching only, never for display.
"""

from __future__ import annotations

import json
import re
import unicodedata
from functools import cache
from importlib import resources

# Itaiji (異体字) commonly met in Japanese bibliographic data that neither package lists as
# kyujitai, mapped to the form in everyday use. Sources: JIS X 0213 and the Moji Jōhō Kiban
# (文字情報基盤) variant groups for these characters.
_EXTRA_VARIANTS = {
    "劒": "剣",
    "劔": "剣",
    "剱": "剣",
    "釼": "剣",
    "髙": "高",
    "﨑": "崎",
    "嵜": "崎",
    "𥔎": "崎",
    "𠮷": "吉",
    "冨": "富",
    "濵": "浜",
    "濱": "浜",
    "邉": "辺",
    "邊": "辺",
    "嶋": "島",
    "嶌": "島",
    "嶽": "岳",
    "舘": "館",
    "峯": "峰",
    "竝": "並",
    "亙": "亘",
    "杦": "杉",
    "桒": "桑",
    "淵": "渕",
    "彌": "弥",
    "靜": "静",
    "萬": "万",
    "與": "与",
    "龜": "亀",
    "鷗": "鴎",
    "鬪": "闘",
    "鬭": "闘",
    "曻": "昇",
    "𡈽": "土",
    "𦚰": "脇",
    "卄": "廿",
    "秊": "年",
    "吿": "告",
    "敎": "教",
    "絲": "糸",
    "晝": "昼",
    "辨": "弁",
    "瓣": "弁",
    "辯": "弁",
    "藝": "芸",
    "缺": "欠",
    "證": "証",
    "豫": "予",
    "臺": "台",
    "餘": "余",
}

# Small kana to full size; ヴ (after kana folding ゔ) to ぶ; the long-vowel mark removed.
_KANA_FOLD = {
    "ぁ": "あ",
    "ぃ": "い",
    "ぅ": "う",
    "ぇ": "え",
    "ぉ": "お",
    "っ": "つ",
    "ゃ": "や",
    "ゅ": "ゆ",
    "ょ": "よ",
    "ゎ": "わ",
    "ゕ": "か",
    "ゖ": "け",
    "ゔ": "ぶ",
    "ー": "",
    "ゝ": "ゝ",
}

_VU_ROW = (("ぶあ", "ば"), ("ぶい", "び"), ("ぶえ", "べ"), ("ぶお", "ぼ"))
_NOT_WORD = re.compile(r"[\W_]+")
_SPACES = re.compile(r"\s+")


@cache
def variant_table() -> dict[str, str]:
    """Old or variant kanji → the form in use today, one character each."""
    table: dict[str, str] = {}
    from kyujipy.basic_converter import BasicConverter  # MIT; Jōyō/Jinmeiyō + Unicode variants

    table.update(BasicConverter().kyujitai_to_shinjitai_database)
    joyo = resources.files("joyokanji") / "config"  # Apache-2.0
    table.update(json.loads((joyo / "kanji.json").read_text(encoding="utf-8")))
    table.update(json.loads((joyo / "variants.json").read_text(encoding="utf-8")))
    table.update(_EXTRA_VARIANTS)
    # Keys and values go through NFKC first, as the text does; drop identities and multi-char entries.
    folded: dict[str, str] = {}
    for old, new in table.items():
        o, n = unicodedata.normalize("NFKC", old), unicodedata.normalize("NFKC", new)
        if len(o) == 1 and len(n) == 1 and o != n:
            folded[o] = n
    # Resolve chains (a → b, b → c) so one pass is enough.
    for old, new in list(folded.items()):
        seen = {old}
        while new in folded and new not in seen:
            seen.add(new)
            new = folded[new]
        folded[old] = new
    return {old: new for old, new in folded.items() if old != new}


@cache
def _translate_table() -> dict[int, str]:
    table: dict[int, str] = {ord(k): v for k, v in variant_table().items()}
    # Katakana ァ (U+30A1) … ヶ (U+30F6) sit 0x60 above their hiragana.
    for code in range(0x30A1, 0x30F7):
        table[code] = chr(code - 0x60)
    table[ord("ヷ")] = "ば"
    table[ord("ヸ")] = "び"
    table[ord("ヹ")] = "べ"
    table[ord("ヺ")] = "ぼ"
    for src, dst in _KANA_FOLD.items():
        table[ord(src)] = dst
    # Katakana that fold to a small hiragana must land on the full-size form too.
    for code in range(0x30A1, 0x30F7):
        hira = chr(code - 0x60)
        if hira in _KANA_FOLD:
            table[code] = _KANA_FOLD[hira]
    return table


def nfkc(text: str) -> str:
    # The spacing voiced marks (゛゜) would become a space plus a combining mark under NFKC.
    return unicodedata.normalize("NFKC", text.replace("\u309b", "\u3099").replace("\u309c", "\u309a"))


def fold(text: str) -> str:
    """The match key of `text`: rules 1–6 of this module. Idempotent: fold(fold(x)) == fold(x)."""
    if not text:
        return ""
    key = _NOT_WORD.sub("", nfkc(text).casefold().translate(_translate_table()))
    if "ぶ" in key:
        # ヴァ, ヴィ, ヴェ, ヴォ are written バ, ビ, ベ, ボ as often (ヴァイオリン, バイオリン, ブアイオリン).
        for old, new in _VU_ROW:
            key = key.replace(old, new)
    return key


_SPACE_RUN = re.compile(r"[\s_]+")


def fold_keep_punctuation(text: str) -> str:
    """Rules 1–5 without rule 6: punctuation kept, spaces dropped (「白き夢」 stays distinct from 白き夢).

    Search uses it only to rank a title that has a typed bracket or mark exactly where the query
    has it above one that merely has the same letters.
    """
    if not text:
        return ""
    return _SPACE_RUN.sub("", nfkc(text).casefold().translate(_translate_table()))


def fold_kanji(text: str) -> str:
    """Only rules 1–3 (width, case, old kanji): for display-neutral comparisons such as sorting."""
    return nfkc(text).casefold().translate({ord(k): v for k, v in variant_table().items()})


def split_terms(query: str) -> list[str]:
    """A query's terms: split on any whitespace, ideographic space (U+3000) included."""
    return [t for t in _SPACES.split(nfkc(query).strip()) if t]


def to_hiragana(text: str) -> str:
    """Katakana → hiragana, nothing else (for readings shown to people and 五十音 sort keys)."""
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in text)


def sort_key(reading: str) -> str:
    """A 五十音順 sort key: hiragana, full-size kana, voicing kept, long-vowel mark dropped."""
    return fold(reading)


def is_kana(text: str) -> bool:
    """True when every letter is hiragana or katakana (punctuation and the long-vowel mark allowed)."""
    letters = [c for c in text if unicodedata.category(c)[0] in "LN"]
    return bool(letters) and all("\u3041" <= c <= "\u30ff" for c in letters)


_CJK_OR_KANA = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003ffff]")


def is_latin(text: str) -> bool:
    """True when every letter is Latin (ASCII after NFKC, or Latin with diacritics such as ō)."""
    if text.isascii():
        return any(c.isalpha() for c in text)
    if _CJK_OR_KANA.search(text):
        return False
    letters = [c for c in nfkc(text) if c.isalpha()]
    return bool(letters) and all(unicodedata.name(c, "").startswith("LATIN") for c in letters)
