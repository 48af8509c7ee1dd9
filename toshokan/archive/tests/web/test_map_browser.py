"""The archive map in chromium: a marker per placed item, a marker's click brings its card into view,
and nothing on the page breaks the content security policy or the accessibility check."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from toshokan.portal.tests.web.conftest import DESKTOP, axe_violations, browser, chromium  # noqa: F401

from ..conftest import make_item

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:  # noqa: F811 (the fixture imported above)
    context = browser.new_context(locale="ja-JP", viewport=DESKTOP)  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_markers_for_placed_items_and_a_click_shows_the_card(page, live_server):
    make_item(
        "shrine",
        title="八幡神社の祭礼",
        year_start=1955,
        place_name="八幡神社",
        latitude=35.6812,
        longitude=139.7671,
    )
    make_item(
        "school",
        title="旧尋常小学校の絵図",
        year_start=1885,
        place_name="本町",
        latitude=35.69,
        longitude=139.70,
    )
    make_item("letter", title="差出人不明の書簡")  # no place: not on the map
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    page.on(
        "response",
        lambda r: (
            problems.append(f"{r.status} {r.url}") if r.status >= 400 and "favicon" not in r.url else None
        ),
    )
    page.goto(live_server.url + "/archive/map")
    expect(page.locator("#archive-map")).to_be_visible()
    markers = page.locator("#archive-map path.leaflet-interactive")
    expect(markers).to_have_count(2)
    expect(page.locator("#archive-map.archive-map--plain")).to_have_count(1)  # no tile server configured
    markers.first.click()
    expect(page.locator(".archive-card:focus")).to_have_count(1)
    assert not problems, problems
    assert axe_violations(page) == []
