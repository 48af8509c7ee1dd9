"""Records in the JSON API, and the export of one record (a search's results: toshokan.search.api)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Router

from toshokan.core.http import base_url

from . import selectors
from .exporters import EXPORTERS, ExportFormat, export_one
from .schemas import RecordOut, record_full

router = Router(tags=["catalogue"])


@router.get("/records/{record_id}", response=RecordOut, summary="One record with its holdings per branch")
def get_record(request: HttpRequest, record_id: int) -> dict[str, object]:
    record = selectors.record_detail(record_id)
    return record_full(record, selectors.ndc_label(record.ndc))


@router.get(
    "/records/{record_id}/export",
    summary="One record as MARCXML, MARC (ISO 2709), Dublin Core (oai_dc), JSON or CSV",
    response={200: None},
)
def export_record(
    request: HttpRequest, record_id: int, format: ExportFormat = ExportFormat.MARCXML
) -> HttpResponse:
    record = selectors.record_detail(record_id)
    exporter = EXPORTERS[format]
    response = HttpResponse(
        export_one(format, record, base_url=base_url(request)), content_type=exporter.content_type
    )
    response["Content-Disposition"] = f'inline; filename="record-{record.pk}.{exporter.extension}"'
    return response
