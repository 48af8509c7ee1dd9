"""Passkeys end to end in Debian's chromium: virtual authenticators (CDP WebAuthn domain) answer
navigator.credentials.create() and .get() as a phone's or a computer's built-in authenticator would.

A patron adds a passkey, logs out and logs in with it; two devices, two passkeys, one account; a
removed passkey no longer logs in; an authenticator that does not verify the user (isUserVerified
false, or no user verification at all) gets no login — and neither does a client that drops the
requirement from the options, which the server then refuses. The same for staff on /desk/passkeys.
"""

from __future__ import annotations

import json
import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from playwright.sync_api import Page, Route, expect

from toshokan.passkeys.models import Passkey
from toshokan.passkeys.tests.web.test_views import verified_staff_session
from toshokan.patrons.models import Patron
from toshokan.patrons.tests import factories as patron_factories
from toshokan.portal.tests.web.conftest import axe_violations

from .conftest import add_authenticator

pytestmark = pytest.mark.browser


@pytest.fixture
def hanako(transactional_db) -> Patron:
    patron_factories.patron("鈴木", given_name="一郎")  # someone else's account is never chosen
    return patron_factories.patron("山田", given_name="花子")


def log_in_with_card(page: Page, url, patron: Patron) -> None:
    page.goto(url("/account/login"))
    page.get_by_label("利用者番号").fill(patron.card_number)
    page.get_by_label("暗証番号").fill(patron_factories.PIN)
    page.get_by_role("button", name="ログイン", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("マイライブラリ")


def add_passkey(page: Page, name: str) -> None:
    section = page.locator("#passkeys")
    section.get_by_label("パスキーの名前").fill(name)
    section.get_by_label("いまの暗証番号").fill(patron_factories.PIN)
    section.get_by_role("button", name="パスキーを追加").click()
    expect(page.locator("#passkeys .outcome--ok")).to_have_text(f"パスキー「{name}」を登録しました。")


def log_out(page: Page) -> None:
    page.get_by_role("button", name="ログアウト").click()
    expect(page.get_by_role("heading", level=1)).not_to_have_text("マイライブラリ")


def log_in_with_passkey(page: Page, url) -> None:
    page.goto(url("/account/login"))
    page.get_by_role("button", name="パスキーでログイン").click()


def logged_in_as(page: Page, url) -> str | None:
    """The name on the account page, or None when it sends the browser to the login."""
    page.goto(url("/account/"))
    if "/account/login" in page.url:
        return None
    return page.locator(".account__who").inner_text()


def passkey_names(page: Page) -> list[str]:
    return [t.strip() for t in page.locator("#passkeys .passkey__name").all_inner_texts()]


def rewrite_user_verification(page: Page, path: str) -> None:
    """Make the page's script see userVerification "discouraged": a client that ignores what the
    server asked for, so that an answer without the UV flag reaches the server."""

    def handle(route: Route) -> None:
        response = route.fetch()
        options = response.json()
        if "authenticatorSelection" in options:
            # An authenticator makes a discoverable credential only with user verification.
            options["authenticatorSelection"] = {
                "userVerification": "discouraged",
                "residentKey": "discouraged",
            }
        else:
            options["userVerification"] = "discouraged"
        route.fulfill(response=response, body=json.dumps(options))

    page.route(re.compile(re.escape(path) + "$"), handle)


# -- patrons --------------------------------------------------------------------------------------


def test_a_patron_adds_a_passkey_logs_out_and_logs_in_with_it(page, url, hanako):
    authenticator = add_authenticator(page)
    log_in_with_card(page, url, hanako)
    expect(page.locator("#passkeys")).to_contain_text("登録したパスキーはありません")
    add_passkey(page, "iPhone")
    assert passkey_names(page) == ["iPhone"]
    expect(page.locator("#passkeys .passkey__last-used")).to_have_text("まだ使われていません")
    stored = authenticator.credentials()
    assert len(stored) == 1 and stored[0]["isResidentCredential"]  # discoverable: no card number needed
    assert Passkey.objects.get().patron == hanako
    assert axe_violations(page) == []

    log_out(page)
    assert logged_in_as(page, url) is None
    log_in_with_passkey(page, url)
    expect(page.get_by_role("heading", level=1)).to_have_text("マイライブラリ")
    expect(page.locator(".account__who")).to_contain_text("山田 花子")
    expect(page.locator("#passkeys .passkey__last-used time")).to_have_count(1)
    assert Passkey.objects.get().sign_count == authenticator.credentials()[0]["signCount"] > 0


def test_the_passkey_login_keeps_where_the_patron_was_going(page, url, hanako):
    add_authenticator(page)
    log_in_with_card(page, url, hanako)
    add_passkey(page, "iPhone")
    log_out(page)
    page.goto(url("/account/settings"))  # sent to the login, with ?next=
    page.get_by_role("button", name="パスキーでログイン").click()
    expect(page).to_have_url(url("/account/settings"))


def test_two_devices_give_one_account_two_passkeys_and_each_logs_in(page, other_device, url, hanako):
    add_authenticator(page)
    add_authenticator(other_device)
    log_in_with_card(page, url, hanako)
    add_passkey(page, "iPhone")
    log_in_with_card(other_device, url, hanako)
    expect(other_device.locator("#passkeys .passkey__name")).to_have_count(1)
    add_passkey(other_device, "自宅のパソコン")
    assert passkey_names(other_device) == ["iPhone", "自宅のパソコン"]
    for device in (page, other_device):
        log_out(device)
        log_in_with_passkey(device, url)
        expect(device.locator(".account__who")).to_contain_text("山田 花子")
    assert all(p.last_used_at is not None for p in Passkey.objects.all())


def test_one_authenticator_is_not_registered_twice(page, url, hanako):
    add_authenticator(page)
    log_in_with_card(page, url, hanako)
    add_passkey(page, "iPhone")
    section = page.locator("#passkeys")
    section.get_by_label("パスキーの名前").fill("iPhone again")
    section.get_by_label("いまの暗証番号").fill(patron_factories.PIN)
    section.get_by_role("button", name="パスキーを追加").click()
    expect(section.locator(".passkey-widget__status")).to_have_text(
        "この端末のパスキーはすでに登録されています。"
    )
    assert Passkey.objects.count() == 1


def test_a_wrong_pin_adds_no_passkey(page, url, hanako):
    authenticator = add_authenticator(page)
    log_in_with_card(page, url, hanako)
    section = page.locator("#passkeys")
    section.get_by_label("パスキーの名前").fill("iPhone")
    section.get_by_label("いまの暗証番号").fill("0000")
    section.get_by_role("button", name="パスキーを追加").click()
    expect(section.locator(".passkey-widget__status")).to_contain_text("暗証番号が違います")
    expect(section.get_by_label("いまの暗証番号")).to_have_value("")
    assert authenticator.credentials() == [] and not Passkey.objects.exists()


def test_a_renamed_then_removed_passkey_no_longer_logs_in(page, url, hanako):
    add_authenticator(page)
    log_in_with_card(page, url, hanako)
    add_passkey(page, "iPhone")
    passkey = Passkey.objects.get()
    row = page.locator(f"#passkey-{passkey.pk}")
    row.get_by_label("「iPhone」の新しい名前").fill("古いスマホ")
    row.get_by_role("button", name="名前を変更").click()
    expect(page.locator("#passkeys .outcome--ok")).to_have_text(
        "パスキーの名前を「古いスマホ」に変更しました。"
    )
    page.locator(f"#passkey-{passkey.pk}").get_by_role("link", name="削除する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("パスキーを削除しますか")
    expect(page.locator("main")).to_contain_text("これが最後のパスキーです")
    page.get_by_role("button", name="パスキーを削除する").click()
    expect(page.locator("#passkeys .outcome--ok")).to_have_text("パスキー「古いスマホ」を削除しました。")
    expect(page.locator("#passkeys")).to_contain_text("登録したパスキーはありません")
    assert not Passkey.objects.exists()

    log_out(page)
    log_in_with_passkey(page, url)  # the authenticator still holds it; the library no longer does
    expect(page.locator(".passkey-login .passkey-widget__status")).to_contain_text(
        "パスキーでログインできませんでした"
    )
    assert logged_in_as(page, url) is None


def test_no_login_when_the_authenticator_does_not_verify_the_user(page, url, hanako):
    authenticator = add_authenticator(page)
    log_in_with_card(page, url, hanako)
    add_passkey(page, "iPhone")
    log_out(page)
    authenticator.set_user_verified(False)  # the fingerprint did not match
    log_in_with_passkey(page, url)
    expect(page.locator(".passkey-login .passkey-widget__status")).to_contain_text("本人確認")
    assert logged_in_as(page, url) is None
    assert Passkey.objects.get().last_used_at is None


def test_no_login_with_an_authenticator_that_cannot_verify_the_user(page, url, hanako):
    authenticator = add_authenticator(page)
    log_in_with_card(page, url, hanako)
    add_passkey(page, "iPhone")
    log_out(page)
    # The same credential on an authenticator that has no user verification at all.
    credential = authenticator.credentials()[0]
    authenticator.remove()
    no_uv = add_authenticator(page, has_user_verification=False, is_user_verified=False)
    no_uv.cdp.send("WebAuthn.addCredential", {"authenticatorId": no_uv.id, "credential": credential})
    log_in_with_passkey(page, url)
    expect(page.locator(".passkey-login .passkey-widget__status")).to_contain_text("本人確認")
    assert logged_in_as(page, url) is None


def test_the_server_refuses_an_assertion_without_user_verification(page, url, hanako):
    authenticator = add_authenticator(page)
    log_in_with_card(page, url, hanako)
    add_passkey(page, "iPhone")
    log_out(page)
    authenticator.set_user_verified(False)
    rewrite_user_verification(page, "/account/passkeys/login/options")
    page.goto(url("/account/login"))
    with page.expect_response(url("/account/passkeys/login")) as answer:
        page.get_by_role("button", name="パスキーでログイン").click()
    assert answer.value.status == 401
    expect(page.locator(".passkey-login .passkey-widget__status")).to_contain_text(
        "本人確認 (指紋・顔・画面ロックの暗証番号など) が行われなかったため"
    )
    assert logged_in_as(page, url) is None


def test_the_server_refuses_a_registration_without_user_verification(page, url, hanako):
    add_authenticator(page, has_user_verification=False, is_user_verified=False)
    log_in_with_card(page, url, hanako)
    rewrite_user_verification(page, "/account/passkeys/register/options")
    section = page.locator("#passkeys")
    section.get_by_label("パスキーの名前").fill("iPhone")
    section.get_by_label("いまの暗証番号").fill(patron_factories.PIN)
    with page.expect_response(url("/account/passkeys/register")) as answer:
        section.get_by_role("button", name="パスキーを追加").click()
    assert answer.value.status == 403
    expect(section.locator(".passkey-widget__status")).to_contain_text("本人確認")
    assert not Passkey.objects.exists()


def test_a_browser_without_webauthn_is_told_so(page, url, hanako):
    page.add_init_script("delete window.PublicKeyCredential;")
    page.goto(url("/account/login"))
    expect(page.get_by_role("button", name="パスキーでログイン")).to_be_disabled()
    expect(page.locator(".passkey-login .passkey-widget__status")).to_contain_text(
        "このブラウザはパスキーに対応していません"
    )


# -- staff ----------------------------------------------------------------------------------------


@pytest.fixture
def staff_page(page, url, transactional_db):
    """A staff member past the password and the second factor (toshokan.staff), in the browser."""
    user = get_user_model().objects.create_user("sato", password="pw-for-tests-1", is_staff=True)
    client = Client()
    verified_staff_session(client, user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": url("/"),
            }
        ]
    )
    return page, user


