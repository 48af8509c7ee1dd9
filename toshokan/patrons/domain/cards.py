"""Library card numbers: a library prefix, a serial number and a Luhn (mod 10) check digit.

The check digit lets a desk scanner or the self-check refuse a misread or mistyped number before
anything is looked up — the same scheme as the copies' barcodes (catalog.demo). Pure functions.
"""

from __future__ import annotations

SERIAL_DIGITS = 8


def luhn_digit(digits: str) -> str:
    """The check digit that makes `digits` + it pass the Luhn test."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:  # every second digit from the right, starting with the last payload digit
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def make_card_number(prefix: str, serial: int) -> str:
    if not prefix.isdigit():
        raise ValueError(f"a card prefix is digits only: {prefix!r}")
    if not 0 < serial < 10**SERIAL_DIGITS:
        raise ValueError(f"serial {serial} does not fit in {SERIAL_DIGITS} digits")
    payload = f"{prefix}{serial:0{SERIAL_DIGITS}d}"
    return payload + luhn_digit(payload)


def normalise_card_number(text: str) -> str:
    """What a person or a scanner typed, as the stored form: digits only (full-width digits,
    spaces and hyphens as printed on the card are accepted; Codabar start/stop letters dropped)."""
    import unicodedata

    text = unicodedata.normalize("NFKC", text).strip()
    if len(text) >= 2 and text[0] in "ABCDabcd" and text[-1] in "ABCDabcd":
        text = text[1:-1]
    return "".join(ch for ch in text if ch not in " -")


def is_valid_card_number(number: str) -> bool:
    return (
        len(number) >= 2 and number.isdigit() and number.isascii() and luhn_digit(number[:-1]) == number[-1]
    )
