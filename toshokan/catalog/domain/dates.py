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
_ERA = re.compile(r"(明治|大正|昭和|平成|令和)\s*(元|\d{1,2})")
_KANJI_DIGITS = str.maketrans("〇一二三四五六七八九", "0123456789")


def era_to_year(era: str, year: str) -> int:
    n = 1 if year == "元" else int(year)
    return ERAS[era] + n - 1


def parse_year(text: str) -> int | None:
    """The first year named in `text`, Western or 和暦; None when there is none."""
    if not text:
        return None
    t = unicodedata.normalize("NFKC", text)
    western = _WESTERN.search(t)
    if western:
        return int(western.group(1))
    era = _ERA.search(t.translate(_KANJI_DIGITS))
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
