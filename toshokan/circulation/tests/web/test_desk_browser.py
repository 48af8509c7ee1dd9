"""The desk in a real browser (Debian's chromium through Playwright): a barcode scanner is a
keyboard that types digits and Enter, so these tests only type — no clicks between scans."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from toshokan.circulation import services
from toshokan.circulation.models import Hold, Loan
from toshokan.patrons.domain.enums import BlockReason
from toshokan.patrons.services import add_block
from toshokan.portal.tests.web.conftest import axe_violations
from toshokan.staff.testing import enrol, totp_code

from .conftest import PASSWORD, Library, make_library, staff

pytestmark = pytest.mark.browser
DESK1_TOTP = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture
def lib(transactional_db) -> Library:
    enrol(staff("desk1", "desk"), DESK1_TOTP)
    return make_library()


def log_in(page: Page, url, path: str) -> None:
    page.goto(url(path))
    expect(page.locator("#id_username")).to_be_focused()
    page.keyboard.type("desk1")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    # The second factor: a code from the authenticator app (docs/staff-accounts.md).
    expect(page.locator("#id_code")).to_be_focused()
    page.keyboard.type(totp_code(DESK1_TOTP))
    page.keyboard.press("Enter")
    page.wait_for_url(url(path))
    # A scanner's keystrokes before the page has loaded are lost anywhere; the desk is ready when
    # its scan field has the focus.
    field = page.locator("input[data-scan]")
    if field.count():
        expect(field).to_be_focused()


def snap(page: Page, name: str) -> None:
    """With DESK_SCREENSHOTS=<folder> set, save what the page shows now (docs/desk.md's pictures)."""
    folder = os.environ.get("DESK_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def scan(page: Page, code: str) -> None:
    """What a USB barcode scanner does: type fast into whatever has the focus, then Enter."""
    page.keyboard.type(code, delay=4)
    page.keyboard.press("Enter")


def test_checkout_by_scanner_keystrokes_card_then_copies(page: Page, url, lib: Library):
    log_in(page, url, "/desk/checkout")
    expect(page.locator("#card")).to_be_focused()
    page.evaluate("window.sameDocument = true")
    scan(page, lib.patron.card_number)
    expect(page.locator("#patron-heading")).to_contain_text("山田 花子")
    expect(page.locator("#barcode")).to_be_focused()

    scan(page, lib.copies[0].barcode)
    rows = page.locator("#session-loans tbody tr")
    expect(rows).to_have_count(1)
    expect(page.locator("#barcode")).to_be_focused()
    scan(page, lib.copies[2].barcode)
    expect(rows).to_have_count(2)
    expect(page.locator("#barcode")).to_be_focused()
    expect(page.locator("#desk-status")).to_have_count(1)
    expect(page.locator("#desk-status")).to_contain_text("坊っちゃん を貸出しました")

    loans = {loan.holding.barcode: loan for loan in Loan.objects.select_related("holding")}
    assert set(loans) == {lib.copies[0].barcode, lib.copies[2].barcode}
    # Newest first, each with its due date.
    expect(rows.nth(0)).to_contain_text(lib.copies[2].barcode)
    expect(rows.nth(0)).to_contain_text(f"{loans[lib.copies[2].barcode].due_on:%Y-%m-%d}")
    expect(rows.nth(1)).to_contain_text(lib.copies[0].barcode)
    snap(page, "desk-checkout")
    assert axe_violations(page) == []
    # htmx swapped the checkout area in place: still the same document.
    assert page.evaluate("window.sameDocument") is True


def test_a_refusal_appears_inline_and_the_next_scan_still_works(page: Page, url, lib: Library):
    services.checkout(barcode=lib.copies[0].barcode, patron=lib.other, branch=lib.central)
    log_in(page, url, "/desk/checkout")
    scan(page, lib.patron.card_number)
    expect(page.locator("#barcode")).to_be_focused()
    scan(page, lib.copies[0].barcode)
    expect(page.get_by_role("alert")).to_contain_text("この資料は貸出中です")
    expect(page.locator("#barcode")).to_be_focused()
    snap(page, "desk-refusal")
    scan(page, lib.copies[1].barcode)
    expect(page.locator("#session-loans tbody tr")).to_have_count(1)
    expect(page.get_by_role("alert")).to_have_count(0)
    assert Loan.objects.filter(patron=lib.patron).count() == 1


def test_a_blocked_card_shows_why_before_any_copy_is_scanned(page: Page, url, lib: Library):
    add_block(patron=lib.patron, reason=BlockReason.LOST_CARD)
    log_in(page, url, "/desk/checkout")
    scan(page, lib.patron.card_number)
    expect(page.locator(".problems")).to_contain_text("貸出停止中です (カード紛失)")
    scan(page, lib.copies[0].barcode)
    expect(page.get_by_role("alert")).to_contain_text("貸出停止中です")
    assert not Loan.objects.exists()


def test_returns_by_scanner_show_where_each_copy_goes_and_the_hold_shelf_fills(page: Page, url, lib: Library):
    botchan_here, kokoro = lib.copies[2], lib.copies[0]
    services.checkout(barcode=botchan_here.barcode, patron=lib.other, branch=lib.central)
    services.checkout(barcode=lib.copies[3].barcode, patron=lib.other, branch=lib.kita)
    services.checkout(barcode=kokoro.barcode, patron=lib.other, branch=lib.central)
    services.place_hold(patron=lib.patron, record=lib.botchan, pickup_branch=lib.central)

    log_in(page, url, "/desk/return")
    expect(page.locator("#barcode")).to_be_focused()
    scan(page, botchan_here.barcode)
    results = page.locator("#scan-results > li")
    expect(results).to_have_count(1)
    expect(results.nth(0)).to_contain_text("予約棚へ")
    expect(results.nth(0).locator(".slip")).to_contain_text(lib.patron.card_number)
    expect(page.locator("#barcode")).to_be_focused()
    expect(page.locator("#barcode")).to_have_value("")

    scan(page, kokoro.barcode)
    expect(results).to_have_count(2)
    expect(results.nth(0)).to_contain_text("書架へ")
    expect(results.nth(1)).to_contain_text("予約棚へ")
    expect(page.locator("#barcode")).to_be_focused()

    scan(page, "0000")
    expect(results.nth(0)).to_contain_text("資料番号 0000 の資料はありません")
    snap(page, "desk-return")
    assert axe_violations(page) == []

    hold = Hold.objects.get()
    assert hold.state == "ready" and hold.assigned_id == botchan_here.pk
    page.get_by_role("link", name="予約処理").click()
    shelf = page.locator("#hold-shelf tbody tr")
    expect(shelf).to_have_count(1)
    expect(shelf.nth(0)).to_contain_text(lib.patron.card_number)
    expect(shelf.nth(0)).to_contain_text(botchan_here.barcode)
    expect(shelf.nth(0)).to_contain_text(f"{hold.pickup_by:%Y-%m-%d}")
    snap(page, "desk-holds")
    assert axe_violations(page) == []


def test_checkout_and_return_work_without_javascript(browser: Browser, url, lib: Library):
    context = browser.new_context(locale="ja-JP", java_script_enabled=False)
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        log_in(page, url, "/desk/checkout")
        scan(page, lib.patron.card_number)
        expect(page.locator("#patron-heading")).to_contain_text("山田 花子")
        expect(page.locator("#barcode")).to_be_focused()
        scan(page, lib.copies[0].barcode)
        expect(page.locator("#session-loans tbody tr")).to_have_count(1)
        expect(page.locator("#barcode")).to_be_focused()
        scan(page, lib.copies[2].barcode)
        expect(page.locator("#session-loans tbody tr")).to_have_count(2)
        page.goto(url("/desk/return"))
        expect(page.locator("#barcode")).to_be_focused()
        scan(page, lib.copies[0].barcode)
        expect(page.locator("#scan-results > li")).to_contain_text("書架へ")
        expect(page.locator("#barcode")).to_be_focused()
    finally:
        context.close()
    assert Loan.objects.filter(patron=lib.patron).count() == 1


def test_a_scan_made_while_the_focus_is_elsewhere_still_lands_in_the_scan_field(
    page: Page, url, lib: Library
):
    services.checkout(barcode=lib.copies[0].barcode, patron=lib.other, branch=lib.central)
    log_in(page, url, "/desk/return")
    page.locator("h1").click()  # someone clicked the page: the field lost the focus
    expect(page.locator("#barcode")).not_to_be_focused()
    scan(page, lib.copies[0].barcode)
    expect(page.locator("#scan-results > li")).to_have_count(1)
    expect(page.locator("#scan-results > li").nth(0)).to_contain_text("書架へ")
    expect(page.locator("#barcode")).to_be_focused()
    assert not Loan.objects.exists()


def test_scans_typed_faster_than_the_server_answers_are_all_handled_in_order(page: Page, url, lib: Library):
    log_in(page, url, "/desk/checkout")
    expect(page.locator("#card")).to_be_focused()
    # The card and three copies back to back, without waiting for any answer.
    for code in (lib.patron.card_number, lib.copies[0].barcode, lib.copies[2].barcode, lib.copies[1].barcode):
        scan(page, code)
    rows = page.locator("#session-loans tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text(lib.copies[1].barcode)
    expect(rows.nth(2)).to_contain_text(lib.copies[0].barcode)
    expect(page.locator("#barcode")).to_be_focused()
    assert Loan.objects.filter(patron=lib.patron).count() == 3

    page.get_by_role("link", name="返却").click()
    expect(page.locator("#barcode")).to_be_focused()
    for item in (lib.copies[0], lib.copies[2], lib.copies[1]):
        scan(page, item.barcode)
    results = page.locator("#scan-results > li")
    expect(results).to_have_count(3)
    expect(results.nth(0)).to_contain_text(lib.copies[1].barcode)
    expect(results.nth(2)).to_contain_text(lib.copies[0].barcode)
    assert not Loan.objects.exists()


def test_registering_a_patron_then_finding_them_by_card_and_placing_a_hold(page: Page, url, lib: Library):
    log_in(page, url, "/desk/patrons/new")
    assert axe_violations(page) == []
    page.get_by_label("姓").fill("新井")
    page.get_by_label("名", exact=True).fill("一郎")
    page.get_by_label("よみ (ひらがな)").fill("あらい いちろう")
    page.get_by_label("登録館").select_option("kita")
    page.get_by_label("暗証番号 (4〜8桁の数字)").fill("2580")
    page.get_by_role("button", name="登録する").click()
    card = page.locator(".new-card__number")
    expect(card).to_have_text(re.compile(r"^\d{13}$"))
    number = card.inner_text()
    assert axe_violations(page) == []

    page.get_by_role("link", name="利用者検索").click()
    expect(page.get_by_role("searchbox")).to_be_focused()
    page.keyboard.type(number)
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text("新井 一郎")
    page.get_by_label("資料番号または書誌ID").fill(lib.copies[0].barcode)
    page.get_by_label("受取館").select_option("kita")
    page.get_by_role("button", name="予約する").click()
    expect(page.get_by_role("status")).to_contain_text("予約しました: こころ")
    expect(page.locator("#holds-heading + table")).to_contain_text("1 番目")
    hold = Hold.objects.get()
    assert hold.patron.card_number == number and hold.pickup_branch.code == "kita"


def test_a_scan_the_server_never_got_is_reported_with_its_barcode(page: Page, url, lib: Library):
    log_in(page, url, "/desk/return")
    page.route(
        "**/desk/return", lambda route: route.abort() if route.request.method == "POST" else route.continue_()
    )
    scan(page, lib.copies[0].barcode)
    expect(page.get_by_role("alert")).to_contain_text(f"{lib.copies[0].barcode} 処理できませんでした")
    page.unroute("**/desk/return")
    scan(page, lib.copies[0].barcode)
    expect(page.locator("#scan-results > li")).to_have_count(1)
    expect(page.locator("#desk-network-error")).to_have_count(0)


def test_a_scan_after_the_session_ended_goes_to_the_login_page(page: Page, url, lib: Library):
    log_in(page, url, "/desk/checkout")
    # The session ends (the CSRF cookie stays, as it does when a session expires).
    kept = [c for c in page.context.cookies() if c["name"] != "sessionid"]
    page.context.clear_cookies()
    page.context.add_cookies(kept)  # type: ignore[arg-type]
    scan(page, lib.patron.card_number)
    page.wait_for_url(re.compile(r"/staff/login\?next=(/|%2F)desk(/|%2F)checkout$"))
    expect(page.locator("#id_username")).to_be_focused()


def test_the_checkout_receipt_prints_the_loans_and_due_dates_only(page: Page, url, lib: Library):
    log_in(page, url, "/desk/checkout")
    scan(page, lib.patron.card_number)
    expect(page.locator("#barcode")).to_be_focused()
    scan(page, lib.copies[0].barcode)
    expect(page.locator("#session-loans tbody tr")).to_have_count(1)
    page.evaluate("window.print = () => { window.printed = document.documentElement.className; }")
    page.get_by_role("button", name="レシートを印刷").click()
    assert page.evaluate("window.printed") == "printing-part"
    expect(page.locator("#barcode")).to_be_focused()  # back to scanning

    page.evaluate(
        "document.documentElement.classList.add('printing-part');"
        "document.getElementById('checkout-area').classList.add('is-printing')"
    )
    page.emulate_media(media="print")
    expect(page.locator(".desk-header")).to_be_hidden()
    expect(page.locator(".receipt-head")).to_be_visible()
    expect(page.locator(".receipt-head")).to_contain_text(lib.patron.card_number)
    expect(page.locator("#session-loans")).to_be_visible()
    expect(page.locator(".patron-card")).to_be_hidden()
    page.emulate_media(media="screen")
    expect(page.locator(".receipt-head")).to_be_hidden()
