"""The JSON API (django-ninja): one NinjaAPI, each context adds its router. OpenAPI at /api/v1/openapi.json."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI, Schema
from ninja.renderers import JSONRenderer

from toshokan.core.domain import DomainError, NotFound


class UnicodeJSONRenderer(JSONRenderer):
    """JSON with Japanese as UTF-8 text, not \\u escapes: half the bytes, and readable with curl."""

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> Any:
        return json.dumps(data, cls=self.encoder_class, ensure_ascii=False)


api = NinjaAPI(
    renderer=UnicodeJSONRenderer(),
    title="toshokan API",
    version="1.0.0",
    description="Catalogue search and records of a toshokan library. Japanese-aware search; "
    "see docs/api.md for the matching rules and examples.",
    urls_namespace="api-v1",
)


@api.exception_handler(NotFound)
def not_found(request: HttpRequest, exc: NotFound) -> HttpResponse:
    return api.create_response(request, {"error": exc.code, "detail": str(exc)}, status=404)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, {"error": exc.code, "detail": str(exc)}, status=400)


class Health(Schema):
    status: str
    records: int
    indexed: int
    search_backend: str


@api.get("/health", response=Health, tags=["system"], summary="Ready when searches can be answered")
def health(request: HttpRequest) -> dict[str, object]:
    from toshokan.catalog.selectors import record_count
    from toshokan.search.engine import get_backend

    backend = get_backend()
    return {
        "status": "ok",
        "records": record_count(),
        "indexed": backend.count(),
        "search_backend": backend.name,
    }


def _register_routers() -> None:
    from toshokan.catalog.api import router as catalog_router
    from toshokan.search.api import router as search_router

    api.add_router("", search_router)
    api.add_router("", catalog_router)


_register_routers()
