"""The passkey pages and ceremony steps through Django's test client, with the software
authenticator answering: the patron's section of the account page, login with a passkey, the
staff page, and the refusals (someone else's passkey is a 404, a missing login a 401 or a redirect)."""

from __future__ import annotations

import json
import re
import time

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from toshokan.core import audit
from toshokan.passkeys.models import Passkey
from toshokan.passkeys.tests.authenticator import SoftAuthenticator
from toshokan.patrons.models import Patron
from toshokan.patrons.sessions import SESSION_KEY
from toshokan.patrons.tests import factories
from toshokan.staff import sessions as staff_sessions

pytestmark = pytest.mark.django_db
ORIGIN = "http://testserver"


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def post_json(client: Client, url: str, body: dict[str, object] | None = None, **extra):
    return client.post(url, json.dumps(body or {}), content_type="application/json", **extra)


def logged_in(patron: Patron) -> Client:
    client = Client()
    response = client.post("/account/login", {"card_number": patron.card_number, "pin": factories.PIN})
    assert response.status_code == 302
    return client


def add_passkey(
    client: Client, authenticator: SoftAuthenticator, name: str = "iPhone", prefix: str = "/account"
):
    options = post_json(client, f"{prefix}/passkeys/register/options", {"pin": factories.PIN}).json()
    return post_json(
        client, f"{prefix}/passkeys/register", {"credential": authenticator.create(options), "name": name}
    )


def passkey_login(client: Client, authenticator: SoftAuthenticator, **body):
    options = post_json(client, "/account/passkeys/login/options").json()
    return post_json(client, "/account/passkeys/login", {"credential": authenticator.get(options), **body})


@pytest.fixture
def hanako() -> Patron:
    return factories.patron("山田", given_name="花子")


def test_the_account_page_has_a_passkey_section(hanako):
    client = logged_in(hanako)
    page = text(client.get("/account/"))
    assert 'id="passkeys"' in page and "パスキー" in page
    assert "登録したパスキーはありません" in page
    assert 'data-passkey="register"' in page and "passkeys/passkeys.js" in page
    assert "<script>" not in page.replace('<script src="', "")  # no inline script


def test_a_patron_adds_a_passkey_and_sees_it_listed(hanako):
    client = logged_in(hanako)
    response = add_passkey(client, SoftAuthenticator(origin=ORIGIN), name="iPhone")
    assert response.status_code == 200, response.content
    passkey = Passkey.objects.get(patron=hanako)
    assert response.json() == {"ok": True, "redirect": f"/account/#passkey-{passkey.pk}"}
    page = text(client.get("/account/"))
    assert "パスキー「iPhone」を登録しました。" in page
    assert f'id="passkey-{passkey.pk}"' in page and "まだ使われていません" in page


def test_the_registration_steps_need_a_patron_login_and_a_csrf_token(hanako):
    anonymous = post_json(Client(), "/account/passkeys/register/options")
    assert anonymous.status_code == 401 and anonymous.json()["ok"] is False
    strict = Client(enforce_csrf_checks=True)
    strict.post("/account/login", {"card_number": hanako.card_number, "pin": factories.PIN})
    assert post_json(strict, "/account/passkeys/register/options").status_code == 403
    assert post_json(strict, "/account/passkeys/login/options").status_code == 403


def test_adding_a_passkey_needs_the_pin_again(hanako):
    client = logged_in(hanako)
    assert 'name="pin"' in text(client.get("/account/"))
    response = post_json(client, "/account/passkeys/register/options", {"pin": "0000"})
    assert response.status_code == 403
    assert response.json()["error"].startswith("暗証番号が違います")


def test_a_registration_without_user_verification_is_refused_with_a_clear_message(hanako):
    client = logged_in(hanako)
    response = add_passkey(client, SoftAuthenticator(origin=ORIGIN, user_verified=False))
    assert response.status_code == 403
    assert "本人確認" in response.json()["error"]
    assert not Passkey.objects.exists()


