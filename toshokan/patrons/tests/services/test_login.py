"""Patron login with card and PIN: throttled per card and per client address; PIN changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from toshokan.patrons import services
from toshokan.patrons.domain.pins import InvalidPin
from toshokan.patrons.domain.throttle import ADDRESS_RULE, CARD_RULE
from toshokan.patrons.models import LoginThrottle
from toshokan.patrons.tests import factories

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)


def test_the_right_card_and_pin_log_in_and_clear_the_cards_count():
    patron = factories.patron()
    with pytest.raises(services.AuthenticationFailed):
        services.log_in(card_number=patron.card_number, pin="0000", client_address="10.0.0.1", now=NOW)
    assert LoginThrottle.objects.count() == 2
    assert (
        services.log_in(
            card_number=f" {patron.card_number} ", pin=factories.PIN, client_address="10.0.0.1", now=NOW
        )
        == patron
    )
    assert LoginThrottle.objects.count() == 1  # the address keeps its count


def test_the_throttle_table_holds_neither_card_numbers_nor_addresses():
    patron = factories.patron()
    with pytest.raises(services.AuthenticationFailed):
        services.log_in(card_number=patron.card_number, pin="0000", client_address="10.0.0.1", now=NOW)
    keys = " ".join(LoginThrottle.objects.values_list("key", flat=True))
    assert patron.card_number not in keys and "10.0.0.1" not in keys


def test_a_card_is_locked_after_repeated_wrong_pins_even_for_the_right_pin():
    patron = factories.patron()
    for i in range(CARD_RULE.max_failures):
        with pytest.raises(services.AuthenticationFailed):
            services.log_in(card_number=patron.card_number, pin="0000", client_address=f"10.0.0.{i}", now=NOW)
    with pytest.raises(services.LoginThrottled) as excinfo:
        services.log_in(card_number=patron.card_number, pin=factories.PIN, client_address="10.0.1.1", now=NOW)
    assert excinfo.value.until == NOW + CARD_RULE.lockout
    later = NOW + CARD_RULE.lockout
    assert services.log_in(
        card_number=patron.card_number, pin=factories.PIN, client_address="10.0.1.1", now=later
    )


def test_an_address_trying_many_cards_is_locked():
    patron = factories.patron()
    for i in range(ADDRESS_RULE.max_failures):
        with pytest.raises(services.AuthenticationFailed):
            services.log_in(card_number=f"29000000{i:05d}", pin="1357", client_address="192.0.2.7", now=NOW)
    with pytest.raises(services.LoginThrottled):
        services.log_in(
            card_number=patron.card_number, pin=factories.PIN, client_address="192.0.2.7", now=NOW
        )
    # Another address is not affected.
    assert services.log_in(
        card_number=patron.card_number, pin=factories.PIN, client_address="192.0.2.8", now=NOW
    )


def test_old_failures_are_deleted_as_new_ones_come():
    patron = factories.patron()
    with pytest.raises(services.AuthenticationFailed):
        services.log_in(card_number=patron.card_number, pin="0000", client_address="10.0.0.1", now=NOW)
    later = NOW + timedelta(hours=1)
    with pytest.raises(services.AuthenticationFailed):
        services.log_in(card_number="290000000001", pin="0000", client_address="10.0.0.2", now=later)
    assert LoginThrottle.objects.count() == 2
    assert set(LoginThrottle.objects.values_list("since", flat=True)) == {later}


def test_a_pin_change_needs_the_current_pin_and_a_valid_new_one():
    patron = factories.patron()
    with pytest.raises(services.AuthenticationFailed):
        services.change_pin(patron=patron, current_pin="9999", new_pin="2468")
    with pytest.raises(InvalidPin):
        services.change_pin(patron=patron, current_pin=factories.PIN, new_pin="12")
    services.change_pin(patron=patron, current_pin=factories.PIN, new_pin="2468")
    assert services.authenticate(card_number=patron.card_number, pin="2468") == patron
    with pytest.raises(services.AuthenticationFailed):
        services.authenticate(card_number=patron.card_number, pin=factories.PIN)


def test_wrong_current_pins_at_a_pin_change_count_against_the_card():
    patron = factories.patron()
    for _ in range(CARD_RULE.max_failures):
        with pytest.raises(services.AuthenticationFailed):
            services.change_pin(patron=patron, current_pin="9999", new_pin="2468", now=NOW)
    with pytest.raises(services.LoginThrottled):
        services.change_pin(patron=patron, current_pin=factories.PIN, new_pin="2468", now=NOW)
    with pytest.raises(services.LoginThrottled):
        services.log_in(card_number=patron.card_number, pin=factories.PIN, client_address="10.0.0.1", now=NOW)


def test_an_unknown_card_or_one_without_a_pin_costs_a_pin_verification_too(monkeypatch):
    from toshokan.patrons.domain import pins

    without_pin = factories.patron(pin="")
    calls: list[str] = []
    real = pins.verify_pin

    def spy(pin_hash: str, pin: str) -> bool:
        calls.append(pin_hash)
        return real(pin_hash, pin)

    monkeypatch.setattr(pins, "verify_pin", spy)
    for card in ("2900999999999", without_pin.card_number):
        with pytest.raises(services.AuthenticationFailed):
            services.authenticate(card_number=card, pin="no patron has this PIN")
    assert calls == [pins.dummy_hash(), pins.dummy_hash()]
    assert pins.dummy_hash().startswith("$argon2id$")
