"""`GET /calil/check`: live availability of ISBNs across library systems, as Calil's API gives it.

Calil's API reference (https://calil.jp/doc/api_ref.html, "蔵書検索 API"): the first call names
`isbn` and `systemid` (comma-separated) and answers at once with a `session` and `continue`; while
`continue` is 1 the client calls again with `session=…` (Calil asks for at least two seconds between
calls) and each system's `status` moves from Running to OK, Cache or Error. Per ISBN and systemid:
`status`, `reserveurl` and `libkey` — each branch's status by its libkey.

The first call waits up to `FIRST_WAIT_S` before answering, so cached answers come back in one round
trip, and for this toshokan's own systems (a database read) up to `LOCAL_WAIT_S`, so a library's own
shelves are in the first answer even on a busy server. An unknown or expired session answers 404 with the same
shape (no books, `continue` 0, so a polling client stops) and an `error` saying why. A refused
request (no isbn or systemid, a malformed ISBN, over a limit, a bad `format`) is a 400 — 403 for an
appkey not in settings.TOSHOKAN_CALIL_APPKEYS when that lists any — with the reason in the format
asked for, as `/calil/library` answers.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET
from lxml import etree

from .. import checks, selectors
from ..checks import CheckState
from ..domain.availability import SystemStatus
from ..domain.registry import Connector, Registry
from . import respond

FIRST_WAIT_S = 0.5  # for remote systems and cached answers
LOCAL_WAIT_S = 3.0  # for this toshokan's own systems: a database read, worth one round trip less
_POLL_S = 0.05


def _still_running(state: CheckState, systemids: set[str]) -> bool:
    return any(
        answer.status is SystemStatus.RUNNING
        for systems in state.books.values()
        for systemid, answer in systems.items()
        if systemid in systemids
    )


def payload(state: CheckState, *, absolute: Callable[[str], str] = str) -> dict[str, object]:
    """Calil's JSON shape for a check session's state; `absolute` makes a reserveurl absolute."""
    return {
        "session": state.session,
        "books": {
            isbn: {
                systemid: {
                    "status": answer.status.value,
                    "reserveurl": _reserveurl(answer.reserveurl, absolute),
                    "libkey": {libkey: status.value for libkey, status in answer.libkeys.items()},
                }
                for systemid, answer in systems.items()
            }
            for isbn, systems in state.books.items()
        },
        "continue": 1 if state.running else 0,
    }


def _reserveurl(url: str, absolute: Callable[[str], str]) -> str:
    # This toshokan's own record pages are site paths when TOSHOKAN_PUBLIC_URL is unset; a Calil
    # client runs on another site, where a path would lead nowhere.
    return absolute(url) if url.startswith("/") and not url.startswith("//") else url


def xml_body(
    state: CheckState, *, book_url: str = "", absolute: Callable[[str], str] = str
) -> etree._Element:
    """Calil's XML shape: <result><session/><continue/><books><book isbn calilurl><system systemid>…"""
    text = respond.text
    root = etree.Element("result")
    etree.SubElement(root, "session").text = text(state.session)
    etree.SubElement(root, "continue").text = "1" if state.running else "0"
    books = etree.SubElement(root, "books")
    for isbn, systems in state.books.items():
        book = etree.SubElement(
            books, "book", isbn=text(isbn), calilurl=text(book_url.replace("{isbn}", isbn))
        )
        for systemid, answer in systems.items():
            system = etree.SubElement(book, "system", systemid=text(systemid))
            etree.SubElement(system, "status").text = answer.status.value
            etree.SubElement(system, "reserveurl").text = text(_reserveurl(answer.reserveurl, absolute))
            libkeys = etree.SubElement(system, "libkeys")
            for libkey, status in answer.libkeys.items():
                etree.SubElement(libkeys, "libkey", name=text(libkey)).text = status.value
    return root


def _answer(request: HttpRequest, state: CheckState, *, status: int = 200, error: str = "") -> HttpResponse:
    absolute = request.build_absolute_uri
    if respond.wants_xml(request):
        book_url = absolute(reverse("federation:where")) + "?isbn={isbn}"
        response = respond.xml(xml_body(state, book_url=book_url, absolute=absolute), status)
    else:
        body = payload(state, absolute=absolute)
        if error:
            body["error"] = error
        response = respond.json_or_jsonp(request, body, status)
    # The answer changes with every poll.
    response["Cache-Control"] = "no-store"
    return response


# The view is async so that its short wait for the first answers sleeps on the event loop: under
# ASGI every synchronous view of a process shares one thread, and a sync sleep would hold them all.
# Cache reads (polls) run on worker threads; the registry and starting a check (which may enqueue
# tasks) touch the database, so they run on Django's database thread.
_poll = sync_to_async(checks.poll, thread_sensitive=False)


def _registry_and_start(isbns: list[str], systemids: list[str]) -> tuple[Registry, str]:
    registry = selectors.registry()
    return registry, checks.start(isbns, systemids, registry=registry)


@require_GET
async def check(request: HttpRequest) -> HttpResponse:
    try:
        respond.check_appkey(request)
        respond.check_format(request)
    except respond.BadRequest as refused:
        return respond.error(request, str(refused), refused.status)

    session = request.GET.get("session", "").strip()
    if session:
        state = await _poll(session)
        if state is None:
            gone = CheckState(session=session, books={})
            return _answer(request, gone, status=404, error="unknown or expired session: start a new check")
        return _answer(request, state)

    isbns = checks.split_list(request.GET.get("isbn", ""))
    systemids = checks.split_list(request.GET.get("systemid", ""))
    try:
        registry, session = await sync_to_async(_registry_and_start)(isbns, systemids)
    except checks.CheckRefused as refused:
        return respond.error(request, str(refused), 400)
    local = {s.systemid for s in registry.systems if s.connector is Connector.LOCAL} & set(systemids)
    started = time.monotonic()
    state = await _poll(session)
    while state is not None and state.running:
        waited = time.monotonic() - started
        if waited >= LOCAL_WAIT_S or (waited >= FIRST_WAIT_S and not _still_running(state, local)):
            break
        await asyncio.sleep(_POLL_S)
        state = await _poll(session)
    if state is None:  # the cache lost it at once: nothing a client could poll
        return respond.error(request, "the check's session could not be stored; try again", 503)
    return _answer(request, state)
