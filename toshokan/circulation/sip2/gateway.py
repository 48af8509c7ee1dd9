"""The narrow interface between the SIP2 server and the library: what a self-check may ask.

The server speaks SIP2 and knows nothing of models or services; a Gateway answers in plain
dataclasses. `ServicesGateway` (services_gateway.py, kept apart so that this module and the server
import no Django) implements it over circulation's and patrons' services; tests also use an
in-memory one. Methods are synchronous: the server runs them in
worker threads, off its event loop, because the ORM blocks.

Refusals are results, not exceptions (`ok=False` with a screen message), since a kiosk shows the
message to the patron; exceptions mean the ACS itself failed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from .messages import CirculationStatus, PatronStatusFlag


@dataclass(frozen=True)
class Patron:
    """What a Patron Status or Patron Information response says about a card."""

    card: str
    valid: bool  # BL: the card is known
    pin_ok: bool | None = None  # CQ: None when no PIN was given (the field is then left out)
    name: str = ""
    flags: frozenset[PatronStatusFlag] = frozenset()
    screen_message: str = ""
    email: str = ""
    charged_limit: int | None = None
    hold_limit: int | None = None
    charged_items: tuple[str, ...] = ()  # barcodes
    overdue_items: tuple[str, ...] = ()
    hold_items: tuple[str, ...] = ()  # titles or barcodes of holds ready or waiting
    unavailable_hold_items: tuple[str, ...] = ()


@dataclass(frozen=True)
class Item:
    barcode: str
    found: bool
    title: str = ""
    status: CirculationStatus = CirculationStatus.OTHER
    due: datetime | None = None
    permanent_location: str = ""  # branch code
    current_location: str = ""  # branch code
    hold_queue_length: int = 0
    media_type: str = "000"  # SIP2 media type: 000 other, 001 book, 002 magazine, ... 006 CD
    screen_message: str = ""


@dataclass(frozen=True)
class Checkout:
    ok: bool
    barcode: str
    card: str
    title: str = ""
    due: datetime | None = None
    renewal_ok: bool = False  # the kiosk asked for a checkout of an item the patron already had: renewed
    screen_message: str = ""
    code: str = ""  # the refusal's stable code, for logs


@dataclass(frozen=True)
class Checkin:
    ok: bool
    barcode: str
    title: str = ""
    permanent_location: str = ""
    card: str = ""  # AA: whose loan it was (left out: patrons' privacy, see the server)
    alert: bool = False  # put it aside: a hold is waiting or it goes to another branch
    sort_bin: str = ""
    screen_message: str = ""
    code: str = ""


@dataclass(frozen=True)
class Renewal:
    ok: bool
    barcode: str
    card: str
    title: str = ""
    due: datetime | None = None
    screen_message: str = ""
    code: str = ""


@dataclass(frozen=True)
class Summary:
    """Which item list a Patron Information request asks for (one position of its summary field)."""

    holds: bool = False
    overdue: bool = False
    charged: bool = False
    unavailable_holds: bool = False
    start: int = 1  # BP, 1-based
    end: int = 0  # BQ, 0 = to the end

    @classmethod
    def from_field(cls, summary: str, start: str = "", end: str = "") -> Summary:
        flags = summary.ljust(10)
        return cls(
            holds=flags[0] == "Y",
            overdue=flags[1] == "Y",
            charged=flags[2] == "Y",
            unavailable_holds=flags[5] == "Y",
            start=int(start) if start.strip().isdigit() else 1,
            end=int(end) if end.strip().isdigit() else 0,
        )


@dataclass
class Terminal:
    """Who is at the other end of a session: the staff account the kiosk logged in as, and where."""

    user: str = ""
    location: str = ""  # CP from the login, or AP/AO as sent
    extra: dict[str, str] = field(default_factory=dict)


class Gateway(Protocol):
    def login(self, user: str, password: str) -> bool:
        """True when `user` is an active staff account with this password (SIP2 login 93)."""
        ...

    def patron_status(self, card: str, pin: str | None) -> Patron: ...

    def patron_information(
        self, card: str, pin: str | None, summary: Summary, *, terminal: Terminal | None = None
    ) -> Patron:
        """The patron's status and item lists. Lists given to a terminal without the patron's
        PIN are a staff read of the patron's loans and holds: the gateway audits them."""
        ...

    def item_information(self, barcode: str) -> Item: ...

    def checkout(
        self,
        card: str,
        pin: str | None,
        barcode: str,
        branch: str,
        *,
        terminal: Terminal,
        renew_if_borrowed: bool = False,
    ) -> Checkout:
        """Lend the copy. With `renew_if_borrowed` (the SC's renewal policy is Y), a copy the patron
        already has is renewed instead, and the result says so (`renewal_ok`)."""
        ...

    def checkin(
        self, barcode: str, branch: str, return_date: datetime | None, *, terminal: Terminal
    ) -> Checkin: ...

    def renew(self, card: str, pin: str | None, barcode: str, *, terminal: Terminal) -> Renewal: ...

    def close(self) -> None:
        """Release what the current worker thread holds (database connections)."""
        ...
