"""Plain snapshots of records for other contexts (search indexes them): values only, no ORM."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CreatorSource:
    name: str
    reading: str = ""
    romanized: str = ""
    reading_auto: str = ""
    romanized_auto: str = ""
    role: str = "author"
    name_as_given: str = ""


@dataclass(frozen=True, slots=True)
class HoldingSource:
    branch: str  # branch code
    status: str


@dataclass(frozen=True, slots=True)
class RecordSource:
    """A record as search sees it: plain values, no ORM."""

    id: int
    title: str
    title_reading: str = ""
    title_romanized: str = ""
    title_reading_auto: str = ""
    title_romanized_auto: str = ""
    subtitle: str = ""
    subtitle_reading: str = ""
    original_title: str = ""
    series: str = ""
    series_reading: str = ""
    publisher: str = ""
    year: int | None = None
    ndc: str = ""
    language: str = ""
    material_type: str = "book"
    creators: tuple[CreatorSource, ...] = ()
    subjects: tuple[str, ...] = ()
    identifiers: tuple[tuple[str, str], ...] = ()
    holdings: tuple[HoldingSource, ...] = ()
    has_etext: bool = False
