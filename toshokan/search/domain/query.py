"""What a query means: its terms, filters, sort and page, independent of any engine.

Matching rule (the same for every backend, so hit counts are exact and comparable):
a record matches when **every term** of the query occurs, as a contiguous run of its match key,
in at least one indexed value of the record — title, subtitle, series, a reading, a romanisation,
a creator's name, reading or romanisation, publisher or subject — or, for a term that is an ISBN,
when the record carries that ISBN. Terms are separated by spaces (half- or full-width). Latin terms
also match romanisations through the romaji key; a Latin term of a single letter (the particles
"e" and "o") is joined to the term before it, since one letter cannot be matched on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum

from toshokan.catalog.domain.identifiers import InvalidIdentifier, normalize_isbn
from toshokan.core.japanese.normalize import fold, fold_keep_punctuation, is_latin, split_terms
from toshokan.core.japanese.romaji import romaji_key

MAX_TERMS = 12
MAX_TERM_LENGTH = 64


class Sort(StrEnum):
    RELEVANCE = "relevance"
    READING = "reading"  # 五十音順
    YEAR_DESC = "year_desc"
    YEAR_ASC = "year_asc"


@dataclass(frozen=True, slots=True)
class Term:
    text: str  # as typed
    key: str  # surface match key (fold)
    romaji: str = ""  # romaji key, for Latin terms
    isbn: str = ""  # normalised ISBN-13 when the term is one
    marked: str = ""  # the key with punctuation kept, when the term has any (「白き夢」)


@dataclass(frozen=True, slots=True)
class Filters:
    ndc: tuple[str, ...] = ()  # NDC prefixes: "9" (文学), "91", "913"
    material_type: tuple[str, ...] = ()
    branch: tuple[str, ...] = ()  # has a copy at one of these branches
    language: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    available: bool = False  # a copy can be borrowed now (at `branch`, when given)
    online: bool = False  # readable online (e-text)

    def is_empty(self) -> bool:
        return self == Filters()


@dataclass(frozen=True, slots=True)
class SearchRequest:
    q: str = ""
    filters: Filters = field(default_factory=Filters)
    sort: Sort = Sort.RELEVANCE
    limit: int = 20
    offset: int = 0
    facets: bool = True


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    terms: tuple[Term, ...]
    whole_key: str  # every term's key joined: the query as one string, for exact-title bonuses
    whole_romaji: str

    @property
    def is_empty(self) -> bool:
        return not self.terms


_ISBN_LIKE = re.compile(r"^(?:isbn[:：]?)?[0-9][0-9\-]{8,16}[0-9xX]$", re.IGNORECASE)


def _isbn(text: str) -> str:
    if not _ISBN_LIKE.match(text):
        return ""
    try:
        return normalize_isbn(text)
    except InvalidIdentifier:
        return ""


def parse_query(q: str) -> ParsedQuery:
    raw_terms = [t[:MAX_TERM_LENGTH] for t in split_terms(q)]
    # Join one-letter romaji pieces to a neighbour (tokyo e iku → tokyoe iku).
    merged: list[str] = []
    for text in raw_terms:
        if merged and is_latin(text) and is_latin(merged[-1]) and len(romaji_key(text)) < 2:
            merged[-1] = merged[-1] + " " + text
        else:
            merged.append(text)
    if len(merged) > 1 and is_latin(merged[0]) and len(romaji_key(merged[0])) < 2 and is_latin(merged[1]):
        merged[0:2] = [merged[0] + " " + merged[1]]

    terms: list[Term] = []
    for text in merged[:MAX_TERMS]:
        isbn = _isbn(text)
        key = fold(text)
        if not key and not isbn:
            continue
        marked = fold_keep_punctuation(text)
        terms.append(
            Term(
                text=text,
                key=key,
                romaji=romaji_key(text) if is_latin(text) else "",
                isbn=isbn,
                marked=marked if marked != key and len(marked) >= 2 else "",
            )
        )
    return ParsedQuery(
        terms=tuple(terms),
        whole_key="".join(t.key for t in terms),
        whole_romaji="".join(t.romaji for t in terms) if terms and all(t.romaji for t in terms) else "",
    )
