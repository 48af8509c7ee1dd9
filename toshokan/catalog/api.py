"""Records in the JSON API."""

from __future__ import annotations

from django.http import HttpRequest

from ninja import Router

from . import selectors
from .schemas import RecordOut, record_full

router = Router(tags=["catalogue"])


@router.get("/records/{record_id}", response=RecordOut, summary="One record with its holdings per branch")
def get_record(request: HttpRequest, record_id: int) -> dict[str, object]:
    record = selectors.record_detail(record_id)
    return record_full(record, selectors.ndc_label(record.ndc))
