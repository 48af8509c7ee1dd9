"""`GET /calil/check` over real HTTP with the real engine: this toshokan's own branches (two local
systems over the catalogue's real copies) and three other toshokans on loopback — quick, slow, and
answering HTTP 500 — polled with Calil's `session` until `continue` is 0.

pycalil (PyPI), a real Calil client, is pointed at the live server without changing its code: it
calls `https://api.calil.jp/check` through `requests`, so the test rewrites that origin in requests'
transport adapter, as a DNS entry or a proxy would. pycalil does not poll (it makes one call), so the
polling that follows its first answer uses Calil's `session` parameter with plain requests.
"""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
import requests
from lxml import etree
from pycalil import Pycalil

from toshokan.federation.domain.availability import BranchStatus

from .stubs import (
    EXPECTED,
    KOKORO,
    NOWHERE,
    SANSHIRO,
    load_registry,
    local_catalogue,
    local_systems,
    remote_libraries,
    remote_systems,
)

pytestmark = pytest.mark.django_db(transaction=True)

CALIL = "https://api.calil.jp"
SYSTEMS = ["Tokyo_Demo", "Tokyo_Kita", "Remote_Fast", "Remote_Slow", "Remote_Down"]


@pytest.fixture
def libraries():
    local_catalogue()
    with remote_libraries() as stubs:
        load_registry(local_systems() + remote_systems(stubs))
        yield stubs


@pytest.fixture
def calil_is_here(live_server, monkeypatch):
    """Every request `requests` sends to api.calil.jp goes to the live toshokan's /calil/ instead
    (Calil's base URL `https://api.calil.jp` becomes `http://<toshokan>/calil`)."""
    send = requests.adapters.HTTPAdapter.send

    def to_toshokan(self, request, **kwargs):
        if request.url.startswith(CALIL):
            request.url = live_server.url + "/calil" + request.url[len(CALIL) :]
        return send(self, request, **kwargs)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "send", to_toshokan)
    return live_server.url


def poll_until_done(
    base: str, first: dict[str, Any], *, every_s: float = 0.5, limit_s: float = 20
) -> list[dict[str, Any]]:
    answers = [first]
    ends = time.monotonic() + limit_s
    while answers[-1]["continue"] == 1:
        assert time.monotonic() < ends, "the check never finished"
        time.sleep(every_s)
        r = requests.get(
            f"{base}/calil/check", params={"session": first["session"], "callback": "no"}, timeout=10
        )
        assert r.status_code == 200
        answers.append(r.json())
    return answers


def statuses(body: dict[str, Any]) -> dict[str, Any]:
    return {
        isbn: {sid: (s["status"], s["libkey"]) for sid, s in systems.items()}
        for isbn, systems in body["books"].items()
    }


def test_pycalil_checks_several_isbns_across_several_systems_and_polling_ends_with_every_answer(
    libraries, calil_is_here
):
    first = Pycalil("no-appkey-needed").check([KOKORO, SANSHIRO, NOWHERE], SYSTEMS)
    assert set(first) == {"session", "continue", "books"}
    assert first["continue"] == 1, "the slow library cannot have answered within the first call"
    assert first["books"][SANSHIRO]["Remote_Slow"] == {"status": "Running", "reserveurl": "", "libkey": {}}
    # This toshokan's own shelves come back in the first answer.
    assert first["books"][KOKORO]["Tokyo_Demo"]["status"] == "OK"
    assert first["books"][KOKORO]["Tokyo_Demo"]["libkey"] == {"中央": "貸出可", "北": "貸出中"}

    answers = poll_until_done(calil_is_here, first)
    final = answers[-1]
    assert final["session"] == first["session"]
    assert statuses(final) == EXPECTED
    # The fast library was in before the slow one: some poll showed it while the slow one ran.
    assert any(
        a["books"][KOKORO]["Remote_Fast"]["status"] == "OK"
        and a["books"][SANSHIRO]["Remote_Slow"]["status"] == "Running"
        for a in answers
    )
    # reserveurl: the remote's own link where it holds the book, the record page for local copies.
    assert (
        final["books"][SANSHIRO]["Remote_Slow"]["reserveurl"]
        == f"{libraries['Remote_Slow'].url}/reserve/{SANSHIRO}"
    )
    assert re.search(r"/records/\d+$", final["books"][KOKORO]["Tokyo_Demo"]["reserveurl"])
    assert {s for per in final["books"].values() for s in per.values() for s in s["libkey"].values()} <= {
        b.value for b in BranchStatus
    }


