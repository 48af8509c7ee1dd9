"""A mixed query set drawn from the corpus, the way people search a Japanese OPAC, deterministic for a seed.

Each query is made from one record picked at random (so most find something, as most real queries
do) and is one of these kinds, in these proportions:

    char1         one character of a title (猫)                                    7%
    char2         two characters of a title (夏目, 入門)                           11%
    fragment      three to six characters of a title                               20%
    title         a whole title                                                    10%
    reading       three to eight kana of a title's reading, hiragana or katakana    9%
    romaji        one to three romanised words of a title, or a creator's name      9%
    author_title  a creator (whole name or family name) and a title or part of it  15%
    multi         two or three pieces (1–5 characters) of title, creator, publisher 19%

About two queries in five then have a term of one or two characters, the share people actually
type and the hard case for n-gram engines (see ../shared/FACTS.md).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass

import jaconv

from toshokan.search.domain.query import parse_query

from .corpus import Corpus

KINDS = (
    ("char1", 7),
    ("char2", 11),
    ("fragment", 20),
    ("title", 10),
    ("reading", 9),
    ("romaji", 9),
    ("author_title", 15),
    ("multi", 19),
)
_WORD_CHAR = re.compile(r"[\w]")


@dataclass(frozen=True, slots=True)
class BenchQuery:
    q: str
    kind: str

    @property
    def has_short_term(self) -> bool:
        """A term of one or two characters (after the query is parsed as search parses it)."""
        return any(0 < len(t.key) <= 2 for t in parse_query(self.q).terms)


def _fragment(rng: random.Random, text: str, low: int, high: int) -> str:
    """A run of `low`…`high` word characters from `text` (shorter if the text is), or ''."""
    runs = [m.group(0) for m in re.finditer(r"\w+", text)]
    runs = [r for r in runs if len(r) >= low] or runs
    if not runs:
        return ""
    run = rng.choice(runs)
    length = min(len(run), rng.randint(low, high))
    start = rng.randrange(len(run) - length + 1)
    return run[start : start + length]


def _family_name(name: str) -> str:
    if "・" in name:
        return name.rsplit("・", 1)[1]
    return name[:2] if len(name) >= 3 else name


def make_queries(corpus: Corpus, count: int = 1000, seed: int = 1) -> list[BenchQuery]:
    rng = random.Random(seed * 7919 + corpus.size)
    names = [k for k, _ in KINDS]
    weights = [w for _, w in KINDS]
    out: list[BenchQuery] = []
    while len(out) < count:
        rec = corpus.records[rng.randrange(len(corpus.records))]
        _, title, reading, romanized, subtitle, _, _, series, publisher, *_ = rec
        links = rec[11]
        creator = corpus.creators[links[0][0]]
        kind = rng.choices(names, weights)[0]
        q = ""
        if kind == "char1":
            chars = [c for c in title if _WORD_CHAR.match(c)]
            q = rng.choice(chars) if chars else ""
        elif kind == "char2":
            q = _fragment(rng, title, 2, 2)
        elif kind == "fragment":
            q = _fragment(rng, title, 3, 6)
        elif kind == "title":
            q = title
        elif kind == "reading":
            q = _fragment(rng, reading, 3, 8)
            if q and rng.random() < 0.4:
                q = jaconv.hira2kata(q)
        elif kind == "romaji":
            if romanized and rng.random() < 0.6:
                words = romanized.lower().split()
                n = rng.randint(1, min(3, len(words)))
                start = rng.randrange(len(words) - n + 1)
                q = " ".join(words[start : start + n])
            elif creator[2]:
                parts = creator[2].split()
                q = creator[2] if rng.random() < 0.5 else rng.choice(parts)
                q = q.lower() if rng.random() < 0.5 else q
        elif kind == "author_title":
            who = creator[0] if rng.random() < 0.6 else _family_name(creator[0])
            what = title if rng.random() < 0.5 else _fragment(rng, title, 3, 6)
            q = f"{who} {what}" if rng.random() < 0.8 else f"{what}\u3000{who}"
        elif kind == "multi":
            sources = [title, title, creator[0], subtitle, publisher, series]
            pieces = []
            for _ in range(rng.randint(2, 3)):
                text = rng.choice([s for s in sources if s])
                length = rng.choice((1, 2, 3, 3, 4, 4, 5))
                piece = _fragment(rng, text, length, length)
                if piece and piece not in pieces:
                    pieces.append(piece)
            q = " ".join(pieces) if len(pieces) >= 2 else ""
        q = q.strip()
        if q and parse_query(q).terms:
            out.append(BenchQuery(q=q, kind=kind))
    return out


def describe(queries: list[BenchQuery]) -> dict[str, object]:
    kinds: dict[str, int] = {}
    for query in queries:
        kinds[query.kind] = kinds.get(query.kind, 0) + 1
    short = sum(1 for query in queries if query.has_short_term)
    return {"count": len(queries), "kinds": kinds, "with_short_term": short}
