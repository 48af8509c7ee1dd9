"""The My Number card sign-up in Debian's chromium: the demo card plays the card reader's part."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from toshokan.catalog.tests import factories as catalog_factories
from toshokan.identity import trust
from toshokan.patrons.models import Patron
from toshokan.portal.tests.web.conftest import browser, chromium, page, url  # noqa: F401  (the shared fixtures)

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_library(settings: Any, tmp_path: Path, transactional_db: Any) -> Path:
    catalog_factories.branch("central")
    settings.DEBUG = True
    settings.TOSHOKAN_JPKI = {"DEMO": True}
    settings.TOSHOKAN_JPKI_DEMO_DIR = str(tmp_path / "jpki-demo")
    trust.forget_crls()
    return tmp_path


def qr_text(png: bytes) -> str:
    try:
        from PIL import Image
        from pyzbar import pyzbar
    except (ImportError, OSError) as exc:  # pyzbar loads libzbar0 when imported
        pytest.skip(f"zbar is missing ({exc}): apt-get install libzbar0; pip install pyzbar pillow")
    found = pyzbar.decode(Image.open(io.BytesIO(png)))
    assert found, "no QR code found on the screen"
    return str(found[0].data.decode())


def test_a_resident_signs_up_with_the_demo_card_and_gets_a_card_at_once(
    page: Page,  # noqa: F811
    url: Any,  # noqa: F811
    demo_library: Path,
) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url("/account/login"))
    page.get_by_role("link", name="マイナンバーカードで利用登録").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("マイナンバーカードで利用登録")
    nonce = page.locator("[data-nonce]").inner_text().strip()
    # The QR code carries the same challenge for a phone app, with where to send the answer.
    payload = json.loads(qr_text(page.locator(".jpki-challenge__qr").screenshot()))
    assert payload["nonce"] == nonce and payload["purpose"] == "register"
    assert payload["submit"].endswith("/api/v1/identity/jpki/registrations")

    bundle = demo_library / "bundle.json"
    call_command(
        "jpki_demo_card", f"--nonce={nonce}", "--card", "web1", "--name", "見本 花子", "--out", str(bundle)
    )
    page.get_by_label("署名済みファイル").set_input_files(str(bundle))
    page.get_by_label("メールアドレス（任意）").fill("hanako@example.jp")
    page.get_by_role("button", name="登録する").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("利用者カードを発行しました")
    patron = Patron.objects.get()
    number = " ".join(patron.card_number[i : i + 4] for i in range(0, len(patron.card_number), 4))
    expect(page.locator("[data-card-number]")).to_have_text(number)
    assert (patron.family_name, patron.given_name, patron.email) == ("見本", "花子", "hanako@example.jp")

    page.get_by_label("暗証番号", exact=True).fill("2580")
    page.get_by_label("暗証番号（確認）").fill("2580")
    page.get_by_role("button", name="暗証番号を設定").click()
    expect(page.get_by_role("status")).to_contain_text("暗証番号を設定しました")
    page.get_by_role("link", name="利用者カードを表示").click()
    expect(page.locator("[data-card-number]")).to_have_text(number)
    assert errors == []


def test_the_same_card_is_told_it_is_registered_and_logs_in_with_the_card(
    page: Page,  # noqa: F811
    url: Any,  # noqa: F811
    demo_library: Path,
) -> None:
    for _ in range(2):
        page.goto(url("/signup/mynumber"))
        nonce = page.locator("[data-nonce]").inner_text().strip()
        bundle = demo_library / "bundle.json"
        call_command("jpki_demo_card", f"--nonce={nonce}", "--card", "web2", "--out", str(bundle))
        page.get_by_label("署名済みファイル").set_input_files(str(bundle))
        page.get_by_role("button", name="登録する").click()
        page.context.clear_cookies()
    expect(page.get_by_role("heading", level=1)).to_have_text("すでに登録されています")
    assert Patron.objects.count() == 1

    page.get_by_role("link", name="マイナンバーカードでログイン").click()
    nonce = page.locator("[data-nonce]").inner_text().strip()
    bundle = demo_library / "login.json"
    call_command("jpki_demo_card", f"--nonce={nonce}", "--card", "web2", "--login", "--out", str(bundle))
    page.get_by_label("署名済みファイル").set_input_files(str(bundle))
    page.get_by_role("button", name="ログイン").click()
    expect(page).to_have_url(url("/account/"))
