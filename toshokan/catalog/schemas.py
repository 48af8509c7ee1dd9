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


def _creators(record: Record) -> list[dict[str, str]]:
    out = []
    for link in record.record_creators.all():
        c = link.creator
        role = CreatorRole(link.role) if link.role in CreatorRole._value2member_map_ else CreatorRole.OTHER
        out.append(
            {
                "name": c.name,
                "reading": c.reading or c.reading_auto,
                "romanized": c.romanized or c.romanized_auto,
                "role": role.value,
                "role_label": role.label_ja,
            }
        )
    return out


def _identifiers(record: Record) -> dict[str, str]:
    out: dict[str, str] = {}
    for ident in record.identifiers.all():
        out.setdefault(ident.scheme, ident.value)
    return out


def _availability(record: Record) -> dict[str, object]:
    holdings = list(record.holdings.all())
    lendable = [h for h in holdings if h.status not in {HoldingStatus.WITHDRAWN, HoldingStatus.MISSING}]
    available = sum(1 for h in holdings if h.status == HoldingStatus.AVAILABLE)
    if not lendable:
        status = "none"
    elif available:
        status = "available"
    elif any(h.status == HoldingStatus.ON_LOAN for h in lendable):
        status = "on_loan"
    else:
        status = "unavailable"
    return {
        "copies": len(lendable),
        "available": available,
        "status": status,
        "online": bool(record.etext_url),
    }


def record_summary(record: Record) -> dict[str, object]:
    return {
        "id": record.pk,
        "title": record.title,
        "title_reading": record.title_reading or record.title_reading_auto,
        "subtitle": record.subtitle,
        "creators": _creators(record),
        "identifiers": _identifiers(record),
        "ndc": record.ndc or None,
        "year": record.year,
        "publisher": record.publisher,
        "material_type": record.material_type,
        "language": record.language,
        "availability": _availability(record),
        "url": f"/records/{record.pk}",
    }


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
