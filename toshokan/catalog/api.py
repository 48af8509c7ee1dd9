"""Records in the JSON API, and exports of one record or of a search's results."""

from __future__ import annotations

from collections.abc import Iterator

from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from ninja import Query, Router
from pydantic import Field

from toshokan.search.api import SearchParams
from toshokan.search.selectors import search_catalog

from . import selectors
from .exporters import EXPORTERS, ExportFormat, export_many, export_one
from .models import Record
from .schemas import RecordOut, record_full

router = Router(tags=["catalogue"])

MAX_EXPORT = 1000
_PAGE = 100


@router.get("/records/{record_id}", response=RecordOut, summary="One record with its holdings per branch")
def get_record(request: HttpRequest, record_id: int) -> dict[str, object]:
    record = selectors.record_detail(record_id)
    return record_full(record, selectors.ndc_label(record.ndc))


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


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
        export_one(format, record, base_url=_base_url(request)), content_type=exporter.content_type
    )
    response["Content-Disposition"] = f'inline; filename="record-{record.pk}.{exporter.extension}"'
    return response


class SearchExportParams(SearchParams):
    limit: int = Field(MAX_EXPORT, ge=1, le=MAX_EXPORT, description=f"at most {MAX_EXPORT} records")
    format: ExportFormat = Field(ExportFormat.JSON, description="marcxml, marc, dc, json or csv")
    facets: bool = False


def _search_records(params: SearchExportParams) -> Iterator[Record]:
    """The search's records, best first, fetched a page at a time as the response is written."""
    sent = 0
    while sent < params.limit:
        size = min(_PAGE, params.limit - sent)
        page_params = params.model_copy(
            update={"limit": size, "offset": params.offset + sent, "facets": False}
        )
        page = search_catalog(page_params.to_request())
        yield from page.records
        sent += len(page.records)
        if len(page.records) < size or params.offset + sent >= page.total:
            return


@router.get(
    "/search/export",
    summary=f"The results of a search (the filters of /search) as a file, up to {MAX_EXPORT} records, streamed",
    response={200: None},
)
def export_search(request: HttpRequest, params: Query[SearchExportParams]) -> StreamingHttpResponse:
    exporter = EXPORTERS[params.format]
    response = StreamingHttpResponse(
        export_many(params.format, _search_records(params), base_url=_base_url(request)),
        content_type=exporter.content_type,
    )
    response["Content-Disposition"] = f'attachment; filename="search.{exporter.extension}"'
    return response
