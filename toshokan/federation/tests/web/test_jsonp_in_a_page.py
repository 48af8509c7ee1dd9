"""Calil's API as a library's web page uses it: JSONP through a <script> element, in a real browser.

A browser runs a script only from a 2xx answer, so a refused request and an expired session must
still reach the page's callback — with the `error`, and `continue: 0` so that its polling stops.
"""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def run_jsonp(page: Page, src: str) -> list[dict[str, object]]:
    page.set_content(
        "<script>window.got = []; function take(x) { window.got.push(x); }</script>"
        f"<script src={json.dumps(src)}></script>"
    )
    page.wait_for_load_state("load")
    got: list[dict[str, object]] = page.evaluate("window.got")
    return got


def test_an_expired_session_reaches_the_pages_callback_and_stops_its_polling(page, url):
    got = run_jsonp(page, url("/calil/check?session=expired-session-0123456789&callback=take"))
    assert got == [
        {
            "session": "expired-session-0123456789",
            "books": {},
            "continue": 0,
            "error": "unknown or expired session: start a new check",
        }
    ]


def test_a_refused_request_tells_the_pages_callback_why(page, url):
    (check,) = run_jsonp(page, url("/calil/check?isbn=978400310111X&systemid=X&callback=take"))
    assert "is not an ISBN" in str(check["error"])
    (library,) = run_jsonp(page, url("/calil/library?geocode=x&callback=take"))
    assert "geocode" in str(library["error"])
