"""The Content Security Policy in a real browser: the main pages — search, a record, my library,
the digital card, the desk, where to borrow, sign-up, the API docs — run their scripts with no CSP
violation, and every request they make stays on this site (map tiles only when configured)."""

from __future__ import annotations

import base64
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Page, expect

from toshokan.circulation.tests.web.conftest import staff
from toshokan.federation.tests.calil_check.stubs import KOKORO, load_registry, local_catalogue, local_systems
from toshokan.patrons.tests import factories as patron_factories
from toshokan.staff.testing import sign_in

pytestmark = pytest.mark.browser

WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


class Watch:
    """Everything a page asked the network for, and every CSP complaint, while it is watched."""

    def __init__(self, page: Page, origin: str) -> None:
        self.page = page
        self.origin = origin
        self.requests: list[str] = []
        self.console: list[str] = []
        page.add_init_script(WATCH)
        page.on("request", lambda r: self.requests.append(r.url))
        page.on(
            "console",
            lambda m: self.console.append(m.text) if "Content Security Policy" in m.text else None,
        )

    def check(self, allowed_origins: tuple[str, ...] = ()) -> None:
        elsewhere = [
            u
            for u in self.requests
            if urlsplit(u).scheme in ("http", "https")
            and f"{urlsplit(u).scheme}://{urlsplit(u).netloc}" not in (self.origin, *allowed_origins)
        ]
        assert elsewhere == [], f"{self.page.url}: requests to other sites"
        assert self.page.evaluate("window.__cspViolations || []") == [], self.page.url
        assert self.console == [], self.page.url


def test_the_main_pages_run_under_the_csp_and_ask_nothing_of_other_sites(
    page: Page, url, catalogue, live_server
):
    watch = Watch(page, live_server.url)
    kokoro = catalogue.record("こころ")
    patron = patron_factories.patron("山田", given_name="花子")
    clerk = staff("desk1", "desk")

    for path in ("/", "/?q=こころ", f"/records/{kokoro.pk}", "/signup", "/api/v1/docs"):
        page.goto(url(path))
        page.wait_for_load_state("networkidle")
        watch.check()
    # The search page's scripts ran (htmx swaps results as one types).
    page.goto(url("/"))
    page.get_by_role("searchbox").first.fill("坊っちゃん")
    page.keyboard.press("Enter")
    expect(page.locator(".result__title").first).to_contain_text("坊っちゃん")
    watch.check()

    # My library, the digital card (its service worker), the hold form on a record page.
    page.goto(url("/account/login"))
    page.get_by_label("利用者番号").fill(patron.card_number)
    page.get_by_label("暗証番号").fill(patron_factories.PIN)
    page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("マイライブラリ")
    for path in ("/account/", "/account/card", "/account/settings", f"/records/{kokoro.pk}"):
        page.goto(url(path))
        page.wait_for_load_state("networkidle")
        watch.check()

    # Where to borrow: its own script and the map (no tile server configured here).
    page.goto(url("/where-to-borrow?isbn=9784003101118&pref=東京都&city=千代田区"))
    page.wait_for_load_state("networkidle")
    watch.check()

    # The desk, in a staff session signed in with its second factor (the sign-in pages themselves
    # are toshokan.staff's to test).
    desk = Client()
    sign_in(desk, clerk)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": desk.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    page.goto(url("/desk/checkout"))
    expect(page.locator("input[data-scan]")).to_be_focused()
    page.locator("input[data-scan]").fill(patron.card_number)
    page.keyboard.press("Enter")
    expect(page.locator("#checkout-area")).to_contain_text("山田")  # htmx swapped it in
    watch.check()
    for path in ("/desk/registrations", f"/desk/patrons/{patron.pk}", "/desk/return"):
        page.goto(url(path))
        page.wait_for_load_state("networkidle")
        watch.check()


def test_a_configured_map_tile_server_is_the_only_other_site_asked(
    page: Page, url, transactional_db, live_server
):
    local_catalogue()
    load_registry(local_systems())
    tiles = "https://tiles.invalid"
    watch = Watch(page, live_server.url)
    page.route(f"{tiles}/**", lambda route: route.fulfill(status=200, content_type="image/png", body=PNG))
    old = settings.TOSHOKAN_MAP_TILES
    settings.TOSHOKAN_MAP_TILES = {"URL": tiles + "/{z}/{x}/{y}.png", "ATTRIBUTION": "地図"}
    try:
        page.goto(url(f"/where-to-borrow?isbn={KOKORO}&pref=東京都&city=千代田区"))
        expect(page.locator("#where-map .leaflet-tile-loaded").first).to_be_attached()
    finally:
        settings.TOSHOKAN_MAP_TILES = old
    watch.check(allowed_origins=(tiles,))
    with pytest.raises(AssertionError, match="requests to other sites"):
        watch.check()  # the tiles are the only requests to another site, and only because allowed


PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
