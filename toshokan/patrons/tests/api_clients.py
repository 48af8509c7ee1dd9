"""Callers of the JSON API for tests: staff with a real API token and the desk's permissions,
and patrons logged in through POST /api/v1/patron/session (a real session and CSRF token)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client

from toshokan.core import tokens
from toshokan.patrons.models import Patron
from toshokan.patrons.tests.factories import PIN

DESK = ("circulation.add_loan", "patrons.add_patron", "patrons.change_patron")
MANAGER = (*DESK, "patrons.add_patronblock", "circulation.change_circulationsettings")
CATALOGUER = ("catalog.add_record", "catalog.change_record", "catalog.add_holding", "catalog.change_holding")


def staff_user(username: str, perms: tuple[str, ...]) -> Any:
    user = get_user_model().objects.create_user(username, password="pw-" + username, is_staff=True)
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


class StaffClient(Client):
    """A client sending `Authorization: Bearer <token>` for `user`."""

    def __init__(self, user: Any, token: str) -> None:
        super().__init__(HTTP_AUTHORIZATION=f"Bearer {token}")
        self.user = user


def staff_client(username: str = "desk", perms: tuple[str, ...] = DESK) -> StaffClient:
    """A new staff account holding `perms`, calling with a real API token."""
    user = staff_user(username, perms)
    _row, token = tokens.create_api_token(user=user, name="test")
    return StaffClient(user, token)


class PatronClient(Client):
    """A browser-like client with a patron session, sending the CSRF token on unsafe methods."""

    csrf_token = ""

    def generic(self, method: str, path: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if method not in ("GET", "HEAD", "OPTIONS") and self.csrf_token:
            kwargs.setdefault("HTTP_X_CSRFTOKEN", self.csrf_token)
        return super().generic(method, path, *args, **kwargs)


def patron_client(patron: Patron, pin: str = PIN) -> PatronClient:
    client = PatronClient(enforce_csrf_checks=True)
    response = client.post(
        "/api/v1/patron/session",
        {"card_number": patron.card_number, "pin": pin},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    client.csrf_token = response.json()["csrf_token"]
    return client


def post(client: Client, path: str, body: dict[str, Any] | None = None, **headers: str) -> Any:
    return client.post(path, body or {}, content_type="application/json", headers=headers)
