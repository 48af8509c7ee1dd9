"""The patron page "この本はどこで借りられる？ / Where can I borrow this now?".

Given a book's ISBN(s) and a place — the browser's position, or a prefecture and municipality from
the library registry — it lists the nearest libraries at once (the registry's geocodes, nearest
first), then the page's script asks `/calil/check` (plain JSON) and fills in each branch's status as
its system answers, polling the session as Calil's clients do. Each branch links to its system's
reservation page (`reserveurl`); for this toshokan's own branches the link is the record page's hold
form. The list works without the map, and without script: the place form is plain GET, and a link
starts the check on the server, the page then reloading itself with the session until it is done.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from toshokan.catalog import selectors as catalog_selectors

from . import checks, selectors
from .checks import CheckState
from .connectors import calil
from .domain import holdings
from .domain.availability import BranchStatus, SystemStatus
from .domain.registry import Connector
from .domain.registry_file import parse_geocode
from .selectors import Library

NEARBY = 20  # libraries listed for a place: enough to find one open nearby, few enough to read


@dataclass(frozen=True, slots=True)
class Place:
    label: str
    geocode: tuple[float, float] | None  # (longitude, latitude)
    pref: str = ""
    city: str = ""


def _centre(libraries: list[Library]) -> tuple[float, float] | None:
    points = [lib.geocode for lib in libraries if lib.geocode]
    if not points:
        return None
    return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)


# A badge's look per status; where.js is given the same table and holdings.RANK's order.
CSS = {
    BranchStatus.AVAILABLE: "available",
    BranchStatus.HELD: "held",
    BranchStatus.LIBRARY_USE_ONLY: "reference",
    BranchStatus.ON_LOAN: "on-loan",
    BranchStatus.RESERVED: "on-loan",
    BranchStatus.PREPARING: "processing",
    BranchStatus.CLOSED: "closed",
    BranchStatus.NOT_HELD: "none",
}


def library_state(state: CheckState, isbns: list[str], lib: Library) -> dict[str, str]:
    """One library's line from a check's answers so far: running, error, or its best status and
    where to reserve (the page's script computes the same from `/calil/check`)."""
    running, statuses, reserve = False, [], ""
    for isbn in isbns:
        answer = state.books.get(isbn, {}).get(lib.systemid)
        if answer is None or answer.status is SystemStatus.RUNNING:
            running = True
            continue
        if answer.status is SystemStatus.ERROR:
            continue
        status = answer.libkeys.get(lib.libkey, BranchStatus.NOT_HELD)
        statuses.append(status)
        if status is not BranchStatus.NOT_HELD and answer.reserveurl and not reserve:
            reserve = answer.reserveurl
    if statuses:
        # With several ISBNs (editions) a branch shows the most useful, as for several copies.
        best = holdings.best(statuses) or BranchStatus.NOT_HELD
        return {"state": "answered", "status": best.value, "css": CSS[best], "reserve": reserve}
    return {
        "state": "running" if running else "error",
        "status": "",
        "css": "running" if running else "error",
    }


def _places() -> dict[str, list[str]]:
    """Prefectures and their municipalities, from the registry (what the place picker offers)."""
    places: dict[str, set[str]] = {}
    for system in selectors.registry().systems:
        if system.pref:
            cities = places.setdefault(system.pref, set())
            cities.update(c for c in [system.city, *(b.city for b in system.branches)] if c)
    return {pref: sorted(cities) for pref, cities in sorted(places.items())}


def _isbns(request: HttpRequest) -> tuple[list[str], str]:
    given: list[str] = []
    for value in request.GET.getlist("isbn"):
        given.extend(checks.split_list(value))
    as_13, wrong = checks.isbn13s(given)
    if wrong:
        first = next(iter(wrong))
        return [], _("「%(isbn)s」はISBNではありません。10桁か13桁の番号を入れてください。") % {"isbn": first}
    normal = list(dict.fromkeys(as_13.values()))
    limit = checks.limits().max_isbns
    if len(normal) > limit:
        return [], _("ISBNは一度に%(n)d件までです。") % {"n": limit}
    return normal, ""


def _with_check(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("session", None)
    query["check"] = "1"
    return query.urlencode()


def _place(request: HttpRequest) -> tuple[Place | None, str, list[Library]]:
    """The place asked about, why it cannot be used (if so), and the libraries nearest it."""
    pref = request.GET.get("pref", "").strip()
    city = request.GET.get("city", "").strip()
    geocode = None
    if request.GET.get("geocode", "").strip():
        try:
            geocode = parse_geocode(request.GET["geocode"].strip())
        except ValueError:
            return None, _("位置は「経度,緯度」の形で指定してください。"), []
    if geocode is not None:
        return (
            Place(label=_("現在地"), geocode=geocode),
            "",
            selectors.libraries(geocode=geocode, limit=NEARBY),
        )
    if not (pref or city):
        return None, "", []
    in_place = selectors.libraries(pref=pref or None, city=city or None)
    if not in_place:
        return None, _("「%(place)s」の図書館は登録されていません。") % {"place": f"{pref}{city}"}, []
    # Nearest first from the municipality's centre: its own libraries, then its neighbours'.
    place = Place(label=f"{pref}{city}", geocode=_centre(in_place), pref=pref, city=city)
    if place.geocode is None:
        return place, "", in_place[:NEARBY]
    return place, "", selectors.libraries(geocode=place.geocode, limit=NEARBY)


def _online(lib: Library) -> bool:
    """Whether this library's system can be asked from here at all: a calil system needs toshokan's
    own Calil appkey. The others are listed as not checked online — a plain fact, not a failure."""
    return lib.connector != Connector.CALIL or calil.configured()


def where(request: HttpRequest) -> HttpResponse:
    isbns, isbn_error = _isbns(request)
    places = _places()
    pref = request.GET.get("pref", "").strip()
    city = request.GET.get("city", "").strip()
    place, place_error, libraries = _place(request)

    # Without script: 「貸出状況を表示する」 starts the check here and the page reloads itself (a
    # <noscript> refresh) with the session until every library has answered.
    online = {lib.libid: _online(lib) for lib in libraries}
    if isbns and any(online.values()) and request.GET.get("check") == "1":
        session = checks.start(
            isbns,
            sorted({lib.systemid for lib in libraries if online[lib.libid]}),
            registry=selectors.registry(),
        )
        query = request.GET.copy()
        query.pop("check")
        query["session"] = session
        return HttpResponseRedirect(f"{reverse('federation:where')}?{query.urlencode()}")
    state = None
    session = request.GET.get("session", "").strip()
    if session and isbns and libraries:
        state = checks.poll(session)

    title = ""
    hold_url = ""
    if isbns:
        records = catalog_selectors.records_by_identifier("isbn", isbns[0])
        record = records.first()
        if record is not None:
            title = record.title
            hold_url = reverse("portal:record", args=[record.pk]) + "#hold"

    rows = [
        {
            "id": f"lib-{lib.libid}",
            "systemid": lib.systemid,
            "systemname": lib.systemname,
            "libkey": lib.libkey,
            "name": lib.formal,
            "address": lib.address,
            "url": lib.url,
            "distance": f"{lib.distance_km:.1f}" if lib.distance_km is not None else "",
            "local": lib.connector == Connector.LOCAL,
            "online": online[lib.libid],
            "state": library_state(state, isbns, lib) if state is not None and online[lib.libid] else None,
        }
        for lib in libraries
    ]
    tiles = getattr(settings, "TOSHOKAN_MAP_TILES", {}) or {}
    client = {
        "isbns": isbns,
        "checkUrl": reverse("federation:calil-check"),
        "session": session if state is not None else "",
        "holdUrl": hold_url,
        "pollMs": 1500,
        "rank": [status.value for status in (*holdings.RANK, BranchStatus.NOT_HELD)],
        "css": {status.value: css for status, css in CSS.items()},
        "origin": place.geocode if place else None,
        "tiles": {"url": str(tiles.get("URL", "")), "attribution": str(tiles.get("ATTRIBUTION", ""))},
        "libraries": [
            {
                "id": f"lib-{lib.libid}",
                "systemid": lib.systemid,
                "libkey": lib.libkey,
                "name": lib.formal,
                "local": lib.connector == Connector.LOCAL,
                "online": online[lib.libid],
                "lon": lib.geocode[0] if lib.geocode else None,
                "lat": lib.geocode[1] if lib.geocode else None,
            }
            for lib in libraries
        ],
        "labels": {
            "running": _("確認中…"),
            "error": _("確認できませんでした"),
            "offline": _("オンラインでは確認できません"),
            "notHeld": _("蔵書なし"),
            "reserve": _("この図書館のサイトで予約する"),
            "hold": _("この図書館で予約する"),
            "progress": _("%(done)d / %(all)d 館の結果が届きました"),
            "done": _("すべての図書館の結果が届きました"),
            "failed": _("貸出状況を確認できませんでした。しばらくしてからもう一度お試しください。"),
            "here": _("選んだ場所"),
            "statuses": {
                "貸出可": _("貸出可"),
                "蔵書あり": _("蔵書あり"),
                "館内のみ": _("館内のみ"),
                "貸出中": _("貸出中"),
                "予約中": _("予約中"),
                "準備中": _("準備中"),
                "休館中": _("休館中"),
                "蔵書なし": _("蔵書なし"),
            },
        },
    }
    attributions = sorted({lib.attribution for lib in libraries if lib.attribution})
    return render(
        request,
        "federation/where.html",
        {
            "isbns": isbns,
            "isbn_text": ", ".join(isbns) or request.GET.get("isbn", ""),
            "isbn_error": isbn_error,
            "title": title,
            "place": place,
            "place_error": place_error,
            "places": places,
            "pref": pref,
            "city": city,
            "rows": rows,
            "any_online": any(online.values()),
            "client": client,
            "attributions": attributions,
            "hold_url": hold_url,
            "session": session if state is not None else "",
            "refresh": state is not None and state.running,
            "no_script_check": f"{reverse('federation:where')}?{_with_check(request)}",
        },
    )
