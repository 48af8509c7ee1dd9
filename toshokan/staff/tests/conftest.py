"""Staff accounts in their roles, with and without a second factor."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from toshokan.core import demo_staff

PASSWORD = "staff-test-password"


def make_staff(username: str, role: str = "desk", **extra: Any):
    demo_staff.ensure_groups()
    user = get_user_model().objects.create_user(username, password=PASSWORD, is_staff=True, **extra)
    user.is_superuser = role == "admin"
    user.save()
    user.groups.set(Group.objects.filter(name=role))
    return user


@pytest.fixture
def desk_user(db):
    return make_staff("desk1", "desk")


@pytest.fixture(autouse=True)
def branches(request):
    """Two branches (the desk needs one to work at), for the tests that use the database."""
    if "django_db" not in {m.name for m in request.node.iter_markers()} and "db" not in request.fixturenames:
        return None
    from toshokan.catalog.tests import factories

    request.getfixturevalue("db")
    return [factories.branch("central", "中央図書館", 0), factories.branch("kita", "北分館", 1)]