def test_staff_add_a_passkey_check_it_and_remove_it(staff_page, url):
    page, user = staff_page
    authenticator = add_authenticator(page)
    page.goto(url("/desk/passkeys"))
    expect(page.get_by_role("heading", level=1)).to_have_text("パスキー")
    expect(page.locator("#passkeys")).to_contain_text("登録したパスキーはありません")
    page.get_by_label("パスキーの名前").fill("YubiKey")
    page.get_by_role("button", name="パスキーを追加").click()
    expect(page.locator(".flash")).to_contain_text("パスキー「YubiKey」を登録しました。")
    assert Passkey.objects.get().user == user

    verify = page.locator('form[data-passkey="verify"]')
    verify.get_by_role("button", name="パスキーで本人確認").click()
    expect(verify.locator(".passkey-widget__status")).to_have_text(
        "パスキー「YubiKey」で本人確認できました。"
    )
    assert Passkey.objects.get().last_used_at is not None

    authenticator.set_user_verified(False)
    verify.get_by_role("button", name="パスキーで本人確認").click()
    expect(verify.locator(".passkey-widget__status")).to_contain_text("本人確認")
    expect(verify.locator(".passkey-widget__status")).not_to_contain_text("できました")
    authenticator.set_user_verified(True)

    page.locator("#passkeys").get_by_role("link", name="削除する").click()
    page.get_by_role("button", name="パスキーを削除する").click()
    expect(page.locator(".flash")).to_contain_text("パスキー「YubiKey」を削除しました。")
    assert not Passkey.objects.exists()


