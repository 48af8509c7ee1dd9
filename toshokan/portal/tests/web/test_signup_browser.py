"""A newcomer in a real browser: registers online, logs in with the new card and places a hold on
a record page — the same minute, without a visit — and no page on the way breaks the CSP."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from toshokan.circulation.models import Hold
from toshokan.patrons.models import Patron

from .conftest import axe_violations

pytestmark = pytest.mark.browser

CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI);
});
"""


def watch(page: Page) -> list[str]:
    """Console messages that report a blocked resource or script (CSP or otherwise)."""
    problems: list[str] = []
    page.add_init_script(CSP_WATCH)
    page.on(
        "console",
        lambda m: (
            problems.append(m.text) if m.type == "error" and "Content Security Policy" in m.text else None
        ),
    )
    return problems


def violations(page: Page) -> list[str]:
    return list(page.evaluate("window.__cspViolations || []"))


def fill_signup(page: Page) -> None:
    page.get_by_label("姓", exact=True).fill("新井")
    page.get_by_label("名", exact=True).fill("花子")
    page.get_by_label("よみがな").fill("あらい はなこ")
    page.get_by_label("生年月日").fill("1990-05-05")
    page.get_by_label("郵便番号").fill("100-0005")
    page.get_by_label("住所", exact=True).fill("東京都千代田区丸の内1-1")
    page.get_by_label("メールアドレス").fill("arai@example.jp")
    page.get_by_label("よく使う図書館").select_option(label="中央図書館")
    page.get_by_label("暗証番号 (4〜8桁の数字)").fill("4821")
    page.get_by_label("暗証番号 (確認のためもう一度)").fill("4821")
    page.get_by_label("図書館の利用規則と個人情報の取り扱いに同意します").check()


def test_a_newcomer_registers_online_logs_in_and_places_a_hold_the_same_minute(page: Page, url, catalogue):
    problems = watch(page)
    ginga = catalogue.record("銀河鉄道の夜")

    page.goto(url("/account/login"))
    page.get_by_role("link", name="はじめての方は、オンラインで利用登録ができます").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("利用登録 (オンライン)")
    assert axe_violations(page) == []
    fill_signup(page)
    page.get_by_role("button", name="申し込む").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("仮登録が完了しました")
    card = page.locator("#new-card-number").inner_text().strip()
    patron = Patron.objects.get(card_number=card)
    assert patron.status == "provisional"
    assert axe_violations(page) == []

    # A new browser session: the card and the PIN chosen a moment ago log in.
    page.context.clear_cookies()
    page.goto(url(f"/records/{ginga.pk}"))
    page.get_by_role("link", name="ログインして予約する").click()
    page.get_by_label("利用者番号").fill(card)
    page.get_by_label("暗証番号").fill("4821")
    page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("銀河鉄道の夜")
    hold_box = page.locator("#hold")
    hold_box.get_by_role("button", name="予約する").click()
    expect(hold_box.locator(".outcome")).to_have_text("予約しました。")
    assert Hold.objects.filter(patron=patron, record=ginga).exists()

    # My library says what the provisional card still needs.
    page.goto(url("/account/"))
    expect(page.locator("main")).to_contain_text("本人確認が必要です")
    assert violations(page) == [] and problems == []


def test_a_refused_application_is_explained_on_the_form_and_creates_nothing(page: Page, url, catalogue):
    page.goto(url("/signup"))
    fill_signup(page)
    page.get_by_label("住所", exact=True).fill("埼玉県さいたま市浦和区高砂1-1")
    page.get_by_role("button", name="申し込む").click()
    expect(page.get_by_role("alert")).to_contain_text("勤務先または学校")
    assert not Patron.objects.exists()
    # A commuter: the workplace in the area makes them eligible.
    page.get_by_label("勤務先・学校の名称").fill("千代田商事")
    page.get_by_label("勤務先・学校の所在地").fill("東京都千代田区大手町1-1")
    page.get_by_label("暗証番号 (4〜8桁の数字)").fill("4821")
    page.get_by_label("暗証番号 (確認のためもう一度)").fill("4821")
    page.get_by_role("button", name="申し込む").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("仮登録が完了しました")
    assert Patron.objects.get().residency == "commuter"
