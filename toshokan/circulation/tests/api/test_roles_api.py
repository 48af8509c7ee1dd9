"""The API and the desk pages ask for the same permissions, and the demo's role groups grant them:
a desk account may lend but not block, a manager may also block and expire holds, a cataloguer
may do neither."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from toshokan.circulation import desk as desk_pages
from toshokan.circulation.tests import factories
from toshokan.core import demo_staff, tokens
from toshokan.patrons import api_auth
from toshokan.patrons.tests import factories as patron_factories
from toshokan.patrons.tests.api_clients import post

pytestmark = pytest.mark.django_db


def test_the_api_asks_for_the_desk_pages_permissions():
    assert api_auth.USE_DESK == desk_pages.USE_DESK
    assert api_auth.REGISTER_PATRONS == desk_pages.REGISTER_PATRONS
    assert api_auth.CHANGE_PATRONS == desk_pages.CHANGE_PATRONS
    assert api_auth.MANAGE_BLOCKS == desk_pages.MANAGE_BLOCKS


def client_in_role(role: str) -> Client:
    group = Group.objects.create(name=role)
    group.permissions.set(demo_staff.permissions(demo_staff.ROLES[role][1]))
    user = get_user_model().objects.create_user(f"{role}-1", is_staff=True)
    user.groups.add(group)
    _row, token = tokens.create_api_token(user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.mark.parametrize(
    ("role", "lend", "block", "expire"),
    [("desk", 201, 403, 403), ("manager", 201, 201, 200), ("cataloguer", 403, 403, 403)],
)
def test_the_demo_roles_grant_what_the_api_needs(role, lend, block, expire):
    factories.branch("central")
    p = patron_factories.patron()
    item = factories.copy()
    caller = client_in_role(role)
    body = {"barcode": item.barcode, "card_number": p.card_number, "branch": "central"}
    assert post(caller, "/api/v1/loans", body).status_code == lend
    assert post(caller, f"/api/v1/patrons/{p.card_number}/blocks", {"reason": "other"}).status_code == block
    assert post(caller, "/api/v1/holds/expire").status_code == expire