def test_a_patron_logs_in_with_a_passkey_into_the_same_session_as_card_and_pin(hanako):
    authenticator = SoftAuthenticator(origin=ORIGIN)
    add_passkey(logged_in(hanako), authenticator)
    client = Client()
    response = passkey_login(client, authenticator, next="/account/card", remember=True)
    assert response.status_code == 200, response.content
    assert response.json() == {"ok": True, "redirect": "/account/card"}
    assert client.session[SESSION_KEY] == hanako.pk
    assert client.get("/account/").status_code == 200


def test_a_passkey_login_goes_nowhere_off_site(hanako):
    authenticator = SoftAuthenticator(origin=ORIGIN)
    add_passkey(logged_in(hanako), authenticator)
    response = passkey_login(Client(), authenticator, next="https://evil.example/")
    assert response.json()["redirect"] == "/account/"


def test_a_passkey_login_without_user_verification_is_refused_and_logs_no_one_in(hanako):
    authenticator = SoftAuthenticator(origin=ORIGIN)
    add_passkey(logged_in(hanako), authenticator)
    authenticator.user_verified = False
    client = Client()
    response = passkey_login(client, authenticator)
    assert response.status_code == 401
    assert "本人確認" in response.json()["error"]
    assert SESSION_KEY not in client.session


def test_an_unknown_passkey_gets_one_answer_that_says_nothing_about_accounts(hanako):
    stranger = SoftAuthenticator(origin=ORIGIN)
    add_passkey(logged_in(factories.patron("鈴木")), stranger)
    Passkey.objects.all().delete()
    response = passkey_login(Client(), stranger)
    assert response.status_code == 401
    assert response.json()["error"].startswith("パスキーでログインできませんでした")


def test_a_bad_body_is_refused(hanako):
    client = Client()
    post_json(client, "/account/passkeys/login/options")
    response = client.post("/account/passkeys/login", "not json", content_type="application/json")
    assert response.status_code == 401 and response.json()["ok"] is False


def test_rename_and_remove_with_confirmation(hanako):
    client = logged_in(hanako)
    add_passkey(client, SoftAuthenticator(origin=ORIGIN), name="old")
    passkey = Passkey.objects.get()
    response = client.post(f"/account/passkeys/{passkey.pk}/rename", {"name": "自宅のPC"})
    assert response.status_code == 302 and response["Location"] == f"/account/#passkey-{passkey.pk}"
    assert "パスキーの名前を「自宅のPC」に変更しました。" in text(client.get("/account/"))
    client.post(f"/account/passkeys/{passkey.pk}/rename", {"name": ""})
    assert "パスキーの名前を入力してください" in text(client.get("/account/"))
    confirm = text(client.get(f"/account/passkeys/{passkey.pk}/remove"))
    assert "パスキーを削除しますか" in confirm and "これが最後のパスキーです" in confirm
    assert Passkey.objects.exists()
    response = client.post(f"/account/passkeys/{passkey.pk}/remove")
    assert response.status_code == 302 and not Passkey.objects.exists()


def test_another_patrons_passkey_is_not_found(hanako):
    other = logged_in(factories.patron("鈴木"))
    add_passkey(other, SoftAuthenticator(origin=ORIGIN))
    passkey = Passkey.objects.get()
    client = logged_in(hanako)
    assert client.get(f"/account/passkeys/{passkey.pk}/remove").status_code == 404
    assert client.post(f"/account/passkeys/{passkey.pk}/remove").status_code == 404
    assert client.post(f"/account/passkeys/{passkey.pk}/rename", {"name": "x"}).status_code == 404
    assert Passkey.objects.get().name == "iPhone"


def test_the_login_page_offers_a_passkey_login():
    page = text(Client().get("/account/login?next=/account/card"))
    assert "パスキーでログイン" in page
    assert 'data-passkey="login"' in page and 'data-next="/account/card"' in page


# -- staff ----------------------------------------------------------------------------------------


