"""The API over real HTTP (pytest-django's live server and the standard library's cookie jar, as a
JSON client would use it): the session cookie's attributes, CSRF from the login answer, a staff
token, and a hold placed and seen by the patron."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from http.cookiejar import CookieJar
from typing import Any

import pytest

from toshokan.circulation.tests import factories
from toshokan.patrons.tests import factories as patron_factories
from toshokan.patrons.tests.api_clients import DESK, staff_user

pytestmark = pytest.mark.django_db(transaction=True)


class JsonClient:
    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.headers: dict[str, str] = {}
        self.set_cookies: list[str] = []

    def call(self, method: str, path: str, body: Any = None, **headers: str) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method)
        for name, value in {**self.headers, **headers, "Content-Type": "application/json"}.items():
            request.add_header(name, value)
        try:
            with self.opener.open(request, timeout=30) as response:
                self.set_cookies = response.headers.get_all("Set-Cookie") or []
                raw = response.read()
                return response.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"null")


def test_a_json_client_logs_in_places_a_hold_and_logs_out_over_http(live_server):
    factories.branch("central")
    p = patron_factories.patron()
    item = factories.copy()
    client = JsonClient(live_server.url)

    status, _ = client.call("GET", "/api/v1/me")
    assert status == 401
    status, session = client.call(
        "POST", "/api/v1/patron/session", {"card_number": p.card_number, "pin": "4321"}
    )
    assert status == 200
    session_cookie = next(c for c in client.set_cookies if c.startswith("sessionid="))
    assert "HttpOnly" in session_cookie and "SameSite=Lax" in session_cookie

    status, body = client.call(
        "POST", "/api/v1/me/holds", {"record_id": item.record_id, "pickup_branch": "central"}
    )
    assert status == 403 and body["error"] == "csrf_failed"
    client.headers["X-CSRFToken"] = session["csrf_token"]
    status, hold = client.call(
        "POST", "/api/v1/me/holds", {"record_id": item.record_id, "pickup_branch": "central"}
    )
    assert status == 201, hold
    status, holds = client.call("GET", "/api/v1/me/holds")
    assert [h["id"] for h in holds] == [hold["id"]] and holds[0]["estimate"]["position"] == 1

    assert client.call("DELETE", "/api/v1/patron/session")[0] == 204
    assert client.call("GET", "/api/v1/me/holds")[0] == 401


def test_a_staff_token_over_http(live_server):
    from toshokan.core.tokens import create_api_token

    factories.branch("central")
    p = patron_factories.patron()
    item = factories.copy()
    _row, token = create_api_token(user=staff_user("desk", DESK), name="live")
    client = JsonClient(live_server.url)
    body = {"barcode": item.barcode, "card_number": p.card_number, "branch": "central"}
    assert client.call("POST", "/api/v1/loans", body)[0] == 401
    client.headers["Authorization"] = f"Bearer {token}"
    status, loan = client.call("POST", "/api/v1/loans", body, **{"Idempotency-Key": "live-1"})
    assert status == 201 and loan["barcode"] == item.barcode
    assert client.call("POST", "/api/v1/loans", body, **{"Idempotency-Key": "live-1"}) == (201, loan)
