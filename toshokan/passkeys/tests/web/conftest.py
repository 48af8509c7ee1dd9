"""Browser fixtures for passkeys: the portal's chromium, live server and pages, plus virtual
authenticators attached through the DevTools protocol (CDP WebAuthn domain), as Chrome's own
WebAuthn tests use them.

The live server answers on http://localhost:<port>: a secure context for WebAuthn, and with no
TOSHOKAN_WEBAUTHN setting the RP ID is "localhost", taken from the request's host."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Browser, CDPSession, Page

from toshokan.portal.tests.web.conftest import (  # noqa: F401  (fixtures used by the tests)
    DESKTOP,
    _context,
    browser,
    chromium,
    page,
    url,
)


@dataclass
class VirtualAuthenticator:
    """A platform authenticator (ctap2, internal transport, resident keys) in one browser page."""

    cdp: CDPSession
    id: str

    def credentials(self) -> list[dict[str, Any]]:
        return list(self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.id})["credentials"])

    def set_user_verified(self, verified: bool) -> None:
        self.cdp.send("WebAuthn.setUserVerified", {"authenticatorId": self.id, "isUserVerified": verified})

    def remove(self) -> None:
        self.cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": self.id})


def add_authenticator(
    target: Page, *, has_user_verification: bool = True, is_user_verified: bool = True
) -> VirtualAuthenticator:
    cdp = target.context.new_cdp_session(target)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    added = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "ctap2Version": "ctap2_1",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": has_user_verification,
                "isUserVerified": is_user_verified,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return VirtualAuthenticator(cdp=cdp, id=added["authenticatorId"])


@pytest.fixture
def other_device(browser: Browser) -> Iterator[Page]:  # noqa: F811
    """A second browser (another phone or computer): its own cookies, its own authenticator."""
    with _context(browser, viewport=DESKTOP) as context:
        yield context.new_page()
