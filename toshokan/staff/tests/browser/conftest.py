"""The portal's Playwright fixtures: Debian's chromium against the live server."""

from toshokan.portal.tests.web.conftest import browser, chromium, page, url  # noqa: F401
