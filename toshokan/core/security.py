"""HTTP security headers Django does not write itself, and the endpoint browsers report CSP
violations to (docs/security.md).

Django's SecurityMiddleware writes Referrer-Policy, X-Content-Type-Options, Cross-Origin-Opener-
Policy and HSTS; django-csp writes Content-Security-Policy (CONTENT_SECURITY_POLICY), to which
`ContentSecurityPolicyMiddleware` adds the map tile server's origin when one is configured
(TOSHOKAN_MAP_TILES["URL"], read per response so that a changed setting applies). Permissions-Policy (W3C Permissions
Policy) has no setting in either, hence this small middleware: it switches off the powerful
browser features no page of toshokan uses, and allows the ones that pages use to this site alone
— passkeys (publickey-credentials-get/create) and the "libraries near me" button (geolocation).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from urllib.parse import urlsplit

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

log = logging.getLogger("toshokan.security")

DEFAULT_PERMISSIONS_POLICY: dict[str, list[str]] = {
    "publickey-credentials-get": ["self"],
    "publickey-credentials-create": ["self"],
    "geolocation": ["self"],
    "camera": [],
    "microphone": [],
    "payment": [],
    "usb": [],
    "serial": [],
    "hid": [],
    "bluetooth": [],
    "midi": [],
    "magnetometer": [],
    "gyroscope": [],
    "accelerometer": [],
    "display-capture": [],
    "browsing-topics": [],  # no interest-based advertising signals from our pages
}


def permissions_policy_header(policy: dict[str, list[str]]) -> str:
    """The header value in the structured-field syntax: `camera=(), geolocation=(self)`."""
    return ", ".join(f"{feature}=({' '.join(origins)})" for feature, origins in policy.items())


class PermissionsPolicyMiddleware:
    """Adds Permissions-Policy to every response (TOSHOKAN_PERMISSIONS_POLICY overrides the
    default, feature by feature)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        policy = {**DEFAULT_PERMISSIONS_POLICY, **getattr(settings, "TOSHOKAN_PERMISSIONS_POLICY", {})}
        self.header = permissions_policy_header(policy)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.header)
        return response


def tile_origins() -> list[str]:
    """scheme://host[:port] of the configured map tile URL template, or nothing."""
    url = str(getattr(settings, "TOSHOKAN_MAP_TILES", {}).get("URL", ""))
    parts = urlsplit(url)
    return [f"{parts.scheme}://{parts.netloc}"] if parts.scheme in ("http", "https") and parts.netloc else []


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the map tile server allowed as an image source."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        origins = tile_origins()
        if origins and not report_only:
            update = dict(parts.update or {})
            update["img-src"] = [*list(update.get("img-src") or []), *origins]
            parts.update = update
        return parts


UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _is_json(content_type: str) -> bool:
    media = content_type.split(";")[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


class JsonApiMiddleware:
    """The JSON API takes JSON bodies only: an unsafe request under TOSHOKAN_API_PREFIX ("/api/")
    with a body that is not application/json is answered 415 before any view runs.

    A page on another site can make a browser send a form (urlencoded, multipart or text/plain)
    with the visitor's cookies and without asking; it cannot send application/json without a CORS
    preflight, which toshokan never grants. So this closes cross-site requests to every API
    endpoint at once — the unauthenticated ones too (logins, where a forged request would log the
    victim into someone else's account), not only those whose session authentication checks the
    CSRF token. No API endpoint takes form or file uploads."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.prefix = str(getattr(settings, "TOSHOKAN_API_PREFIX", "/api/"))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            request.method in UNSAFE_METHODS
            and request.path_info.startswith(self.prefix)
            and int(request.META.get("CONTENT_LENGTH") or 0) > 0
            and not _is_json(request.META.get("CONTENT_TYPE", ""))
        ):
            return JsonResponse(
                {
                    "error": "json_required",
                    "detail": "Content-Type: application/json で送ってください (send JSON)",
                },
                status=415,
            )
        return self.get_response(request)


MAX_REPORT_BYTES = 16 * 1024


@csrf_exempt  # browsers send reports without a token; the view only writes a log line
@require_POST
def csp_report(request: HttpRequest) -> HttpResponse:
    """Logs a CSP violation report (report-uri: application/csp-report; Reporting API:
    application/reports+json). Only where a violation happened and what was blocked is logged —
    never the page's query string, which may hold a patron's search."""
    if len(request.body) > MAX_REPORT_BYTES:
        return HttpResponse(status=413)
    try:
        data = json.loads(request.body or b"null")
    except ValueError:
        return HttpResponse(status=400)
    reports = data if isinstance(data, list) else [data]
    for item in reports:
        if not isinstance(item, dict):
            continue
        body = item.get("csp-report") or item.get("body") or {}
        if not isinstance(body, dict):
            continue
        page = str(body.get("document-uri") or body.get("documentURL") or "").split("?")[0]
        blocked = str(body.get("blocked-uri") or body.get("blockedURL") or "").split("?")[0]
        directive = str(body.get("violated-directive") or body.get("effectiveDirective") or "")
        log.warning("CSP violation on %s: %s blocked %s", page[:200], directive[:100], blocked[:200])
    return HttpResponse(status=204)
