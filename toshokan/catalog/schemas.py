"""The JSON shapes of records (../shared/CONTRACT.md): shared by the search API, the record API and exports."""

from __future__ import annotations

from ninja import Schema

from .domain.enums import CreatorRole, HoldingStatus
from .models import Record


class CreatorOut(Schema):
    name: str
    reading: str
    romanized: str
    role: str
    role_label: str


class AvailabilityOut(Schema):
    copies: int
    available: int
    status: str  # available | on_loan | unavailable | none
    online: bool


class RecordSummaryOut(Schema):
    id: int
    title: str
    title_reading: str
    subtitle: str
    creators: list[CreatorOut]
    identifiers: dict[str, str]
    ndc: str | None = None
    year: int | None = None
    publisher: str
    material_type: str
    language: str
    availability: AvailabilityOut
    url: str


class HoldingOut(Schema):
    barcode: str
    branch: str
    branch_name: str
    location: str
    shelf_mark: str
    status: str
    status_label: str


class NdcOut(Schema):
    notation: str
    label: str


class RecordOut(RecordSummaryOut):
    title_romanized: str
    original_title: str
    series: str
    volume: str
    publication_place: str
    date_text: str
    edition: str
    extent: str
    ndc_label: NdcOut | None = None
    subjects: list[str]
    notes: str
    etext_url: str
    source: str
    provenance: str
    holdings: list[HoldingOut]
    identifiers_all: list[dict[str, str]]


def creator_out(name: str, reading: str, romanized: str, role: str) -> dict[str, str]:
    """One creator as the JSON shows it (the source's reading/romanisation, else the analyser's)."""
    known = CreatorRole(role) if role in CreatorRole._value2member_map_ else CreatorRole.OTHER
    return {
        "name": name,
        "reading": reading,
        "romanized": romanized,
        "role": known.value,
        "role_label": known.label_ja,
    }


def _creators(record: Record) -> list[dict[str, str]]:
    return [
        creator_out(
            link.creator.name,
            link.creator.reading or link.creator.reading_auto,
            link.creator.romanized or link.creator.romanized_auto,
            link.role,
        )
        for link in record.record_creators.all()
    ]


def _identifiers(record: Record) -> dict[str, str]:
    out: dict[str, str] = {}
    for ident in record.identifiers.all():
        out.setdefault(ident.scheme, ident.value)
    return out


_NOT_LENDABLE = frozenset({HoldingStatus.WITHDRAWN.value, HoldingStatus.MISSING.value})


def availability(statuses: list[str], online: bool) -> dict[str, object]:
    """What a result list says about copies, from the statuses of a record's copies."""
    lendable = [s for s in statuses if s not in _NOT_LENDABLE]
    available = sum(1 for s in lendable if s == HoldingStatus.AVAILABLE)
    if not lendable:
        status = "none"
    elif available:
        status = "available"
    elif HoldingStatus.ON_LOAN in lendable:
        status = "on_loan"
    else:
        status = "unavailable"
    return {"copies": len(lendable), "available": available, "status": status, "online": online}


def summary_dict(
    values: dict[str, object],
    creators: list[dict[str, str]],
    identifiers: dict[str, str],
    statuses: list[str],
) -> dict[str, object]:
    """The summary shape from plain values: `values` holds the Record fields named below."""
    pk = values["id"]
    return {
        "id": pk,
        "title": values["title"],
        "title_reading": values["title_reading"] or values["title_reading_auto"],
        "subtitle": values["subtitle"],
        "creators": creators,
        "identifiers": identifiers,
        "ndc": values["ndc"] or None,
        "year": values["year"],
        "publisher": values["publisher"],
        "material_type": values["material_type"],
        "language": values["language"],
        "availability": availability(statuses, bool(values["etext_url"])),
        "url": f"/records/{pk}",
    }


SUMMARY_FIELDS = (
    "id",
    "title",
    "title_reading",
    "title_reading_auto",
    "subtitle",
    "ndc",
    "year",
    "publisher",
    "material_type",
    "language",
    "etext_url",
)


def record_summary(record: Record) -> dict[str, object]:
    values = {name: getattr(record, name) for name in SUMMARY_FIELDS}
    values["id"] = record.pk
    return summary_dict(
        values, _creators(record), _identifiers(record), [h.status for h in record.holdings.all()]
    )


def record_full(record: Record, ndc_label: tuple[str, str] | None = None) -> dict[str, object]:
    data = record_summary(record)
    data.update(
        {
            "title_romanized": record.title_romanized or record.title_romanized_auto,
            "original_title": record.original_title,
            "series": record.series,
            "volume": record.volume,
            "publication_place": record.publication_place,
            "date_text": record.date_text,
            "edition": record.edition,
            "extent": record.extent,
            "ndc_label": {"notation": ndc_label[0], "label": ndc_label[1]} if ndc_label else None,
            "subjects": [s.term for s in record.subjects.all()],
            "notes": record.notes,
            "etext_url": record.etext_url,
            "source": record.source,
            "provenance": record.provenance,
            "holdings": [
                {
                    "barcode": h.barcode,
                    "branch": h.branch.code,
                    "branch_name": h.branch.name,
                    "location": h.location,
                    "shelf_mark": h.shelf_mark,
                    "status": h.status,
                    "status_label": HoldingStatus(h.status).label_ja,
                }
                for h in record.holdings.all()
            ],
            "identifiers_all": [
                {"scheme": i.scheme, "value": i.value, "qualifier": i.qualifier}
                for i in record.identifiers.all()
            ],
        }
    )
    return data
