"""Calil's request and response conventions, shared by `/calil/library` and `/calil/check`.

Calil answers JSONP by default: `callback(...)` with the name given in `callback` (default
"callback"); `callback=no` — or a blank callback, which is how Calil's library API and clients such
as pycalil ask — gives plain JSON; `format=xml` gives XML. `appkey` is checked against
settings.TOSHOKAN_CALIL_APPKEYS when that lists any. A refused request answers in the format asked
for: `{"error": …}` (JSON or JSONP; JSONP with status 200, so that the page's callback runs) or
`<Error>…</Error>`. Clients depend on these details, so they
live in one place.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from lxml import etree

# A JSONP callback is a JavaScript identifier path (jQuery's are "jQuery1234_5678"); anything else
# could be script injection into the page that loads it.
_CALLBACK = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*", re.ASCII)
# What XML 1.0 cannot carry (control characters, U+FFFE/U+FFFF): a value echoed from a request or
# typed in the admin must not make lxml refuse the whole answer.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class BadRequest(ValueError):
    """A request refused with `status` and a message saying why."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def check_appkey(request: HttpRequest) -> None:
    keys = getattr(settings, "TOSHOKAN_CALIL_APPKEYS", ()) or ()
    if keys and request.GET.get("appkey", "") not in keys:
        raise BadRequest("appkey is missing or not known: ask this library for one", status=403)


def _format(request: HttpRequest) -> str:
    return request.GET.get("format", "json").strip().lower() or "json"


def check_format(request: HttpRequest) -> str:
    """`json` or `xml`; BadRequest for anything else."""
    fmt = _format(request)
    if fmt not in ("json", "xml"):
        raise BadRequest(f"format must be json or xml, not {fmt!r}")
    return fmt


def wants_xml(request: HttpRequest) -> bool:
    return _format(request) == "xml"


def json_or_jsonp(request: HttpRequest, payload: Any, status: int = 200) -> HttpResponse:
    """`payload` as JSONP (the default), or plain JSON when `callback` is `no` or blank.

    `status` is plain JSON's: JSONP always answers 200, since a browser runs a <script> only from a
    2xx answer — with a 400 or 404 the callback would never see the `error` or `continue: 0` meant
    for it, and a polling page would never learn to stop.
    """
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    callback = request.GET.get("callback", "callback")
    if callback.strip() in ("", "no"):
        response = HttpResponse(body, content_type="application/json; charset=utf-8", status=status)
    elif len(callback) > 128 or not _CALLBACK.fullmatch(callback):
        return HttpResponseBadRequest("callback must be a JavaScript identifier, or 'no'")
    else:
        response = HttpResponse(f"{callback}({body});", content_type="text/javascript; charset=utf-8")
    # Calil's API is called from any library's web page.
    response["Access-Control-Allow-Origin"] = "*"
    return response


def text(value: object) -> str:
    """`value` as XML text: characters XML cannot carry become U+FFFD."""
    return _NOT_XML.sub("\ufffd", str(value))


def xml(root: etree._Element, status: int = 200, *, pretty: bool = False) -> HttpResponse:
    body = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=pretty)
    response = HttpResponse(body, content_type="application/xml; charset=utf-8", status=status)
    response["Access-Control-Allow-Origin"] = "*"
    return response


def error(request: HttpRequest, message: str, status: int) -> HttpResponse:
    """A refused request, in the format asked for: JSON(P) `{"error": …}` or XML `<Error>…</Error>`."""
    if wants_xml(request):
        root = etree.Element("Error")
        root.text = text(message)
        return xml(root, status)
    return json_or_jsonp(request, {"error": message}, status)
