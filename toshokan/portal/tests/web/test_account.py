"""My library in a real browser: logging in, loans and one-click renewal, placing a hold from the
record page and seeing its place in the queue, suspending and cancelling it, and the digital
card — read off the screen by a barcode reader (zbar), and shown again with the network off."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone
from playwright.sync_api import Page, expect

from toshokan.catalog.models import Holding
from toshokan.circulation import services
from toshokan.circulation.models import Hold, Loan
from toshokan.patrons.domain.cards import normalise_card_number
from toshokan.patrons.models import Patron
from toshokan.patrons.tests import factories as patron_factories

from .conftest import axe_violations, no_horizontal_scroll

pytestmark = pytest.mark.browser


@pytest.fixture
def hanako(catalogue) -> Patron:
    return patron_factories.patron("山田", given_name="花子")


def lend(patron: Patron, holding: Holding) -> Loan:
    return services.checkout(barcode=holding.barcode, patron=patron, branch=holding.branch)


def log_in(page: Page, url, patron: Patron, next_path: str = "/account/", *, remember: bool = False) -> None:
    page.goto(url("/account/login?next=" + quote(next_path)))
    fill_login(page, patron, remember=remember)


def fill_login(page: Page, patron: Patron, *, remember: bool = False) -> None:
    page.get_by_label("利用者番号").fill(patron.card_number)
    page.get_by_label("暗証番号").fill(patron_factories.PIN)
    if remember:
        page.get_by_label("この端末でログインしたままにする").check()
    page.get_by_role("button", name="ログイン", exact=True).click()


def test_a_patron_logs_in_with_card_and_pin_and_sees_their_loans(page, url, catalogue, hanako):
    botchan = catalogue.record("坊っちゃん").holdings.get()
    loan = lend(hanako, botchan)
    page.goto(url("/"))
    page.get_by_role("link", name="マイライブラリ").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("マイライブラリにログイン")
    page.get_by_label("利用者番号").fill(hanako.card_number)
    page.get_by_label("暗証番号").fill("0000")
    page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text("利用者番号または暗証番号が違います")
    fill_login(page, hanako)
    expect(page.get_by_role("heading", level=1)).to_have_text("マイライブラリ")
    row = page.locator(f"#loan-{loan.pk}")
    expect(row.get_by_role("heading")).to_have_text("坊っちゃん")
    expect(row.locator("time")).to_have_attribute("datetime", loan.due_on.isoformat())
    assert axe_violations(page) == []


def test_an_overdue_loan_is_highlighted_and_its_renewal_refused_inline(page, url, catalogue, hanako):
    loan = lend(hanako, catalogue.record("坊っちゃん").holdings.get())
    Loan.objects.filter(pk=loan.pk).update(due_on=timezone.localdate() - timedelta(days=2))
    log_in(page, url, hanako)
    row = page.locator(f"#loan-{loan.pk}")
    expect(row).to_have_class(re.compile(r"\bitem--overdue\b"))
    expect(row.locator(".status--overdue")).to_have_text("延滞")
    row.get_by_role("button", name="延長する").click()
    expect(page.locator(f"#loan-{loan.pk} .outcome")).to_have_text(
        "返却期限を過ぎているため延長できません。返却をお願いします。"
    )
    assert Loan.objects.get(pk=loan.pk).renewals == 0
    assert axe_violations(page) == []


def test_renewing_from_the_account_swaps_the_row_in_place_and_keeps_focus_on_it(page, url, catalogue, hanako):
    loan = lend(hanako, catalogue.record("坊っちゃん").holdings.get())
    Loan.objects.filter(pk=loan.pk).update(due_on=timezone.localdate() + timedelta(days=1))
    log_in(page, url, hanako)
    page.evaluate("window.__notReloaded = true")
    page.locator(f"#loan-{loan.pk}").get_by_role("button", name="延長する").click()
    outcome = page.locator(f"#loan-{loan.pk} .outcome")
    expect(outcome).to_contain_text("延長しました。新しい返却期限は")
    expect(outcome).to_be_focused()
    assert page.evaluate("window.__notReloaded") is True  # htmx: no page load
    renewed = Loan.objects.get(pk=loan.pk)
    assert renewed.renewals == 1
    expect(page.locator(f"#loan-{loan.pk} time")).to_have_attribute("datetime", renewed.due_on.isoformat())


def test_renewing_without_javascript_works_the_same(browser, url, catalogue, hanako):
    loan = lend(hanako, catalogue.record("坊っちゃん").holdings.get())
    Loan.objects.filter(pk=loan.pk).update(due_on=timezone.localdate() + timedelta(days=1))
    context = browser.new_context(locale="ja-JP", java_script_enabled=False)
    try:
        page = context.new_page()
        log_in(page, url, hanako)
        page.locator(f"#loan-{loan.pk}").get_by_role("button", name="延長する").click()
        expect(page.locator(f"#loan-{loan.pk} .outcome")).to_contain_text("延長しました。")
        assert page.url.endswith(f"/account/#loan-{loan.pk}")
    finally:
        context.close()
    assert Loan.objects.get(pk=loan.pk).renewals == 1


def test_placing_a_hold_from_the_record_page_shows_the_queue_then_suspend_and_cancel(
    page, url, catalogue, hanako
):
    ginga = catalogue.record("銀河鉄道の夜")
    copy = ginga.holdings.get()
    # The copy is out with someone else, and one patron is already waiting for it.
    Holding.objects.filter(pk=copy.pk).update(status="available")
    lend(patron_factories.patron("佐藤", given_name="太郎"), copy)
    services.place_hold(patron=patron_factories.patron("鈴木"), record=ginga, pickup_branch=copy.branch)

    page.goto(url(f"/records/{ginga.pk}"))
    page.get_by_role("link", name="ログインして予約する").click()
    fill_login(page, hanako)
    expect(page.get_by_role("heading", level=1)).to_have_text("銀河鉄道の夜")
    hold_box = page.locator("#hold")
    expect(hold_box.get_by_label("受取館")).to_have_value("central")  # the home branch
    hold_box.get_by_label("受取館").select_option(label="北分館")
    hold_box.get_by_role("button", name="予約する").click()
    expect(hold_box.locator(".outcome")).to_have_text("予約しました。")
    expect(hold_box).to_contain_text("順番: 2番目")
    expect(hold_box.locator("time")).to_be_visible()
    hold = Hold.objects.get(patron=hanako)
    assert hold.pickup_branch.code == "kita"
    assert axe_violations(page) == []

    hold_box.get_by_role("link", name="マイライブラリで予約を見る").click()
    row = page.locator(f"#hold-{hold.pk}")
    expect(row).to_contain_text("順番: 2番目")
    expect(row).to_contain_text("北分館")
    row.get_by_role("button", name="保留にする").click()
    expect(page.locator(f"#hold-{hold.pk} .outcome")).to_contain_text("保留にしました。")
    expect(page.locator(f"#hold-{hold.pk} .status")).to_have_text("保留中")
    assert Hold.objects.get(pk=hold.pk).state == "suspended"
    page.locator(f"#hold-{hold.pk}").get_by_role("button", name="予約を再開する").click()
    expect(page.locator(f"#hold-{hold.pk} .status")).to_have_text("予約待ち")

    page.locator(f"#hold-{hold.pk}").get_by_role("link", name="取り消す").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("予約を取り消しますか")
    page.get_by_role("button", name="予約を取り消す").click()
    expect(page.locator("#holds-heading ~ .outcome")).to_contain_text("の予約を取り消しました。")
    expect(page.locator(f"#hold-{hold.pk}")).to_have_count(0)
    assert not Hold.objects.filter(pk=hold.pk).exists()


# -- the digital card -----------------------------------------------------------------------------


def read_symbols(png: bytes) -> dict[str, str]:
    """What a camera-based scanner reads off the screen: zbar over a screenshot."""
    try:
        from PIL import Image
        from pyzbar import pyzbar
    except (ImportError, OSError) as exc:  # pyzbar loads libzbar0 when imported
        pytest.skip(f"zbar is missing ({exc}): apt-get install libzbar0; pip install pyzbar pillow")
    found = pyzbar.decode(Image.open(io.BytesIO(png)))
    return {symbol.type: symbol.data.decode() for symbol in found}


def test_the_digital_card_can_be_read_by_a_scanner_from_a_phone_screen(phone, url, catalogue, hanako):
    log_in(phone, url, hanako, "/account/card")
    expect(phone.get_by_role("heading", level=1)).to_have_text("利用者カード")
    expect(phone.locator("[data-card-number]")).to_have_text(
        " ".join(hanako.card_number[i : i + 4] for i in range(0, len(hanako.card_number), 4))
    )
    barcode = phone.locator(".library-card__barcode svg")
    qr = phone.locator(".library-card__qr svg")
    assert barcode.bounding_box()["width"] >= 300
    assert qr.bounding_box()["width"] >= 200
    assert read_symbols(barcode.screenshot()) == {"CODE128": hanako.card_number}
    assert read_symbols(qr.screenshot()) == {"QRCODE": hanako.card_number}
    assert no_horizontal_scroll(phone)
    assert axe_violations(phone) == []


def test_the_card_in_nw7_can_be_read_too(phone, url, catalogue, hanako, settings):
    settings.TOSHOKAN_CARD_BARCODE = "codabar"
    log_in(phone, url, hanako, "/account/card")
    read = read_symbols(phone.locator(".library-card__barcode svg").screenshot())
    assert list(read) == ["CODABAR"]
    assert normalise_card_number(read["CODABAR"]) == hanako.card_number


def wait_until_the_card_is_kept(page: Page) -> None:
    page.wait_for_function(
        """async () => {
            const reg = await navigator.serviceWorker.ready;
            const cache = await caches.open("toshokan-card-v1");
            return !!reg.active && !!(await cache.match("/account/card"))
                && !!navigator.serviceWorker.controller;
        }""",
        polling=200,
    )


def test_the_digital_card_is_shown_when_the_phone_is_offline(phone, url, catalogue, hanako):
    log_in(phone, url, hanako, "/account/card", remember=True)
    expect(phone.get_by_role("heading", level=1)).to_have_text("利用者カード")
    wait_until_the_card_is_kept(phone)

    phone.context.set_offline(True)
    # Were the network still reachable, the server would now send the card page to the login: the
    # card can only come back from the service worker's cache.
    Session.objects.all().delete()
    response = phone.reload()
    assert response is not None and response.from_service_worker
    expect(phone.get_by_role("heading", level=1)).to_have_text("利用者カード")
    expect(phone.locator("[data-card-number]")).to_have_attribute("data-card-number", hanako.card_number)
    # Styled as online: the stylesheet came from the same cache.
    assert phone.locator(".library-card").evaluate("e => getComputedStyle(e).borderTopWidth") == "2px"
    assert read_symbols(phone.locator(".library-card__qr svg").screenshot()) == {"QRCODE": hanako.card_number}

    # Pages that were never kept are not served offline.
    with pytest.raises(Exception, match=r"ERR_INTERNET_DISCONNECTED|ERR_FAILED"):
        phone.goto(url("/account/"))


def test_logging_out_takes_the_offline_card_off_the_phone(phone, url, catalogue, hanako):
    log_in(phone, url, hanako, "/account/card", remember=True)
    wait_until_the_card_is_kept(phone)
    phone.get_by_role("button", name="ログアウト").click()
    expect(phone.get_by_role("heading", level=1)).to_have_text("ログアウトしました")
    phone.wait_for_function(
        """async () => (await caches.keys()).length === 0
            && (await navigator.serviceWorker.getRegistrations()).length === 0""",
        polling=200,
    )
    phone.context.set_offline(True)
    with pytest.raises(Exception, match=r"ERR_INTERNET_DISCONNECTED|ERR_FAILED"):
        phone.goto(url("/account/card"))


def test_the_account_pages_pass_axe_in_japanese_and_english(page, url, catalogue, hanako):
    lend(hanako, catalogue.record("坊っちゃん").holdings.get())
    page.goto(url("/account/login"))
    assert axe_violations(page) == []
    fill_login(page, hanako)
    for path in ["/account/", "/account/settings", "/account/history", "/account/card"]:
        page.goto(url(path))
        assert axe_violations(page) == [], path
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Library card")
    assert axe_violations(page) == []
    page.goto(url("/account/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My library")
    expect(page.get_by_role("button", name="Renew")).to_be_visible()
    assert axe_violations(page) == []


def test_the_account_fits_a_320_pixel_phone(phone, url, catalogue, hanako):
    lend(hanako, catalogue.record("坊っちゃん").holdings.get())
    copy = catalogue.record("銀河鉄道の夜").holdings.get()
    Holding.objects.filter(pk=copy.pk).update(status="available")
    lend(patron_factories.patron("佐藤"), copy)
    services.place_hold(patron=hanako, record=copy.record, pickup_branch=copy.branch)
    phone.set_viewport_size({"width": 320, "height": 720})
    log_in(phone, url, hanako)
    for path in ["/account/", "/account/settings", "/account/history", "/account/card"]:
        phone.goto(url(path))
        assert no_horizontal_scroll(phone), path
    phone.goto(url(f"/records/{copy.record_id}"))
    expect(phone.locator("#hold")).to_contain_text("順番: 1番目")
    assert no_horizontal_scroll(phone)
