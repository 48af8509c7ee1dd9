"""The item page's viewer in chromium: OpenSeadragon opens the item's images through the IIIF Image API,
tiles load, and the page keeps to the content security policy."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from toshokan.archive import services
from toshokan.portal.tests.web.conftest import DESKTOP, browser, chromium  # noqa: F401

from ..conftest import make_item
from ..images import jpeg

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:  # noqa: F811 (the fixture imported above)
    context = browser.new_context(locale="ja-JP", viewport=DESKTOP)  # type: ignore[arg-type]
    context.set_default_timeout(20_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def test_the_viewer_opens_the_pages_through_the_image_api(page, live_server):
    item = make_item("scroll", title="絵巻", kind="picture")
    for n in range(2):
        services.ingest_image(item=item, stream=io.BytesIO(jpeg(2400, 1600)), name=f"p{n}.jpg")
    problems: list[str] = []
    tiles: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("response", lambda r: tiles.append(r.url) if "/iiif/3/" in r.url and r.status == 200 else None)
    page.goto(live_server.url + "/archive/items/scroll")
    viewer = page.locator("#archive-viewer")
    expect(viewer).to_be_visible()
    expect(viewer).to_have_attribute("data-ready", "1")
    expect(page.locator("#archive-viewer canvas").first).to_be_visible()
    page.wait_for_function(
        "() => performance.getEntriesByType('resource').some(e => e.name.endsWith('default.jpg'))"
    )
    assert any(url.endswith("/info.json") for url in tiles)
    assert any(url.endswith("/default.jpg") for url in tiles)
    assert not problems, problems
    page.screenshot(path=str(live_server_screenshot_path()))


def live_server_screenshot_path():
    from django.conf import settings

    out = settings.BASE_DIR / "var" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    return out / "archive-viewer.png"
