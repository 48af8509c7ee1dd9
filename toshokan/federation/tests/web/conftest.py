"""Browser fixtures for federation's pages: the portal's chromium and browser (one per module), and
a page whose browser is "at" Tokyo Station with geolocation allowed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from toshokan.federation.tests.calil_check.conftest import federation_cache  # noqa: F401
from toshokan.portal.tests.web.conftest import DESKTOP, axe_violations, browser, chromium  # noqa: F401

TOKYO_STATION = {"latitude": 35.681, "longitude": 139.767}


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:  # noqa: F811 (the fixture imported above)
    context = browser.new_context(
        locale="ja-JP",
        viewport=DESKTOP,  # type: ignore[arg-type]
        geolocation=TOKYO_STATION,  # type: ignore[arg-type]
        permissions=["geolocation"],
    )
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def url(live_server) -> object:
    def make(path: str = "/") -> str:
        return live_server.url + path

    return make


__all__ = ["axe_violations"]
