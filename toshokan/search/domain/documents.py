"""What the search index holds for one record, built from the record's own fields.

Every text value is stored as match keys (toshokan.core.japanese): the surface key (`fold`) of the
title, creators and other text; the reading key of every reading the record carries or the analyser
gave it; and the romaji key of every romanisation (the source's, the analyser's and one made from
each reading). A record is found by any of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

from toshokan.catalog.domain.snapshots import RecordSource
from toshokan.core.japanese.normalize import fold, fold_keep_punctuation, is_latin
from toshokan.core.japanese.romaji import kana_to_romaji, romaji_key


@dataclass(slots=True)
class SearchDocument:
    id: int
    title: list[str] = field(default_factory=list)
    # Punctuation kept, for ranking only; just the titles whose key that changes.
    title_marked: list[str] = field(default_factory=list)
    reading: list[str] = field(default_factory=list)
    romaji: list[str] = field(default_factory=list)
    creator: list[str] = field(default_factory=list)
    creator_reading: list[str] = field(default_factory=list)
    creator_romaji: list[str] = field(default_factory=list)
    # The keys (name, reading, romaji) of the principal creators — authors, not translators or
    # editors: for ranking only, so that works *by* a person come before works they translated.
    principal: list[str] = field(default_factory=list)
    other: list[str] = field(default_factory=list)
    identifiers: list[str] = field(default_factory=list)
    # Facets and sorting
    ndc: str = ""
    material_type: str = "book"
    language: str = ""
    year: int | None = None
    branches: list[str] = field(default_factory=list)
    available_at: list[str] = field(default_factory=list)
    online: bool = False
    sort_reading: str = ""


PRINCIPAL_ROLES = frozenset({"author", "original_author"})

# Names, publishers and subjects recur from record to record (a library holds many works by one
# author, from one publisher): their keys are remembered. Titles are not; they rarely repeat.
_CACHE = 1 << 16
_name_fold = lru_cache(maxsize=_CACHE)(fold)
_name_romaji_key = lru_cache(maxsize=_CACHE)(romaji_key)
_name_romaji = lru_cache(maxsize=_CACHE)(kana_to_romaji)
_name_is_latin = lru_cache(maxsize=_CACHE)(is_latin)


def _unique(values: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for value in values:
        if value:
            seen.setdefault(value, None)
    return list(seen)


def _marked(titles: list[str]) -> list[str]:
    """The titles' keys with punctuation kept, where that differs from the plain key: a query term
    with marks (query.Term.marked) differs from its plain key too, so it can only ever be found in
    those, and a title without marks needs no second copy in the index."""
    marked = []
    for t in titles:
        if t:
            m = fold_keep_punctuation(t)
            if m != fold(t):
                marked.append(m)
    return _unique(marked)


def _romaji_keys(romanized: list[str], readings: list[str]) -> list[str]:
    keys = [romaji_key(r) for r in romanized if r]
    keys += [romaji_key(kana_to_romaji(r)) for r in readings if r]
    return _unique(keys)


def build_document(src: RecordSource) -> SearchDocument:
    titles = [src.title, src.subtitle, src.original_title, src.series]
    if src.subtitle:
        titles.append(f"{src.title}{src.subtitle}")
    readings = [src.title_reading or src.title_reading_auto, src.subtitle_reading, src.series_reading]
    if src.title_reading and src.title_reading_auto:
        readings.append(src.title_reading_auto)
    romanized = [src.title_romanized, src.title_romanized_auto]
    # A title in Latin script is its own romanisation (and English queries meet it either way).
    romanized += [t for t in (src.title, src.subtitle, src.original_title) if t and is_latin(t)]

    creator_names: list[str] = []
    creator_readings: list[str] = []
    creator_romanized: list[str] = []
    principal: list[str] = []
    for c in src.creators:
        reading = c.reading or c.reading_auto
        latin = _name_is_latin(c.name)
        if c.role in PRINCIPAL_ROLES:
            principal += [_name_fold(c.name), _name_fold(reading)]
            principal += [_name_romaji_key(r) for r in (c.romanized, c.romanized_auto) if r]
            if reading:
                principal.append(_name_romaji_key(_name_romaji(reading)))
            if latin:
                principal.append(_name_romaji_key(c.name))
        creator_names += [c.name, c.name_as_given]
        creator_readings.append(reading)
        creator_romanized += [c.romanized, c.romanized_auto]
        if latin:
            creator_romanized.append(c.name)
        if reading:
            creator_romanized.append(_name_romaji(reading))

    available = sorted({h.branch for h in src.holdings if h.status == "available"})
    return SearchDocument(
        id=src.id,
        title=_unique([fold(t) for t in titles if t]),
        title_marked=_marked([src.title, src.subtitle]),
        reading=_unique([fold(r) for r in readings if r]),
        romaji=_romaji_keys(romanized, [r for r in readings if r]),
        creator=_unique([_name_fold(n) for n in creator_names if n]),
        creator_reading=_unique([_name_fold(r) for r in creator_readings if r]),
        creator_romaji=_unique([_name_romaji_key(r) for r in creator_romanized if r]),
        principal=_unique(principal),
        other=_unique([_name_fold(v) for v in (src.publisher, *src.subjects) if v]),
        identifiers=_unique([f"{scheme}:{value}" for scheme, value in src.identifiers]),
        ndc=src.ndc,
        material_type=src.material_type,
        language=src.language,
        year=src.year,
        branches=sorted({h.branch for h in src.holdings}),
        available_at=available,
        online=src.has_etext,
        sort_reading=fold(src.title_reading or src.title_reading_auto or src.title),
    )
