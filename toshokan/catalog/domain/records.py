"""The catalogue's import form: what every importer produces and `services.upsert_record` stores.

Importers (MARC, Aozora, DC-NDL) turn their source into `BibRecord`s; they never touch the
database. `source` + `source_key` identify a record across imports, so importing the same file
again updates the records it made instead of adding copies.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .enums import CreatorRole, IdentifierScheme, MaterialType


@dataclass(frozen=True, slots=True)
class CreatorEntry:
    name: str
    role: CreatorRole = CreatorRole.AUTHOR
    reading: str = ""  # よみ, kana
    romanized: str = ""  # as the source writes it ("Natsume Soseki")
    dates: str = ""  # "1867-1916" as given
    authority_id: str = ""  # source-scoped person id ("aozora:000148", "ndl:00054222")
    name_as_given: str = ""  # the heading exactly as in the record, when it differs


@dataclass(frozen=True, slots=True)
class IdentifierEntry:
    scheme: IdentifierScheme
    value: str
    qualifier: str = ""  # "pbk.", "set" …


@dataclass(frozen=True, slots=True)
class SubjectEntry:
    term: str
    scheme: str = "keyword"  # ndlsh, lcsh, keyword …
    reading: str = ""


@dataclass(slots=True)
class BibRecord:
    source: str  # "aozora", "marc", "ndl", "manual"
    source_key: str  # unique within the source
    title: str
    title_reading: str = ""
    title_romanized: str = ""
    subtitle: str = ""
    subtitle_reading: str = ""
    original_title: str = ""
    series: str = ""
    series_reading: str = ""
    volume: str = ""
    creators: list[CreatorEntry] = field(default_factory=list)
    publisher: str = ""
    publication_place: str = ""
    year: int | None = None
    date_text: str = ""  # as given: "昭和46 [1971]", "1900", "明治33年"
    edition: str = ""
    extent: str = ""  # 形態: "302 p ; 19 cm"
    ndc: str = ""  # NDC 9 notation, e.g. "913.6"
    subjects: list[SubjectEntry] = field(default_factory=list)
    language: str = "jpn"  # ISO 639-2/B
    material_type: MaterialType = MaterialType.BOOK
    notes: list[str] = field(default_factory=list)
    identifiers: list[IdentifierEntry] = field(default_factory=list)
    etext_url: str = ""
    extra: dict[str, object] = field(default_factory=dict)  # source-specific fields kept as given
    provenance: str = ""  # where the record came from: file and position, or a URL


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """A record that could not be imported: where it was in its source and why."""

    position: int  # 1-based record number in the source file
    reason: str
    source_key: str = ""
    offset: int | None = None  # byte offset in the file, where known
