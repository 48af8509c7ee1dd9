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

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET
from lxml import etree

from ..domain.registry_file import format_geocode, parse_geocode
from ..selectors import Library, libraries
from . import respond
from .respond import BadRequest

MAX_LIMIT = 10_000


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


def _xml(rows: list[dict[str, Any]]) -> etree._Element:
    root = etree.Element("Libraries")
    for row in rows:
        element = etree.SubElement(root, "Library")
        for name, value in row.items():
            child = etree.SubElement(element, name)
            if value is None:
                continue
            child.text = ("true" if value else "false") if isinstance(value, bool) else respond.text(value)
    return root


@require_GET
def library(request: HttpRequest) -> HttpResponse:
    try:
        respond.check_appkey(request)
        fmt = respond.check_format(request)
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
        return respond.error(request, str(error), error.status)
    rows = [as_calil(lib) for lib in found]
    if fmt == "xml":
        return respond.xml(_xml(rows), pretty=True)
    return respond.json_or_jsonp(request, rows)
