"""What a provisional card (仮登録) may do before staff have seen the holder's identity document.

A person who registers online without the My Number card gets a card at once, provisionally:
nothing proves yet that they are who and where they say. The library decides what that card may
do meanwhile; the usual answer, and toshokan's default, is that it may reserve (a hold costs the
library nothing until the book is picked up at the counter, where the ID is seen) and use
e-resources, but not borrow at the desk until verified. A provisional card not verified within
`days` days expires. The keys live in TOSHOKAN_REGISTRATION_RULES beside the eligibility rules:

    PROVISIONAL_MAY_HOLD    (True)   place holds online
    PROVISIONAL_MAY_BORROW  (False)  borrow at the desk (or a self-check) before verification
    PROVISIONAL_DAYS        (30)     days to come to the counter before the card expires
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .enums import PatronStatus


@dataclass(frozen=True)
class ProvisionalRules:
    may_hold: bool = True
    may_borrow: bool = False
    days: int = 30

    def __post_init__(self) -> None:
        if self.days < 1:
            raise ValueError("PROVISIONAL_DAYS must be at least 1")


def provisional_rules_from_mapping(config: Mapping[str, Any] | None) -> ProvisionalRules:
    config = config or {}
    return ProvisionalRules(
        may_hold=bool(config.get("PROVISIONAL_MAY_HOLD", True)),
        may_borrow=bool(config.get("PROVISIONAL_MAY_BORROW", False)),
        days=int(config.get("PROVISIONAL_DAYS", 30)),
    )


def may_hold(status: PatronStatus, rules: ProvisionalRules) -> bool:
    return status == PatronStatus.FULL or rules.may_hold


def may_borrow(status: PatronStatus, rules: ProvisionalRules) -> bool:
    return status == PatronStatus.FULL or rules.may_borrow
