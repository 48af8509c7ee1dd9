"""Staff API tokens: made once, stored only as a digest, revocable, and made by a command."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from toshokan.core import tokens
from toshokan.core.models import ApiToken
from toshokan.staff.testing import sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_user():
    return get_user_model().objects.create_user("desk1", password="x", is_staff=True)


def test_a_token_finds_its_user_and_only_its_digest_is_stored(staff_user):
    row, token = tokens.create_api_token(user=staff_user, name="self-check")
    assert token.startswith("tsk_") and len(token) > 40
    assert tokens.user_for_token(token) == staff_user
    stored = ApiToken.objects.get(pk=row.pk)
    assert token not in {stored.digest, stored.prefix} and stored.digest == tokens.digest(token)
    assert stored.last_used_at is not None


def test_a_revoked_or_unknown_token_or_an_inactive_user_finds_no_one(staff_user):
    row, token = tokens.create_api_token(user=staff_user, name="x")
    assert tokens.user_for_token(token + "x") is None
    assert tokens.user_for_token("not-a-token") is None
    staff_user.is_active = False
    staff_user.save()
    assert tokens.user_for_token(token) is None
    staff_user.is_active = True
    staff_user.save()
    tokens.revoke_api_token(token=row)
    assert tokens.user_for_token(token) is None


def test_create_api_token_prints_a_working_token(staff_user):
    out = StringIO()
    call_command("create_api_token", "desk1", "--name", "script", stdout=out)
    token = out.getvalue().strip()
    assert tokens.user_for_token(token) == staff_user
    assert ApiToken.objects.get().name == "script"


def test_create_api_token_refuses_an_unknown_user():
    with pytest.raises(CommandError, match="no user"):
        call_command("create_api_token", "nobody")


def test_the_admin_makes_a_token_shows_it_once_and_revokes_it(client, staff_user):
    admin = get_user_model().objects.create_superuser("boss", password="pw")
    sign_in(client, admin)
    response = client.post("/admin/core/apitoken/add/", {"user": staff_user.pk, "name": "kiosk"}, follow=True)
    assert response.status_code == 200
    shown = [str(m) for m in response.context["messages"]]
    token = next(word for m in shown for word in m.split() if word.startswith("tsk_"))
    assert tokens.user_for_token(token) == staff_user
    row = ApiToken.objects.get()
    client.post("/admin/core/apitoken/", {"action": "revoke", "_selected_action": [row.pk]}, follow=True)
    assert tokens.user_for_token(token) is None
    assert ApiToken.objects.get().revoked_at is not None
