"""Standard identifiers: validation and normal forms.

ISBN: ISO 2108 check digits (mod 11 for ISBN-10, mod 10 with weights 1/3 for ISBN-13); the normal
form is the 13-digit ISBN without hyphens, so ISBN-10 and ISBN-13 of one book meet. ISSN: ISO 3297.
JP番号 (全国書誌番号): eight digits (older numbers) or nine. NDL bib id: NDL Search's NDLBibID.
"""

from __future__ import annotations

import re
import unicodedata

from toshokan.core.domain import DomainError

from .enums import IdentifierScheme


class InvalidIdentifier(DomainError):
    code = "invalid_identifier"


_ISBN_CHARS = re.compile(r"[0-9Xx]")


def _isbn10_check(digits: str) -> str:
    total = sum((10 - i) * int(d) for i, d in enumerate(digits[:9]))
    check = (11 - total % 11) % 11
    return "X" if check == 10 else str(check)


def _isbn13_check(digits: str) -> str:
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(digits[:12]))
    return str((10 - total % 10) % 10)


def normalize_isbn(value: str) -> str:
    """The ISBN-13 of `value` (ISBN-10 or -13, with or without hyphens, full-width allowed).

    Raises InvalidIdentifier when the length or the check digit is wrong.
    """
    text = unicodedata.normalize("NFKC", value).strip()
    # MARC 020 $a often carries a qualifier after the number: "4003101014 (pbk.)".
    head = re.match(r"^[\s\-0-9Xx]+", text.replace("ISBN", "").replace("isbn", "").strip(" :"))
    chars = "".join(_ISBN_CHARS.findall(head.group(0) if head else ""))
    if len(chars) == 10:
        if chars[:9].isdigit() and chars[9].upper() == _isbn10_check(chars):
            core = "978" + chars[:9]
            return core + _isbn13_check(core)
        raise InvalidIdentifier(f"ISBN-10 {value!r} has a wrong check digit")
    if len(chars) == 13 and chars.isdigit():
        if chars[:3] in {"978", "979"} and chars[12] == _isbn13_check(chars):
            return chars
        raise InvalidIdentifier(f"ISBN-13 {value!r} has a wrong prefix or check digit")
    raise InvalidIdentifier(f"{value!r} is not an ISBN (10 or 13 digits)")


def isbn10(isbn13: str) -> str | None:
    """The ISBN-10 form of a 978- ISBN-13 (979- numbers have none)."""
    if not isbn13.startswith("978"):
        return None
    core = isbn13[3:12]
    return core + _isbn10_check(core)


def hyphenless(value: str) -> str:
    return re.sub(r"[\s\-‐－]", "", unicodedata.normalize("NFKC", value))


def normalize_issn(value: str) -> str:
    chars = hyphenless(value).upper()[:8]
    if not re.fullmatch(r"\d{7}[\dX]", chars):
        raise InvalidIdentifier(f"{value!r} is not an ISSN")
    total = sum((8 - i) * int(d) for i, d in enumerate(chars[:7]))
    check = (11 - total % 11) % 11
    if chars[7] != ("X" if check == 10 else str(check)):
        raise InvalidIdentifier(f"ISSN {value!r} has a wrong check digit")
    return f"{chars[:4]}-{chars[4:]}"


def normalize_identifier(scheme: IdentifierScheme, value: str) -> str:
    """The stored form of an identifier; raises InvalidIdentifier for a malformed one."""
    if scheme is IdentifierScheme.ISBN:
        return normalize_isbn(value)
    if scheme is IdentifierScheme.ISSN:
        return normalize_issn(value)
    text = hyphenless(value).strip()
    if scheme is IdentifierScheme.AOZORA:
        if not text.isdigit() or len(text) > 6:
            raise InvalidIdentifier(f"Aozora work id {value!r} must be up to six digits")
        return text.zfill(6)
    if scheme is IdentifierScheme.JPNO:
        text = text.upper().removeprefix("JP")
        if not re.fullmatch(r"\d{8,9}", text):
            raise InvalidIdentifier(f"JP number {value!r} must be eight or nine digits")
        return text
    if scheme is IdentifierScheme.NDL:
        if not re.fullmatch(r"[0-9A-Za-z\-]{1,20}", text):
            raise InvalidIdentifier(f"NDL bib id {value!r} is malformed")
        return text
    if not text:
        raise InvalidIdentifier(f"empty {scheme} identifier")
    return text
