"""Staff sign-in in Debian's chromium: the first sign-in enrols an authenticator from the QR code
on the screen, and a desk left alone is warned before its session ends (static JavaScript only)."""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from playwright.sync_api import Page, expect

from toshokan.catalog.tests import factories
from toshokan.staff.testing import enrol, totp_code

from ..conftest import PASSWORD, make_staff

pytestmark = pytest.mark.browser


def read_qr(png: bytes) -> str:
    try:
        from PIL import Image
        from pyzbar import pyzbar
    except (ImportError, OSError) as exc:  # pyzbar loads libzbar0 when imported
        pytest.skip(f"zbar is missing ({exc}): apt-get install libzbar0; pip install pyzbar pillow")
    found = pyzbar.decode(Image.open(io.BytesIO(png)))
    assert len(found) == 1
    return found[0].data.decode()


@pytest.fixture
def desk(transactional_db):
    factories.branch("central", "中央図書館", 0)
    return make_staff("desk1", "desk")


def type_password(page: Page, url) -> None:
    page.goto(url("/desk/login?next=/desk/checkout"))
    page.get_by_label("ユーザー名").fill("desk1")
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="次へ").click()


def test_the_first_sign_in_enrols_the_authenticator_shown_as_a_qr_code(page: Page, url, desk):
    type_password(page, url)
    expect(page.get_by_role("heading", name="認証アプリの登録")).to_be_visible()
    uri = read_qr(page.locator(".staff-qr-box").screenshot())
    assert uri.startswith("otpauth://totp/toshokan:desk1?")
    secret = parse_qs(urlsplit(uri).query)["secret"][0]
    assert page.locator(".staff-secret").inner_text().replace(" ", "") == secret
    page.get_by_label("確認コード").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="登録").click()
    expect(page.get_by_role("heading", name="回復コード")).to_be_visible()
    expect(page.locator(".staff-recovery-codes li")).to_have_count(10)
    page.get_by_role("link", name="続ける").click()
    page.wait_for_url(url("/desk/checkout"))
    expect(page.locator("#card")).to_be_visible()


def test_an_idle_desk_is_warned_and_can_continue(page: Page, url, desk, settings):
    settings.TOSHOKAN_STAFF = {"IDLE_TIMEOUT_S": 8, "IDLE_WARNING_S": 6}
    secret = enrol(desk)
    type_password(page, url)
    page.get_by_label("認証アプリの6桁のコード、または回復コード").fill(totp_code(secret))
    page.get_by_role("button", name="確認").click()
    page.wait_for_url(url("/desk/checkout"))
    warning = page.get_by_role("alertdialog")
    expect(warning).to_be_visible(timeout=8_000)
    expect(warning).to_contain_text("ログアウトします")
    warning.get_by_role("button", name="続ける").click()
    expect(warning).to_have_count(0)
    # Left alone again, the session ends and the page goes to the login.
    page.wait_for_url(lambda u: "/staff/login" in u or "/desk/login" in u, timeout=20_000)
    expect(page.get_by_label("ユーザー名")).to_be_visible()
