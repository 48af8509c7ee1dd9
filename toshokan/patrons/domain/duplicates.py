"""Is this applicant someone already registered? (二重登録の防止)

One person, one card: a library lends against a card's limits, and two cards double them. An
online applicant is compared with existing patrons by date of birth and name — the name as written
or its reading, since either may be typed differently: full- or half-width, with or without the
space between family and given name, in old or new kanji (髙橋/高橋, 﨑/崎), the reading in
hiragana or katakana. Both are compared as match keys from toshokan.core.japanese.normalize.fold,
the same folding search uses. A match is only *likely* the same person — twins share a birth
date, namesakes exist — so it goes to staff, who see both with an identity document in hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from toshokan.core.japanese.normalize import fold


@dataclass(frozen=True)
class Person:
    family_name: str
    given_name: str
    name_reading: str
    birth_date: date | None


def name_key(family_name: str, given_name: str) -> str:
    return fold(f"{family_name}{given_name}")


def reading_key(name_reading: str) -> str:
    return fold(name_reading)


def likely_same(a: Person, b: Person) -> bool:
    """Same date of birth, and the same name or the same reading once folded."""
    if a.birth_date is None or a.birth_date != b.birth_date:
        return False
    if name_key(a.family_name, a.given_name) == name_key(b.family_name, b.given_name):
        return True
    ra, rb = reading_key(a.name_reading), reading_key(b.name_reading)
    return bool(ra) and ra == rb