def test_a_repeated_check_is_answered_from_the_cache(libraries, calil_is_here):
    first = Pycalil("k").check([KOKORO], ["Tokyo_Demo", "Remote_Fast"])
    poll_until_done(calil_is_here, first)
    again = Pycalil("k").check([KOKORO], ["Remote_Fast", "Tokyo_Demo"])
    assert again["session"] != first["session"]
    again = poll_until_done(calil_is_here, again)[-1]
    assert again["books"][KOKORO]["Remote_Fast"] == {
        "status": "Cache",
        "reserveurl": f"{libraries['Remote_Fast'].url}/reserve/{KOKORO}",
        "libkey": {"駅前": "貸出可"},
    }
    assert len(libraries["Remote_Fast"].requests) == 1


def test_jsonp_is_the_default_and_xml_has_calils_elements(libraries, live_server):
    r = requests.get(
        f"{live_server.url}/calil/check", params={"isbn": KOKORO, "systemid": "Tokyo_Demo"}, timeout=10
    )
    assert r.headers["Content-Type"].startswith("text/javascript")
    match = re.fullmatch(r"callback\((.*)\);", r.text, re.S)
    assert match, r.text[:80]
    body = json.loads(match.group(1))
    assert body["books"][KOKORO]["Tokyo_Demo"]["libkey"] == {"中央": "貸出可", "北": "貸出中"}

    r = requests.get(
        f"{live_server.url}/calil/check",
        params={"session": body["session"], "format": "xml", "callback": "ignored"},
        timeout=10,
    )
    assert r.headers["Content-Type"].startswith("application/xml")
    root = etree.fromstring(r.content)
    assert root.tag == "result"
    assert root.findtext("session") == body["session"] and root.findtext("continue") == "0"
    system = root.find(f"books/book[@isbn='{KOKORO}']/system[@systemid='Tokyo_Demo']")
    assert system is not None and system.findtext("status") == "OK"
    assert {e.get("name"): e.text for e in system.findall("libkeys/libkey")} == {
        "中央": "貸出可",
        "北": "貸出中",
    }
    book = root.find(f"books/book[@isbn='{KOKORO}']")
    assert book is not None and str(book.get("calilurl")).endswith(f"isbn={KOKORO}")


def test_a_named_jsonp_callback_wraps_the_answer_and_a_dangerous_one_is_refused(libraries, live_server):
    r = requests.get(
        f"{live_server.url}/calil/check",
        params={"isbn": KOKORO, "systemid": "Tokyo_Demo", "callback": "jQuery123_456"},
        timeout=10,
    )
    assert r.text.startswith("jQuery123_456({") and r.text.endswith("});")
    r = requests.get(
        f"{live_server.url}/calil/check",
        params={"isbn": KOKORO, "systemid": "Tokyo_Demo", "callback": "alert(1)//"},
        timeout=10,
    )
    assert r.status_code == 400
    r = requests.get(
        f"{live_server.url}/calil/check",
        params={"isbn": KOKORO, "systemid": "Tokyo_Demo", "callback": "jQuery1\n"},
        timeout=10,
    )
    assert r.status_code == 400, "an identifier and nothing after it"


def test_an_unknown_systemid_answers_error_and_the_others_still_answer(libraries, live_server):
    r = requests.get(
        f"{live_server.url}/calil/check",
        params={"isbn": KOKORO, "systemid": "Tokyo_Demo,No_Such_Library", "callback": "no"},
        timeout=10,
    )
    body = poll_until_done(live_server.url, r.json())[-1]
    assert body["books"][KOKORO]["No_Such_Library"] == {"status": "Error", "reserveurl": "", "libkey": {}}
    assert body["books"][KOKORO]["Tokyo_Demo"]["status"] == "OK"


