"""Calil's response conventions, shared by `/calil/library` and `/calil/check`.

Calil answers JSONP by default: `callback(...)` with the name given in `callback` (default
"callback"); `callback=no` gives plain JSON; `format=xml` gives XML. Clients depend on these details,
so they live in one place.
"""

from __future__ import annotations

import json
import re
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

# A JSONP callback is a JavaScript identifier path (jQuery's are "jQuery1234_5678"); anything else
# could be script injection into the page that loads it.
_CALLBACK = re.compile(r"^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$")


def wants_xml(request: HttpRequest) -> bool:
    return request.GET.get("format", "json").lower() == "xml"


def json_or_jsonp(request: HttpRequest, payload: Any) -> HttpResponse:
    """`payload` as JSONP (the default), or plain JSON when `callback=no`."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    callback = request.GET.get("callback", "callback") or "callback"
    if callback == "no":
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
    elif not _CALLBACK.match(callback) or len(callback) > 128:
        return HttpResponseBadRequest("callback must be a JavaScript identifier, or 'no'")
    else:
        response = HttpResponse(f"{callback}({body});", content_type="text/javascript; charset=utf-8")
    # Calil's API is called from any library's web page.
    response["Access-Control-Allow-Origin"] = "*"
    return response


def xml(body: bytes) -> HttpResponse:
    response = HttpResponse(body, content_type="application/xml; charset=utf-8")
    response["Access-Control-Allow-Origin"] = "*"
    return response
