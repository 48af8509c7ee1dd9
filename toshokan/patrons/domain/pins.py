"""Patron PINs (暗証番号): what is accepted, and how they are stored.

A PIN is typed on self-check keypads and phones, so it is digits only, 4 to 8 of them. It is stored
only as an Argon2id hash (argon2-cffi, with the OWASP minimum parameters: 19 MiB, 2 passes, 1 lane
— light enough for a self-check that verifies one on every transaction, far beyond brute force
offline). No clock, no database: pure functions over the hash string.
"""

from __future__ import annotations

import functools

import argon2

from toshokan.core.domain import DomainError

MIN_LENGTH = 4
MAX_LENGTH = 8

_hasher = argon2.PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)


class InvalidPin(DomainError):
    code = "invalid_pin"


def check_pin_policy(pin: str) -> None:
    if not (pin.isascii() and pin.isdigit() and MIN_LENGTH <= len(pin) <= MAX_LENGTH):
        raise InvalidPin(
            f"暗証番号は{MIN_LENGTH}〜{MAX_LENGTH}桁の数字です (a PIN is {MIN_LENGTH}-{MAX_LENGTH} digits)"
        )
    if len(set(pin)) == 1:
        raise InvalidPin(
            "同じ数字だけの暗証番号は使えません (a PIN of one repeated digit is too easy to guess)"
        )


def hash_pin(pin: str) -> str:
    check_pin_policy(pin)
    return _hasher.hash(pin)


def verify_pin(pin_hash: str, pin: str) -> bool:
    if not pin_hash or not pin:
        return False
    try:
        return _hasher.verify(pin_hash, pin)
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        return False


@functools.cache
def dummy_hash() -> str:
    """A hash no PIN matches the way a patron's does (its secret is not a valid PIN), to verify
    against when there is no patron: the answer then takes as long as for a real card."""
    return _hasher.hash("no patron has this PIN")


def needs_rehash(pin_hash: str) -> bool:
    return _hasher.check_needs_rehash(pin_hash)
