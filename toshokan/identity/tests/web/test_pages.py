"""The My Number card pages through Django's test client: sign up, welcome and PIN, log in, link."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from toshokan.identity.models import CertificateLink
from toshokan.identity.tests.conftest import NOW, Jpki, snapshot
from toshokan.patrons.models import Patron
from toshokan.patrons.tests import factories as patron_factories


@pytest.fixture
def at_now(jpki: Jpki, monkeypatch: pytest.MonkeyPatch) -> Jpki:
    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return jpki


def nonce_on(page: Any) -> str:
    match = re.search(rb"data-nonce>([^<]+)<", page.content)
    assert match, page.content[:500]
    return match.group(1).decode()


def upload(bundle: dict[str, Any]) -> SimpleUploadedFile:
    return SimpleUploadedFile("bundle.json", json.dumps(bundle).encode(), content_type="application/json")


def test_the_signup_page_explains_the_steps_and_shows_the_challenge_as_text_and_qr(
    at_now: Jpki, client: Client
) -> None:
    page = client.get("/signup/mynumber")
    assert page.status_code == 200
    html = page.content.decode()
    assert "マイナンバーカードで利用登録" in html and "署名用電子証明書" in html
    assert "<svg" in html and "jpki-challenge__qr" in html
    assert "個人番号（マイナンバー）は受け取らず" in html
    assert "<script>" not in html and " onclick=" not in html
    # Reloading keeps the same challenge while it is unused.
    assert nonce_on(client.get("/signup/mynumber")) == nonce_on(page)


def test_signing_up_on_the_page_issues_the_card_and_lets_the_patron_set_a_pin(
    at_now: Jpki, client: Client
) -> None:
    nonce = nonce_on(client.get("/signup/mynumber"))
    response = client.post(
        "/signup/mynumber", {"bundle_file": upload(at_now.card().bundle(nonce)), "email": ""}
    )
    assert response.status_code == 302 and response["Location"] == "/signup/mynumber/welcome"
    patron = Patron.objects.get()
    welcome = client.get("/signup/mynumber/welcome")
    assert patron.card_number in welcome.content.decode()
    assert "利用者カードを発行しました" in welcome.content.decode()
    done = client.post("/signup/mynumber/welcome", {"pin": "2580", "pin_again": "2580"})
    assert "暗証番号を設定しました" in done.content.decode()
    assert client.get("/account/").status_code == 200  # still logged in after setting the PIN
    client.post("/account/logout")
    assert (
        client.post("/account/login", {"card_number": patron.card_number, "pin": "2580"}).status_code == 302
    )


def test_a_refused_card_on_the_page_says_why_and_creates_nothing(at_now: Jpki, client: Client) -> None:
    card = at_now.card()
    at_now.revoke(card.sign)
    nonce = nonce_on(client.get("/signup/mynumber"))
    before = snapshot()
    response = client.post("/signup/mynumber", {"bundle_file": upload(card.bundle(nonce))})
    assert response.status_code == 400
    assert "失効しています" in response.content.decode() and "revoked" in response.content.decode()
    assert snapshot() == before
    assert nonce_on(response) != nonce  # the spent challenge is replaced


def test_a_file_signed_for_another_challenge_is_refused_before_it_is_used(
    at_now: Jpki, client: Client
) -> None:
    nonce = nonce_on(client.get("/signup/mynumber"))
    other = at_now.challenge()
    response = client.post("/signup/mynumber", {"bundle_file": upload(at_now.card().bundle(other))})
    assert response.status_code == 400
    assert "nonce_mismatch" in response.content.decode()
    assert nonce_on(response) == nonce  # this page's challenge is still good


def test_a_file_that_is_not_json_is_refused(at_now: Jpki, client: Client) -> None:
    client.get("/signup/mynumber")
    bad = SimpleUploadedFile("bundle.json", b"\x00\x01 not json")
    response = client.post("/signup/mynumber", {"bundle_file": bad})
    assert response.status_code == 400
    assert "JSON" in response.content.decode()


def test_logging_in_with_the_card_on_the_page(at_now: Jpki, client: Client) -> None:
    card = at_now.card()
    nonce = nonce_on(client.get("/signup/mynumber"))
    client.post("/signup/mynumber", {"bundle_file": upload(card.bundle(nonce))})
    client.post("/account/logout")
    assert "マイナンバーカードでログイン" in client.get("/account/login").content.decode()
    nonce = nonce_on(client.get("/account/login/mynumber"))
    response = client.post(
        "/account/login/mynumber", {"bundle_text": json.dumps(card.bundle(nonce, signing=False))}
    )
    assert response.status_code == 302 and response["Location"] == "/account/"
    assert client.get("/account/").status_code == 200


def test_a_desk_patron_links_the_card_from_the_account_page(at_now: Jpki, client: Client) -> None:
    patron = patron_factories.patron()
    assert (
        client.post(
            "/account/login", {"card_number": patron.card_number, "pin": patron_factories.PIN}
        ).status_code
        == 302
    )
    card = at_now.card()
    nonce = nonce_on(client.get("/account/mynumber"))
    response = client.post("/account/mynumber", {"bundle_file": upload(card.bundle(nonce, signing=False))})
    assert response.status_code == 200
    assert "紐付けました" in response.content.decode()
    assert CertificateLink.objects.get().patron_id == patron.pk


def test_the_account_page_needs_a_login(client: Client, jpki: Jpki) -> None:
    response = client.get("/account/mynumber")
    assert response.status_code == 302 and response["Location"].startswith("/account/login")


def test_a_card_member_without_a_pin_sets_one_from_the_account_page(at_now: Jpki, client: Client) -> None:
    nonce = nonce_on(client.get("/signup/mynumber"))
    client.post("/signup/mynumber", {"bundle_file": upload(at_now.card().bundle(nonce))})
    assert "暗証番号を設定" in client.get("/account/mynumber").content.decode()
    mismatch = client.post("/account/mynumber/pin", {"pin": "2580", "pin_again": "2581"})
    assert mismatch.status_code == 400
    response = client.post("/account/mynumber/pin", {"pin": "2580", "pin_again": "2580"})
    assert response.status_code == 302
    assert "暗証番号を設定しました" in client.get(response["Location"]).content.decode()
    assert Patron.objects.get().pin_hash
    assert "マイナンバーカードの紐付け" in client.get("/account/settings").content.decode()
