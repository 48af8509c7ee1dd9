"""Query sets drawn from the Aozora catalogue, by kind, the way people type (for relevance checks).

`data/eval/search_dev.jsonl` is a fixed set; this draws fresh ones with any seed, so relevance can
be checked on queries the ranking was never tuned on. Each kind imitates one way of typing:

- title_exact, title_fragment (2–4 characters from inside a title), title_width_variant
  (half-width katakana, full-width digits), title_kyujitai (new → old kanji), title_shinjitai
  (a title in old kanji typed in new), title_kana_spelling (long-vowel marks dropped, ヴ → ブ,
  small kana typed full size), title_reading_hiragana / _katakana, title_romaji (the analyser's
  Hepburn, as a person reads the title), author_and_title, surname_and_title_fragment,
  author_name, author_reading, author_romaji (given name first).

Relevant works: for title kinds every work whose title (with old kanji folded) is the same; for
author kinds every work the person is credited on.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from toshokan.catalog.importers.aozora import open_catalogue
from toshokan.core.japanese.normalize import fold, variant_table

KINDS = (
    "title_exact", "title_fragment", "title_width_variant", "title_kyujitai", "title_shinjitai",
    "title_kana_spelling", "title_reading_hiragana", "title_reading_katakana", "title_romaji",
    "author_and_title", "surname_and_title_fragment", "author_name", "author_reading", "author_romaji",
)  # fmt: skip
AUTHOR_KINDS = {"author_name", "author_reading", "author_romaji"}

_HALF = str.maketrans(
    dict(
        zip(
            "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲンァィゥェォッャュョー・「」、。",
            "ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜｦﾝｧｨｩｪｫｯｬｭｮｰ･｢｣､｡",
            strict=True,
        )
    )
)
_VOICED_HALF = {
    chr(ord(k) + 1): v + "ﾞ"
    for k, v in zip("カキクケコサシスセソタチツテトハヒフヘホ", "ｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾊﾋﾌﾍﾎ", strict=True)
}
_VOICED_HALF.update({chr(ord(k) + 2): v + "ﾟ" for k, v in zip("ハヒフヘホ", "ﾊﾋﾌﾍﾎ", strict=True)})


def half_width(text: str) -> str:
    return "".join(_VOICED_HALF.get(c, c) for c in text).translate(_HALF)


def kana_spelling(text: str) -> str:
    out = text.replace("ー", "")
    out = (
        out.replace("ヴァ", "バ")
        .replace("ヴィ", "ビ")
        .replace("ヴェ", "ベ")
        .replace("ヴォ", "ボ")
        .replace("ヴ", "ブ")
    )
    return out.translate(str.maketrans("ァィゥェォ", "アイウエオ"))


def _hira(text: str) -> str:
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in text)


def _kata(text: str) -> str:
    return "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in text)


def _rows(path: Path) -> Iterator[dict[str, str]]:
    import csv

    with open_catalogue(path) as stream:
        yield from csv.DictReader(stream)


def draw(path: Path, *, per_kind: int = 30, seed: int = 1) -> list[dict[str, object]]:
    """`per_kind` queries of every kind, drawn with `seed` from the catalogue at `path`."""
    from toshokan.core.japanese.readings import romanize

    rng = random.Random(seed)
    works: dict[str, dict[str, str]] = {}
    people: dict[str, dict[str, str]] = {}
    by_person: dict[str, set[str]] = defaultdict(set)
    authors: dict[str, str] = {}
    for row in _rows(path):
        wid = row["作品ID"].zfill(6)
        works.setdefault(wid, row)
        pid = row["人物ID"]
        people.setdefault(pid, row)
        by_person[pid].add(wid)
        if row["役割フラグ"] == "著者":
            authors.setdefault(wid, pid)
    by_title: dict[str, set[str]] = defaultdict(set)
    for wid, row in works.items():
        by_title[fold(row["作品名"])].add(wid)
    old = {v: k for k, v in variant_table().items()}  # new → one old form
    new_to_old = str.maketrans(old)
    ids = sorted(works)
    queries: list[dict[str, object]] = []

    def add(kind: str, q: str, relevant: set[str]) -> None:
        metric = "p10" if kind in AUTHOR_KINDS else "rank"
        queries.append({"q": q, "relevant": sorted(relevant), "metric": metric, "kind": kind})

    def title_of(wid: str) -> str:
        return works[wid]["作品名"]

    for kind in KINDS:
        made, tries = 0, 0
        while made < per_kind and tries < per_kind * 200:
            tries += 1
            wid = rng.choice(ids)
            row = works[wid]
            title = title_of(wid)
            same = by_title[fold(title)]
            q = ""
            relevant = same
            if kind == "title_exact":
                q = title
            elif kind == "title_fragment" and len(title) >= 6:
                n = rng.choice((2, 3, 4))
                start = rng.randrange(1, len(title) - n)
                q = title[start : start + n]
                if not re.search(r"\w\w", q):
                    q = ""
            elif kind == "title_width_variant":
                half = half_width(title)
                q = half if half != title else ""
            elif kind == "title_kyujitai":
                old_form = title.translate(new_to_old)
                q = old_form if old_form != title else ""
            elif kind == "title_shinjitai":
                shin = "".join(variant_table().get(c, c) for c in title)
                q = shin if shin != title else ""
            elif kind == "title_kana_spelling":
                spelled = kana_spelling(title)
                q = spelled if spelled != title and re.search(r"[ァ-ヺ]", title) else ""
            elif kind == "title_reading_hiragana":
                q = _hira(row["作品名読み"]) if row["作品名読み"] != title else ""
            elif kind == "title_reading_katakana":
                q = _kata(row["作品名読み"]) if row["作品名読み"] != title else ""
            elif kind == "title_romaji":
                q = romanize(title).lower()
                q = q if q.isascii() and len(q) > 3 else ""
            elif kind in ("author_and_title", "surname_and_title_fragment") and wid in authors:
                person = people[authors[wid]]
                if kind == "author_and_title":
                    q = f"{person['姓']}{person['名']} {title}"
                elif len(title) >= 3:
                    q = f"{person['姓']} {title[: rng.choice((2, 3, 4))]}"
            elif kind in AUTHOR_KINDS and wid in authors:
                pid = authors[wid]
                person = people[pid]
                relevant = by_person[pid]
                if len(relevant) < 3:
                    q = ""
                elif kind == "author_name":
                    q = person["姓"] + person["名"]
                elif kind == "author_reading":
                    q = _hira(person["姓読み"] + person["名読み"])
                else:
                    q = f"{person['名ローマ字']} {person['姓ローマ字']}".strip().lower()
            if q and not any(existing["q"] == q for existing in queries):
                add(kind, q, relevant)
                made += 1
    return queries
