"""The JSON API (django-ninja): one NinjaAPI, each context adds its router. OpenAPI at /api/v1/openapi.json."""

from __future__ import annotations

import json
import math
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.renderers import JSONRenderer

from toshokan.core.domain import DomainError, Forbidden, NotFound


class UnicodeJSONRenderer(JSONRenderer):
    """JSON with Japanese as UTF-8 text, not \\u escapes: half the bytes, and readable with curl."""

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> Any:
        return json.dumps(data, cls=self.encoder_class, ensure_ascii=False)


api = NinjaAPI(
    renderer=UnicodeJSONRenderer(),
    title="toshokan API",
    version="1.0.0",
    description="Catalogue search and records, lending, holds and the patron's own account of a "
    "toshokan library. Staff send `Authorization: Bearer <token>`; patrons log in at "
    "POST /api/v1/patron/session. See docs/api.md.",
    urls_namespace="api-v1",
)


def error_status(exc: DomainError) -> int:
    """The HTTP status for a refusal: 404 a named thing is not there, 401 wrong credentials, 403
    not allowed, 409 the library's rules or the current state refuse it (on loan, limit reached,
    blocked), 422 the request itself is unusable, 415 not JSON, 429 too many failed logins; else 400."""
    from toshokan.circulation.domain.states import TransitionRefused
    from toshokan.circulation.idempotency import IdempotencyKeyReused
    from toshokan.circulation.services import CirculationError
    from toshokan.patrons.domain.pins import InvalidPin
    from toshokan.patrons.services import AuthenticationFailed, LoginThrottled, PatronError

    if isinstance(exc, NotFound):
        return 404
    if isinstance(exc, AuthenticationFailed):
        return 401
    if isinstance(exc, Forbidden):
        return 403
    if isinstance(exc, LoginThrottled):
        return 429
    if exc.code == "json_required":
        return 415
    if isinstance(exc, CirculationError | TransitionRefused) or exc.code in CONFLICT_CODES:
        return 409
    if isinstance(exc, PatronError | InvalidPin | IdempotencyKeyReused):
        return 422
    return 400


CONFLICT_CODES = frozenset({"card_in_use", "renewal_too_early"})


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    response = api.create_response(request, {"error": exc.code, "detail": str(exc)}, status=error_status(exc))
    until = getattr(exc, "until", None)
    if until is not None:
        seconds = (until - timezone.now()).total_seconds()
        response["Retry-After"] = str(max(1, math.ceil(seconds)))
    return response


@api.exception_handler(AuthenticationError)
def not_authenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(
        request,
        {"error": "not_authenticated", "detail": "ログインしてください (a staff token or a patron session)"},
        status=401,
    )
    response["WWW-Authenticate"] = 'Bearer realm="toshokan"'
    return response


HTTP_ERROR_CODES = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """django-ninja's own refusals (an unparsable body, …), in the same shape as ours."""
    code = HTTP_ERROR_CODES.get(exc.status_code, f"http_{exc.status_code}")
    return api.create_response(request, {"error": code, "detail": str(exc)}, status=exc.status_code)


@api.exception_handler(ValidationError)
def invalid_request(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return api.create_response(request, {"error": "invalid_request", "detail": exc.errors}, status=422)


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
    from toshokan.circulation.api import router as circulation_router
    from toshokan.federation.api import router as federation_router
    from toshokan.identity.api import router as identity_router
    from toshokan.patrons.api import router as patrons_router
    from toshokan.search.api import router as search_router

    api.add_router("", search_router)
    api.add_router("", catalog_router)
    api.add_router("", patrons_router)
    api.add_router("", circulation_router)
    api.add_router("", federation_router)
    api.add_router("", identity_router)


_register_routers()
