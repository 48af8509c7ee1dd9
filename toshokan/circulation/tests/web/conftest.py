"""Desk tests: staff accounts in their roles, a small library with copies at two branches, and
(for the browser tests) the portal's Playwright fixtures: Debian's chromium against the live server."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser

from toshokan.catalog.models import Branch, Holding, Record
from toshokan.catalog.tests import factories as catalog_factories
from toshokan.core import demo_staff
from toshokan.patrons.models import Patron
from toshokan.patrons.tests import factories as patron_factories
from toshokan.portal.tests.web.conftest import browser, chromium, page, url  # noqa: F401
from toshokan.staff.testing import sign_in

PASSWORD = "desk-test-password"


def staff(username: str, role: str) -> AbstractUser:
    demo_staff.ensure_groups()
    from django.contrib.auth.models import Group

    user = get_user_model().objects.create_user(username=username, password=PASSWORD, is_staff=True)
    user.is_superuser = role == "admin"
    user.save()
    user.groups.set(Group.objects.filter(name=role))
    return user


@dataclass
class Library:
    central: Branch
    kita: Branch
    kokoro: Record
    botchan: Record
    copies: list[Holding]  # kokoro ×2 at central, botchan at central, botchan at kita
    patron: Patron
    other: Patron


def make_library() -> Library:
    central = catalog_factories.branch("central", "中央図書館", 0)
    kita = catalog_factories.branch("kita", "北分館", 1)
    kokoro = catalog_factories.record("こころ", title_reading="こころ")
    botchan = catalog_factories.record("坊っちゃん", title_reading="ぼっちゃん")
    copies = [
        catalog_factories.holding(kokoro, branch_code="central"),
        catalog_factories.holding(kokoro, branch_code="central"),
        catalog_factories.holding(botchan, branch_code="central"),
        catalog_factories.holding(botchan, branch_code="kita"),
    ]
    patron = patron_factories.patron("山田", given_name="花子")
    other = patron_factories.patron("佐藤", given_name="健太")
    return Library(central, kita, kokoro, botchan, copies, patron, other)


@pytest.fixture
def library(db) -> Library:
    return make_library()


@pytest.fixture
def desk_user(db) -> AbstractUser:
    return staff("desk1", "desk")


@pytest.fixture
def desk_client(client, desk_user):
    sign_in(client, desk_user)
    return client