def test_the_server_refuses_a_staff_assertion_without_user_verification(staff_page, url):
    page, _user = staff_page
    authenticator = add_authenticator(page)
    page.goto(url("/desk/passkeys"))
    page.get_by_label("パスキーの名前").fill("YubiKey")
    page.get_by_role("button", name="パスキーを追加").click()
    expect(page.locator(".flash")).to_contain_text("パスキー「YubiKey」を登録しました。")
    authenticator.set_user_verified(False)
    rewrite_user_verification(page, "/desk/passkeys/verify/options")
    verify = page.locator('form[data-passkey="verify"]')
    with page.expect_response(url("/desk/passkeys/verify")) as answer:
        verify.get_by_role("button", name="パスキーで本人確認").click()
    assert answer.value.status == 403
    expect(verify.locator(".passkey-widget__status")).to_contain_text(
        "本人確認 (指紋・顔・画面ロックの暗証番号など)"
    )
    assert Passkey.objects.get().last_used_at is None


def test_staff_sign_in_with_the_password_then_the_passkey_and_not_without_user_verification(staff_page, url):
    """The passkey added here is the second factor at the staff sign-in (toshokan.staff's pages)."""
    page, user = staff_page
    authenticator = add_authenticator(page)
    page.goto(url("/desk/passkeys"))
    page.get_by_label("パスキーの名前").fill("YubiKey")
    page.get_by_role("button", name="パスキーを追加").click()
    expect(page.locator(".flash")).to_contain_text("パスキー「YubiKey」を登録しました。")
    page.get_by_role("button", name="ログアウト").click()

    page.goto(url("/desk/passkeys"))
    expect(page).to_have_url(re.compile(r"/staff/login|/desk/login"))
    page.get_by_label("ユーザー名").fill(user.username)
    page.get_by_label("パスワード").fill("pw-for-tests-1")
    page.get_by_role("button", name="次へ").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("本人確認 (二要素認証)")

    authenticator.set_user_verified(False)
    page.get_by_role("button", name="パスキーで確認").click()
    expect(page.locator(".staff-passkey__error")).to_be_visible()
    page.goto(url("/desk/passkeys"))
    expect(page.get_by_role("heading", level=1)).to_have_text("本人確認 (二要素認証)")  # still not signed in

    authenticator.set_user_verified(True)
    page.get_by_role("button", name="パスキーで確認").click()
    expect(page).to_have_url(url("/desk/passkeys"))
    expect(page.get_by_role("heading", level=1)).to_have_text("パスキー")
    expect(page.locator(".passkey__last-used time")).to_have_count(1)
