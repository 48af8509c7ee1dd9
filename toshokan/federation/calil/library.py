"""`GET /calil/library`: the library list, as Calil's API gives it (https://calil.jp/doc/api_ref.html).

Parameters are Calil's: `appkey`, `pref`, `city` (with `pref`), `systemid`, `geocode` ("lon,lat": the
nearest libraries first, each with its `distance` in kilometres), `limit`, `format` (json or xml) and
`callback` (JSONP by default; `no` — or a blank callback, which is how Calil's library API and clients
such as pycalil ask — gives plain JSON). Each library carries Calil's fields: systemid, systemname,
libkey, libid, short, formal, url_pc, address, pref, city, post, tel, geocode, category, image, isil,
faid, primary, and distance when a geocode was given. `libid` is the library's row id, stable while the
row lives.

Bad parameters get a 400 with a message in the format asked for. When settings.TOSHOKAN_CALIL_APPKEYS
lists keys, `appkey` must be one of them (403 otherwise); when it is empty any appkey is accepted, as a
library's own page calling its own toshokan should not need one.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from lxml import etree

from ..domain.registry_file import format_geocode, parse_geocode
from ..selectors import Library, libraries
from . import respond

MAX_LIMIT = 10_000


class BadRequest(ValueError):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _appkey(request: HttpRequest) -> None:
    keys = getattr(settings, "TOSHOKAN_CALIL_APPKEYS", ()) or ()
    if keys and request.GET.get("appkey", "") not in keys:
        raise BadRequest("appkey is missing or not known: ask this library for one", status=403)


def _limit(request: HttpRequest) -> int | None:
    raw = request.GET.get("limit", "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 0 < int(raw) <= MAX_LIMIT:
        raise BadRequest(f"limit must be a whole number from 1 to {MAX_LIMIT}, not {raw!r}")
    return int(raw)


def _geocode(request: HttpRequest) -> tuple[float, float] | None:
    raw = request.GET.get("geocode", "").strip()
    if not raw:
        return None
    try:
        return parse_geocode(raw)
    except ValueError as error:
        raise BadRequest(f"geocode {error}") from None


def _format(request: HttpRequest) -> str:
    fmt = request.GET.get("format", "json").strip().lower() or "json"
    if fmt not in ("json", "xml"):
        raise BadRequest(f"format must be json or xml, not {fmt!r}")
    return fmt


def as_calil(library: Library) -> dict[str, Any]:
    """One library in the shape and field order of Calil's JSON."""
    row: dict[str, Any] = {
        "systemid": library.systemid,
        "systemname": library.systemname,
        "libkey": library.libkey,
        "libid": str(library.libid),
        "short": library.short,
        "formal": library.formal,
        "url_pc": library.url,
        "address": library.address,
        "pref": library.pref,
        "city": library.city,
        "post": library.postcode,
        "tel": library.tel,
        "geocode": format_geocode(library.geocode),
        "category": library.category,
        "image": "",
        "isil": library.isil or None,
        "faid": None,
        "primary": library.primary,
    }
    if library.distance_km is not None:
        row["distance"] = round(library.distance_km, 6)
    return row


def _xml(rows: list[dict[str, Any]]) -> bytes:
    root = etree.Element("Libraries")
    for row in rows:
        element = etree.SubElement(root, "Library")
        for name, value in row.items():
            child = etree.SubElement(element, name)
            if value is None:
                continue
            child.text = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _json(request: HttpRequest, payload: Any, status: int = 200) -> HttpResponse:
    # Calil's library API gives plain JSON for a blank callback (its documentation; pycalil sends
    # callback=" "); respond.json_or_jsonp knows only the `no` of the check API.
    if "callback" in request.GET and not request.GET["callback"].strip():
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        response["Access-Control-Allow-Origin"] = "*"
    else:
        response = respond.json_or_jsonp(request, payload)
    if response.status_code == 200:
        response.status_code = status
    return response


def _error(request: HttpRequest, message: str, status: int) -> HttpResponse:
    if respond.wants_xml(request):
        root = etree.Element("Error")
        root.text = message
        response = respond.xml(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
        response.status_code = status
        return response
    return _json(request, {"error": message}, status)


@require_GET
def library(request: HttpRequest) -> HttpResponse:
    try:
        _appkey(request)
        fmt = _format(request)
        geocode = _geocode(request)
        limit = _limit(request)
        found = libraries(
            pref=request.GET.get("pref", "").strip() or None,
            city=request.GET.get("city", "").strip() or None,
            systemid=request.GET.get("systemid", "").strip() or None,
            geocode=geocode,
            limit=limit,
        )
    except BadRequest as error:
        return _error(request, str(error), error.status)
    rows = [as_calil(lib) for lib in found]
    if fmt == "xml":
        return respond.xml(_xml(rows))
    return _json(request, rows)
