"""Records → JSON (the `record_full` shape of the API) and CSV (one row a record).

CSV columns are stable; new ones are only ever added at the end. Multiple values in one cell are
separated by " | ". The file starts with a UTF-8 byte order mark so that spreadsheet programs used
in Japanese offices open it as UTF-8 rather than Shift_JIS.

| column | content |
| --- | --- |
| id | toshokan record id |
| title, title_reading, title_romanized, subtitle, volume, series | as catalogued (readings and romaji fall back on the generated ones) |
| creators | "name [role]" for each creator, in order |
| creator_readings | each creator's reading, in the same order |
| publisher, publication_place, year, date_text, edition, extent | imprint and physical description |
| ndc | NDC 9 class number |
| subjects | subject terms |
| isbn, issn, ndl, jpno, lccn, oclc, aozora | identifiers of each scheme |
| language, material_type | ISO 639-2 code; book, serial, ebook … |
| notes | notes, one per line |
| etext_url, source, source_key, url | e-text link; where the record came from; its page |
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator

from ..models import Record
from ..schemas import record_full
from .common import NdcLabels, identifiers_of

CSV_COLUMNS = (
    "id", "title", "title_reading", "title_romanized", "subtitle", "volume", "series", "creators",
    "creator_readings", "publisher", "publication_place", "year", "date_text", "edition", "extent", "ndc",
    "subjects", "isbn", "issn", "ndl", "jpno", "lccn", "oclc", "aozora", "language", "material_type", "notes",
    "etext_url", "source", "source_key", "url",
)  # fmt: skip
SEPARATOR = " | "
_SCHEMES = ("isbn", "issn", "ndl", "jpno", "lccn", "oclc", "aozora")


def record_json(record: Record, labels: NdcLabels | None = None) -> dict[str, object]:
    return record_full(record, (labels or NdcLabels())(record.ndc))


def json_document(record: Record) -> bytes:
    return json.dumps(record_json(record), ensure_ascii=False, indent=2).encode() + b"\n"


def json_array(records: Iterable[Record]) -> Iterator[bytes]:
    """A JSON array of records, written a record at a time."""
    labels = NdcLabels()
    yield b"["
    for i, record in enumerate(records):
        yield (b",\n" if i else b"\n") + json.dumps(record_json(record, labels), ensure_ascii=False).encode()
    yield b"\n]\n"


def csv_row(record: Record) -> list[str]:
    by_scheme: dict[str, list[str]] = {}
    for ident in identifiers_of(record):
        by_scheme.setdefault(ident.scheme, []).append(ident.value)
    links = list(record.record_creators.all())
    values: dict[str, object] = {
        "id": record.pk,
        "title": record.title,
        "title_reading": record.title_reading or record.title_reading_auto,
        "title_romanized": record.title_romanized or record.title_romanized_auto,
        "subtitle": record.subtitle,
        "volume": record.volume,
        "series": record.series,
        "creators": SEPARATOR.join(f"{link.creator.name} [{link.role}]" for link in links),
        "creator_readings": SEPARATOR.join(
            link.creator.reading or link.creator.reading_auto for link in links
        ),
        "publisher": record.publisher,
        "publication_place": record.publication_place,
        "year": record.year if record.year is not None else "",
        "date_text": record.date_text,
        "edition": record.edition,
        "extent": record.extent,
        "ndc": record.ndc,
        "subjects": SEPARATOR.join(s.term for s in record.subjects.all()),
        "language": record.language,
        "material_type": record.material_type,
        "notes": record.notes,
        "etext_url": record.etext_url,
        "source": record.source,
        "source_key": record.source_key,
        "url": f"/records/{record.pk}",
    }
    for scheme in _SCHEMES:
        values[scheme] = SEPARATOR.join(by_scheme.get(scheme, []))
    return [str(values[c]) for c in CSV_COLUMNS]


def csv_rows(records: Iterable[Record], *, bom: bool = True) -> Iterator[bytes]:
    """A CSV file (header row, then one row a record), written a record at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    yield ("\ufeff" if bom else "").encode() + buffer.getvalue().encode()
    for record in records:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(csv_row(record))
        yield buffer.getvalue().encode()
