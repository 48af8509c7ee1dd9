"""Recognising a 12-digit Individual Number (個人番号) so that toshokan can refuse to take one in.

toshokan never asks for the Individual Number and has nowhere to keep it; the only places one could
slip in are the few things a person types during a card registration (an e-mail address, a
workplace). A 12-digit run whose last digit is the check digit of the other eleven — the formula of
the 番号法施行令 第8条 (weights 2–7 then 2–6 from the right, modulo 11) — is refused there, and
never stored or logged. Pure functions.
"""

from __future__ import annotations

import re
import unicodedata

_TWELVE = re.compile(r"(?<!\d)\d{12}(?!\d)")
_SEPARATORS = re.compile(r"(?<=\d)[\s\-‐－ー]+(?=\d)")


def check_digit(eleven: str) -> int:
    """The check digit for the first eleven digits of an Individual Number."""
    total = 0
    for n, ch in enumerate(reversed(eleven), start=1):
        q = n + 1 if n <= 6 else n - 5
        total += int(ch) * q
    remainder = total % 11
    return 0 if remainder <= 1 else 11 - remainder


def is_individual_number(digits: str) -> bool:
    return (
        len(digits) == 12
        and digits.isascii()
        and digits.isdigit()
        and check_digit(digits[:11]) == int(digits[11])
    )


def contains_individual_number(text: str) -> bool:
    """Whether `text` holds twelve digits (full-width, or split by spaces and hyphens as printed
    on the card: 1234 5678 9012) that form a valid Individual Number."""
    flat = _SEPARATORS.sub("", unicodedata.normalize("NFKC", text))
    return any(is_individual_number(m.group()) for m in _TWELVE.finditer(flat))
