"""Requests with a session, as the ceremonies keep their challenges there."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpRequest
from django.test import RequestFactory

from toshokan.passkeys.tests.authenticator import SoftAuthenticator

HOST = "localhost:8000"
ORIGIN = f"http://{HOST}"


@pytest.fixture
def make_request() -> Callable[..., HttpRequest]:
    session = SessionStore()

    def make(host: str = HOST, *, secure: bool = False, fresh_session: bool = False) -> HttpRequest:
        nonlocal session
        if fresh_session:
            session = SessionStore()
        request = RequestFactory().post("/", HTTP_HOST=host, secure=secure, REMOTE_ADDR="10.0.0.7")
        request.session = session
        return request

    return make


@pytest.fixture
def authenticator() -> SoftAuthenticator:
    return SoftAuthenticator(origin=ORIGIN)
