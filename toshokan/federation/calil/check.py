"""`GET /calil/check`: live availability of ISBNs across library systems, as Calil's API gives it.

Calil's API reference (https://calil.jp/doc/api_ref.html, "蔵書検索 API"): the first call names
`isbn` and `systemid` (comma-separated) and answers at once with a `session` and `continue`; while
`continue` is 1 the client calls again with `session=…` (Calil asks for at least two seconds between
calls) and each system's `status` moves from Running to OK, Cache or Error. Per ISBN and systemid:
`status`, `reserveurl` and `libkey` — each branch's status by its libkey.

The first call waits up to `FIRST_WAIT_S` before answering, so cached answers and this toshokan's
own branches come back in one round trip. An unknown or expired session answers 404 with the same
shape (no books, `continue` 0, so a polling client stops) and a message saying why.
"""

from __future__ import annotations

import time

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.urls import reverse
from django.utils.xmlutils import SimplerXMLGenerator
from django.views.decorators.http import require_GET

from .. import checks
from ..checks import CheckState
from . import respond

FIRST_WAIT_S = 0.5
_POLL_S = 0.05


def payload(state: CheckState) -> dict[str, object]:
    """Calil's JSON shape for a check session's state."""
    return {
        "session": state.session,
        "books": {
            isbn: {
                systemid: {
                    "status": answer.status.value,
                    "reserveurl": answer.reserveurl,
                    "libkey": {libkey: status.value for libkey, status in answer.libkeys.items()},
                }
                for systemid, answer in systems.items()
            }
            for isbn, systems in state.books.items()
        },
        "continue": 1 if state.running else 0,
    }


def xml_body(state: CheckState, *, book_url: str = "") -> bytes:
    """Calil's XML shape: <result><session/><continue/><books><book isbn calilurl><system systemid>…"""
    from io import StringIO

    out = StringIO()
    xml = SimplerXMLGenerator(out, "utf-8")
    xml.startDocument()
    xml.startElement("result", {})
    xml.addQuickElement("session", state.session)
    xml.addQuickElement("continue", "1" if state.running else "0")
    xml.startElement("books", {})
    for isbn, systems in state.books.items():
        xml.startElement("book", {"isbn": isbn, "calilurl": book_url.replace("{isbn}", isbn)})
        for systemid, answer in systems.items():
            xml.startElement("system", {"systemid": systemid})
            xml.addQuickElement("status", answer.status.value)
            xml.addQuickElement("reserveurl", answer.reserveurl)
            xml.startElement("libkeys", {})
            for libkey, status in answer.libkeys.items():
                xml.addQuickElement("libkey", status.value, {"name": libkey})
            xml.endElement("libkeys")
            xml.endElement("system")
        xml.endElement("book")
    xml.endElement("books")
    xml.endElement("result")
    xml.endDocument()
    return out.getvalue().encode("utf-8")


def _answer(request: HttpRequest, state: CheckState, *, status: int = 200, error: str = "") -> HttpResponse:
    if respond.wants_xml(request):
        book_url = request.build_absolute_uri(reverse("federation:where")) + "?isbn={isbn}"
        response = respond.xml(xml_body(state, book_url=book_url))
    else:
        body = payload(state)
        if error:
            body["error"] = error
        response = respond.json_or_jsonp(request, body)
    if response.status_code == 200:
        response.status_code = status
    # The answer changes with every poll.
    response["Cache-Control"] = "no-store"
    return response


@require_GET
def check(request: HttpRequest) -> HttpResponse:
    session = request.GET.get("session", "").strip()
    if session:
        state = checks.poll(session)
        if state is None:
            gone = CheckState(session=session, books={})
            return _answer(request, gone, status=404, error="unknown or expired session: start a new check")
        return _answer(request, state)

    isbns = checks.split_list(request.GET.get("isbn", ""))
    systemids = checks.split_list(request.GET.get("systemid", ""))
    try:
        from .. import selectors  # the registry, read from the database

        session = checks.start(isbns, systemids, registry=selectors.registry())
    except checks.CheckRefused as refused:
        return HttpResponseBadRequest(str(refused), content_type="text/plain; charset=utf-8")
    waited_until = time.monotonic() + FIRST_WAIT_S
    state = checks.poll(session)
    while state is not None and state.running and time.monotonic() < waited_until:
        time.sleep(_POLL_S)
        state = checks.poll(session)
    if state is None:  # the cache lost it within half a second: nothing sensible to poll
        return HttpResponse("the check's session could not be stored", status=503)
    return _answer(request, state)
