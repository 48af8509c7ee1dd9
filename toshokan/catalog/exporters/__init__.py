"""Catalogue exports: one record or many as MARCXML, MARC (ISO 2709), Dublin Core, JSON or CSV.

Every format has a `one(record)` that returns a whole document and a `many(records)` that yields it
in pieces, so an export of any size streams (to an HTTP response or a file) without being held in
memory. Records must come with their relations prefetched (`selectors.records_by_ids`,
`common.iter_all_records`). docs/import-export.md describes each format's mapping.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum

from ..models import Record
from . import dublin_core, marcxml, tabular


class ExportFormat(StrEnum):
    MARCXML = "marcxml"
    MARC = "marc"
    DC = "dc"
    JSON = "json"
    CSV = "csv"


@dataclass(frozen=True, slots=True)
class Exporter:
    content_type: str
    extension: str
    one: Callable[[Record, str], bytes]
    many: Callable[[Iterable[Record], str], Iterator[bytes]]


def _marc_one(record: Record, base_url: str) -> bytes:
    return b"".join(marcxml.iso2709([record]))


EXPORTERS: dict[ExportFormat, Exporter] = {
    ExportFormat.MARCXML: Exporter(
        "application/marcxml+xml; charset=utf-8",
        "xml",
        lambda record, base_url: marcxml.record_xml(record),
        lambda records, base_url: marcxml.collection_xml(records),
    ),
    ExportFormat.MARC: Exporter(
        "application/marc",
        "mrc",
        _marc_one,
        lambda records, base_url: marcxml.iso2709(records),
    ),
    ExportFormat.DC: Exporter(
        "application/xml; charset=utf-8",
        "xml",
        lambda record, base_url: dublin_core.record_xml(record, base_url=base_url),
        lambda records, base_url: dublin_core.collection_xml(records, base_url=base_url),
    ),
    ExportFormat.JSON: Exporter(
        "application/json; charset=utf-8",
        "json",
        lambda record, base_url: tabular.json_document(record),
        lambda records, base_url: tabular.json_array(records),
    ),
    ExportFormat.CSV: Exporter(
        "text/csv; charset=utf-8",
        "csv",
        lambda record, base_url: b"".join(tabular.csv_rows([record])),
        lambda records, base_url: tabular.csv_rows(records),
    ),
}


def export_one(fmt: ExportFormat | str, record: Record, *, base_url: str = "") -> bytes:
    return EXPORTERS[ExportFormat(fmt)].one(record, base_url)


def export_many(fmt: ExportFormat | str, records: Iterable[Record], *, base_url: str = "") -> Iterator[bytes]:
    return EXPORTERS[ExportFormat(fmt)].many(records, base_url)
