"""Rules and calendars a process reuses for a few seconds, and reads afresh after that."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from toshokan.circulation import selectors
from toshokan.circulation.models import CirculationRule, WeeklyClosure
from toshokan.circulation.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache() -> Iterator[None]:
    selectors.forget_cached_config()
    yield
    selectors.forget_cached_config()


def test_with_no_ttl_every_read_sees_the_latest_rules(settings):
    settings.TOSHOKAN_CIRCULATION_CONFIG_TTL_S = 0
    assert selectors.rules() == []
    CirculationRule.objects.create(loan_days=21)
    assert [r.policy.loan_days for r in selectors.rules()] == [21]


def test_within_the_ttl_rules_and_calendars_are_read_once(settings, django_assert_num_queries):
    settings.TOSHOKAN_CIRCULATION_CONFIG_TTL_S = 60
    branch = factories.branch()
    CirculationRule.objects.create(loan_days=21)
    WeeklyClosure.objects.create(branch=branch, weekday=0)
    with django_assert_num_queries(3):  # the rules, the weekly closures, the closed days
        for _ in range(3):
            assert [r.policy.loan_days for r in selectors.rules()] == [21]
            assert not selectors.calendar_for(branch).is_open(date(2026, 12, 7))  # a Monday
    CirculationRule.objects.update(loan_days=7)
    assert [r.policy.loan_days for r in selectors.rules()] == [21]  # within the TTL: as read
    selectors.forget_cached_config()
    assert [r.policy.loan_days for r in selectors.rules()] == [7]


def test_after_the_ttl_the_rules_are_read_again(settings, monkeypatch):
    settings.TOSHOKAN_CIRCULATION_CONFIG_TTL_S = 5
    clock = [1000.0]
    monkeypatch.setattr("toshokan.circulation.selectors.time.monotonic", lambda: clock[0])
    CirculationRule.objects.create(loan_days=21)
    assert [r.policy.loan_days for r in selectors.rules()] == [21]
    CirculationRule.objects.update(loan_days=7)
    clock[0] += 4.9
    assert [r.policy.loan_days for r in selectors.rules()] == [21]
    clock[0] += 0.2
    assert [r.policy.loan_days for r in selectors.rules()] == [7]
