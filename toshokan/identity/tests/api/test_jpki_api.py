"""The JSON API a card reader or phone app uses: challenge, registration, login, link."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from toshokan.identity.tests.conftest import Jpki, snapshot
from toshokan.patrons.models import Patron

BASE = "/api/v1/identity/jpki"


@pytest.fixture
def at_now(jpki: Jpki, monkeypatch: pytest.MonkeyPatch) -> Jpki:
    """The API runs on the real clock; the test PKI is made for pki.NOW, so the clock is set there."""
    from toshokan.identity.tests.conftest import NOW

    monkeypatch.setattr(timezone, "now", lambda: NOW)
    return jpki


def post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(BASE + path, body, content_type="application/json")


def challenge(client: Client, purpose: str = "register") -> str:
    response = post(client, "/challenges", {"purpose": purpose})
    assert response.status_code == 201
    assert response.json()["purpose"] == purpose
    return str(response.json()["nonce"])


def test_a_card_registers_through_the_api_and_then_logs_in(at_now: Jpki, client: Client) -> None:
    card = at_now.card()
    response = post(client, "/registrations", {**card.bundle(challenge(client)), "email": "h@example.jp"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["outcome"] == "registered" and body["auth_linked"] is True
    assert body["card_number"] == Patron.objects.get().card_number
    assert body["name"] == "図書 花子"

    again = post(client, "/registrations", card.bundle(challenge(client)))
    assert again.status_code == 200 and again.json()["outcome"] == "already_registered"

    login = post(client, "/logins", card.bundle(challenge(client, "login"), signing=False))
    assert login.status_code == 200, login.content
    assert login.json()["card_number"] == body["card_number"]
    me = client.get("/api/v1/patron/session")
    assert me.status_code == 200 and me.json()["card_number"] == body["card_number"]


@pytest.mark.parametrize(
    ("spoil", "status", "error", "reason"),
    [
        (lambda b: b.update(signature=b["auth_signature"]), 403, "jpki_refused", "bad_signature"),
        (lambda b: b.update(signing_certificate="not base64!"), 422, "bundle_invalid", "bundle_not_base64"),
        (lambda b: b.pop("signature"), 422, "bundle_invalid", "bundle_missing_field"),
        (lambda b: b.update(nonce="never-issued"), 409, "challenge_refused", "nonce_unknown"),
        (lambda b: b.update(email="not an address"), 422, "bundle_invalid", "invalid_email"),
    ],
    ids=["tampered", "not base64", "no signature", "unknown nonce", "bad e-mail"],
)
def test_a_bad_bundle_is_refused_with_a_code_and_creates_nothing(
    at_now: Jpki, client: Client, spoil: Any, status: int, error: str, reason: str
) -> None:
    bundle = at_now.card().bundle(challenge(client))
    spoil(bundle)
    before = snapshot()
    response = post(client, "/registrations", bundle)
    assert response.status_code == status, response.content
    assert response.json()["error"] == error and response.json()["reason"] == reason
    assert response.json()["detail"]
    assert snapshot() == before


def test_an_ineligible_person_is_told_which_rule(at_now: Jpki, client: Client) -> None:
    card = at_now.card(address="大阪府大阪市北区梅田一丁目1番1号")
    response = post(client, "/registrations", card.bundle(challenge(client)))
    assert response.status_code == 403
    assert response.json()["refusals"] == ["workplace_required"]


def test_a_login_needs_a_json_body(at_now: Jpki, client: Client) -> None:
    card = at_now.card()
    post(client, "/registrations", card.bundle(challenge(client)))
    response = client.post(BASE + "/logins", card.bundle(challenge(client, "login"), signing=False))
    assert response.status_code in (400, 415)  # a form post (what a cross-site page can send) logs no one in
    assert client.get("/api/v1/patron/session").status_code == 401


def test_an_unlinked_card_cannot_log_in(at_now: Jpki, client: Client) -> None:
    response = post(client, "/logins", at_now.card().bundle(challenge(client, "login"), signing=False))
    assert response.status_code == 401
    assert response.json()["error"] == "certificate_not_linked"


def test_linking_needs_a_patron_session(at_now: Jpki, client: Client) -> None:
    response = post(client, "/links", at_now.card().bundle(challenge(client, "link"), signing=False))
    assert response.status_code == 401


def test_the_openapi_document_describes_the_jpki_endpoints(client: Client) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in ("challenges", "registrations", "logins", "links"):
        assert f"{BASE}/{path}" in paths
    registration = paths[f"{BASE}/registrations"]["post"]
    assert {"201", "200", "403", "409", "422"} <= set(registration["responses"])