def test_an_unknown_session_is_a_404_that_stops_polling_and_says_why(libraries, live_server):
    r = requests.get(
        f"{live_server.url}/calil/check", params={"session": "nope", "callback": "no"}, timeout=10
    )
    assert r.status_code == 404
    assert r.json() == {
        "session": "nope",
        "books": {},
        "continue": 0,
        "error": "unknown or expired session: start a new check",
    }


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"systemid": "Tokyo_Demo"}, "isbn is required"),
        ({"isbn": KOKORO}, "systemid is required"),
        ({"isbn": "978400310111X", "systemid": "Tokyo_Demo"}, "is not an ISBN"),
        ({"isbn": KOKORO, "systemid": "Tokyo_Demo", "format": "csv"}, "format must be json or xml"),
    ],
)
def test_a_refused_check_is_a_400_with_the_reason_in_the_format_asked_for(
    libraries, live_server, params, message
):
    r = requests.get(f"{live_server.url}/calil/check", params={**params, "callback": "no"}, timeout=10)
    assert r.status_code == 400
    assert message in r.json()["error"]
    if "format" not in params:
        r = requests.get(f"{live_server.url}/calil/check", params={**params, "format": "xml"}, timeout=10)
        assert r.status_code == 400
        root = etree.fromstring(r.content)
        assert root.tag == "Error" and message in str(root.text)


def test_too_many_isbns_are_refused_before_any_library_is_asked(libraries, live_server):
    isbns = ",".join(f"97840031011{i:02d}" for i in range(51))
    r = requests.get(
        f"{live_server.url}/calil/check",
        params={"isbn": isbns, "systemid": "Remote_Fast", "callback": "no"},
        timeout=10,
    )
    assert r.status_code == 400 and "too many ISBNs" in r.json()["error"]
    assert libraries["Remote_Fast"].requests == []


def test_when_appkeys_are_configured_only_those_may_check(libraries, live_server, settings):
    settings.TOSHOKAN_CALIL_APPKEYS = ["library-page-key"]
    params = {"isbn": KOKORO, "systemid": "Tokyo_Demo", "callback": "no"}
    r = requests.get(f"{live_server.url}/calil/check", params={**params, "appkey": "guess"}, timeout=10)
    assert r.status_code == 403 and "appkey" in r.json()["error"]
    r = requests.get(
        f"{live_server.url}/calil/check", params={**params, "appkey": "library-page-key"}, timeout=10
    )
    assert r.status_code == 200 and r.json()["books"][KOKORO]["Tokyo_Demo"]["status"] == "OK"


def test_this_librarys_own_reserveurl_is_absolute_for_a_client_on_another_site(
    libraries, live_server, settings
):
    settings.TOSHOKAN_PUBLIC_URL = ""  # the record page's path is all the local connector knows
    params = {"isbn": KOKORO, "systemid": "Tokyo_Demo"}
    r = requests.get(f"{live_server.url}/calil/check", params={**params, "callback": "no"}, timeout=10)
    url = r.json()["books"][KOKORO]["Tokyo_Demo"]["reserveurl"]
    assert url.startswith(f"{live_server.url}/records/"), url
    r = requests.get(f"{live_server.url}/calil/check", params={**params, "format": "xml"}, timeout=10)
    assert etree.fromstring(r.content).findtext("books/book/system/reserveurl") == url


def test_characters_xml_cannot_carry_in_a_request_do_not_break_the_xml_answer(libraries, live_server):
    r = requests.get(
        f"{live_server.url}/calil/check",
        params={"isbn": KOKORO, "systemid": "Tokyo_Demo,No\x01Such", "format": "xml"},
        timeout=10,
    )
    assert r.status_code == 200
    systems = etree.fromstring(r.content).findall("books/book/system")
    assert [s.get("systemid") for s in systems] == ["Tokyo_Demo", "No\ufffdSuch"]
    r = requests.get(
        f"{live_server.url}/calil/check", params={"session": "a\x01b", "format": "xml"}, timeout=10
    )
    assert r.status_code == 404 and etree.fromstring(r.content).findtext("continue") == "0"
