"""Card numbers, PINs and registration periods: pure rules."""

from __future__ import annotations

from datetime import date

import pytest

from toshokan.patrons.domain import pins, registration
from toshokan.patrons.domain.cards import (
    is_valid_card_number,
    luhn_digit,
    make_card_number,
    normalise_card_number,
)
from toshokan.patrons.domain.enums import Residency


def test_card_numbers_carry_a_luhn_check_digit():
    number = make_card_number("2900", 1)
    assert number == "290000000001" + luhn_digit("290000000001")
    assert is_valid_card_number(number)
    assert luhn_digit("7992739871") == "3"  # the textbook example
    wrong_last = number[:-1] + str((int(number[-1]) + 1) % 10)
    assert not is_valid_card_number(wrong_last)
    assert not is_valid_card_number("2900000000120" if number != "2900000000120" else "2900000000210")
    with pytest.raises(ValueError):
        make_card_number("29A0", 1)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("２９００ ０００ ０００１", "29000000001"),
        ("A2900-0000-0001B", "290000000001"),
        (" 2900000000017 ", "2900000000017"),
    ],
)
def test_typed_and_scanned_card_numbers_normalise(typed, stored):
    assert normalise_card_number(typed) == stored


@pytest.mark.parametrize("pin", ["123", "123456789", "12a4", "１２３４", "0000"])
def test_weak_or_malformed_pins_are_refused(pin):
    with pytest.raises(pins.InvalidPin):
        pins.hash_pin(pin)


def test_pins_are_stored_as_argon2id_and_verified():
    stored = pins.hash_pin("4821")
    assert stored.startswith("$argon2id$") and "4821" not in stored
    assert pins.verify_pin(stored, "4821")
    assert not pins.verify_pin(stored, "4822")
    assert not pins.verify_pin("", "4821")
    assert not pins.verify_pin("not-a-hash", "4821")


@pytest.mark.parametrize(
    ("registered", "residency", "expires"),
    [
        (date(2026, 4, 1), Residency.RESIDENT, date(2029, 4, 1)),
        (date(2028, 2, 29), Residency.COMMUTER, date(2029, 2, 28)),
        (date(2026, 4, 1), Residency.OTHER_AREA, date(2027, 4, 1)),
    ],
)
def test_registration_periods(registered, residency, expires):
    assert registration.expiry_date(registered, residency) == expires


def test_renewal_opens_a_month_before_expiry_and_extends_from_the_old_date():
    expires = date(2027, 4, 1)
    assert not registration.can_renew(expires, date(2027, 2, 15))
    assert registration.can_renew(expires, date(2027, 3, 5))
    assert registration.renewed_expiry(expires, date(2027, 3, 5), Residency.OTHER_AREA) == date(2028, 4, 1)
    # Renewing after it lapsed counts from the day of renewal.
    assert registration.renewed_expiry(expires, date(2027, 6, 1), Residency.OTHER_AREA) == date(2028, 6, 1)
