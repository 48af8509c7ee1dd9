"""Years in Japanese bibliographic data: Western years and 和暦 (era years) as catalogues write them.

Era start years (the first year of each era is 元年): 明治 1868, 大正 1912, 昭和 1926, 平成 1989,
令和 2019 (内閣告示 and the Era Name Act). A Western year in the text wins over an era year, since
catalogues write "1971（昭和46）年" or "昭和46 [1971]" and the Western form is the checked one.
"""

from __future__ import annotations

import re
import unicodedata

ERAS = {"明治": 1868, "大正": 1912, "昭和": 1926, "平成": 1989, "令和": 2019}
_WESTERN = re.compile(r"(?<!\d)(1[0-9]{3}|20[0-9]{2})(?!\d)")
_ERA = re.compile(r"(明治|大正|昭和|平成|令和)\s*(元|\d{1,2}|[〇一二三四五六七八九十]{1,4})")
_KANJI_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")}


def kanji_number(text: str) -> int:
    """A number up to 99 in kanji, with or without 十: 四十六, 四六, 十五, 二十 → 46, 46, 15, 20."""
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_KANJI_DIGITS[tens] if tens else 1) * 10 + (_KANJI_DIGITS[ones] if ones else 0)
    return int("".join(str(_KANJI_DIGITS[c]) for c in text))


def era_to_year(era: str, year: str) -> int:
    if year == "元":
        n = 1
    elif year.isdigit():
        n = int(year)
    else:
        n = kanji_number(year)
    return ERAS[era] + n - 1


def parse_year(text: str) -> int | None:
    """The first year named in `text`, Western or 和暦; None when there is none."""
    if not text:
        return None
    t = unicodedata.normalize("NFKC", text)
    western = _WESTERN.search(t)
    if western:
        return int(western.group(1))
    era = _ERA.search(t)
    if era:
        return era_to_year(era.group(1), era.group(2))
    return None


def to_wareki(year: int) -> str:
    """昭和46年 for 1971; the era that began in `year` wins (1989 → 平成元年)."""
    for era, start in sorted(ERAS.items(), key=lambda kv: -kv[1]):
        if year >= start:
            n = year - start + 1
            return f"{era}{'元' if n == 1 else n}年"
    return f"{year}年"