def verified_staff_session(client: Client, user) -> None:
    """A staff session past its second factor, as toshokan.staff marks one after sign-in."""
    client.force_login(user)
    session = client.session
    at = time.time()
    session[staff_sessions.VERIFIED] = {"user": user.pk, "method": "totp", "at": at}
    for key in (staff_sessions.AUTHENTICATED_AT, staff_sessions.STARTED_AT, staff_sessions.SEEN_AT):
        session[key] = at
    session.save()


@pytest.fixture
def staff_client():
    user = get_user_model().objects.create_user("sato", password="pw-for-tests-1", is_staff=True)
    client = Client()
    verified_staff_session(client, user)
    return client, user


def test_the_staff_page_needs_a_staff_login():
    response = Client().get("/desk/passkeys")
    assert response.status_code == 302 and response["Location"].startswith("/desk/login")
    patron_user = get_user_model().objects.create_user("not-staff", password="x")
    client = Client()
    client.force_login(patron_user)
    assert client.get("/desk/passkeys").status_code == 403
    assert post_json(client, "/desk/passkeys/register/options").status_code == 401


def test_staff_register_list_verify_and_remove_a_passkey(staff_client):
    client, user = staff_client
    authenticator = SoftAuthenticator(origin=ORIGIN)
    response = add_passkey(client, authenticator, name="YubiKey", prefix="/desk")
    assert response.status_code == 200, response.content
    passkey = Passkey.objects.get(user=user)
    page = text(client.get("/desk/passkeys"))
    assert "YubiKey" in page and 'data-passkey="verify"' in page
    options = post_json(client, "/desk/passkeys/verify/options").json()
    answer = post_json(client, "/desk/passkeys/verify", {"credential": authenticator.get(options)})
    assert answer.json() == {"ok": True, "message": "パスキー「YubiKey」で本人確認できました。"}
    authenticator.user_verified = False
    options = post_json(client, "/desk/passkeys/verify/options").json()
    refused = post_json(client, "/desk/passkeys/verify", {"credential": authenticator.get(options)})
    assert refused.status_code == 403 and "本人確認" in refused.json()["error"]
    assert client.post(f"/desk/passkeys/{passkey.pk}/remove").status_code == 302
    assert not Passkey.objects.exists()


def test_a_page_opened_by_ip_address_is_told_to_use_a_host_name():
    client = Client(HTTP_HOST="127.0.0.1")
    response = post_json(client, "/account/passkeys/login/options")
    assert response.status_code == 400
    assert "IP アドレスではなく、localhost" in response.json()["error"]


def test_the_admin_shows_passkeys_without_key_material_and_removes_one_into_the_audit_log(hanako):
    add_passkey(logged_in(hanako), SoftAuthenticator(origin=ORIGIN), name="iPhone")
    passkey = Passkey.objects.get()
    admin_user = get_user_model().objects.create_superuser("kanri", password="pw-for-tests-1")
    client = Client()
    verified_staff_session(client, admin_user)
    listing = text(client.get("/admin/passkeys/passkey/"))
    assert "iPhone" in listing and f"利用者 {hanako.card_number}" in listing
    page = text(client.get(f"/admin/passkeys/passkey/{passkey.pk}/change/"))
    assert passkey.credential_id not in page and "public_key" not in page
    assert client.get("/admin/passkeys/passkey/add/").status_code == 403
    response = client.post(f"/admin/passkeys/passkey/{passkey.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302 and not Passkey.objects.exists()
    event = audit.events(patron_id=hanako.pk).get(action=audit.Action.CHANGED)
    assert event.actor_username == "kanri" and event.via == "admin"
    assert event.detail == {"passkey_removed": passkey.pk}


def test_the_passkey_pages_speak_english(hanako):
    client = logged_in(hanako)
    client.post("/i18n/setlang/", {"language": "en", "next": "/account/"})
    page = text(client.get("/account/"))
    assert "You have no passkeys." in page and "Add passkey" in page
    assert "Log in with a passkey" in text(Client(headers={"accept-language": "en"}).get("/account/login"))
    response = post_json(client, "/account/passkeys/register/options", {"pin": "0000"})
    assert response.json()["error"] == "Wrong PIN. To add a passkey, enter your current PIN."
