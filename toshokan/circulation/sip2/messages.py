"""The 3M Standard Interchange Protocol 2.00 wire format: parse and build messages.

Source: 3M "Standard Interchange Protocol Version 2.00" (document 60-9700-6038-7, 2006), the sections
"Messages", "Fields" and "Checksums and Sequence Numbers". A message is a two-digit command id,
fixed-width fields in a set order, then variable fields — two-letter id, value, "|" — and, when error
detection is on, the trailer `AY<sequence digit>AZ<checksum>`, then CR.

Written by hand, not on a library, because none fits what real self-check machines send:
- pysip2 0.1.0 (the only maintained codec on PyPI) rejects the 18 blanks that kiosks put in the
  checkout's and renewal's "nb due date" field, requires exactly four checksum digits, and needs msgspec;
- the `sip2` package is a client only, and invenio-sip2 is bound to Invenio's records and its own
  server.

Tolerances, each one seen in real clients:
- a checksum of fewer than four hex digits (the PyPI `sip2` client drops leading zeros, about one
  message in sixteen) and in lower case;
- a checksum computed over characters rather than over the encoded bytes (clients that sum
  `ord(c)` of a Unicode string); the spec speaks only of ASCII, where the two agree;
- blanks in any date field ("no date"), and unknown variable fields (ignored, kept in `fields`).

Text: the spec is byte-oriented and says nothing of character sets. Japanese text goes on the wire
as UTF-8 unless the encoding is set otherwise (cp932 for older kiosks); the checksum is computed
over the encoded bytes. Pure Python; no Django.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from enum import StrEnum

FIELD_DELIMITER = "|"
MAX_FIELD_BYTES = 255  # "Variable-length fields ... should be no longer than 255 characters"


class Sip2Error(ValueError):
    """A message that cannot be parsed or built."""


class ChecksumMismatch(Sip2Error):
    """The AZ checksum does not match the message; the ACS answers with 96 (request SC resend)."""


@dataclass(frozen=True)
class MessageSpec:
    command: str
    name: str
    fixed: tuple[tuple[str, int], ...]  # (name, width), in wire order
    fields: tuple[str, ...]  # variable field ids in the order the spec lists them

    @property
    def fixed_width(self) -> int:
        return sum(width for _, width in self.fixed)


_DATE = 18  # YYYYMMDDZZZZHHMMSS

SPECS: dict[str, MessageSpec] = {
    spec.command: spec
    for spec in (
        # Requests from the self-check (SC) ...
        MessageSpec("93", "Login", (("uid_algorithm", 1), ("pwd_algorithm", 1)), ("CN", "CO", "CP")),
        MessageSpec(
            "99",
            "SC Status",
            (("status_code", 1), ("max_print_width", 3), ("protocol_version", 4)),
            (),
        ),
        MessageSpec(
            "23",
            "Patron Status Request",
            (("language", 3), ("transaction_date", _DATE)),
            ("AO", "AA", "AC", "AD"),
        ),
        MessageSpec(
            "63",
            "Patron Information",
            (("language", 3), ("transaction_date", _DATE), ("summary", 10)),
            ("AO", "AA", "AC", "AD", "BP", "BQ"),
        ),
        MessageSpec(
            "11",
            "Checkout",
            (("sc_renewal_policy", 1), ("no_block", 1), ("transaction_date", _DATE), ("nb_due_date", _DATE)),
            ("AO", "AA", "AB", "AC", "CH", "AD", "BO", "BI"),
        ),
        MessageSpec(
            "09",
            "Checkin",
            (("no_block", 1), ("transaction_date", _DATE), ("return_date", _DATE)),
            ("AP", "AO", "AB", "AC", "CH", "BI"),
        ),
        MessageSpec(
            "29",
            "Renew",
            (
                ("third_party_allowed", 1),
                ("no_block", 1),
                ("transaction_date", _DATE),
                ("nb_due_date", _DATE),
            ),
            ("AO", "AA", "AD", "AB", "AJ", "AC", "CH", "BO"),
        ),
        MessageSpec("17", "Item Information", (("transaction_date", _DATE),), ("AO", "AB", "AC")),
        MessageSpec("35", "End Patron Session", (("transaction_date", _DATE),), ("AO", "AA", "AC", "AD")),
        MessageSpec("97", "Request ACS Resend", (), ()),
        # ... and the ACS's responses.
        MessageSpec("94", "Login Response", (("ok", 1),), ()),
        MessageSpec(
            "98",
            "ACS Status",
            (
                ("online_status", 1),
                ("checkin_ok", 1),
                ("checkout_ok", 1),
                ("acs_renewal_policy", 1),
                ("status_update_ok", 1),
                ("offline_ok", 1),
                ("timeout_period", 3),
                ("retries_allowed", 3),
                ("date_time_sync", _DATE),
                ("protocol_version", 4),
            ),
            ("AO", "AM", "BX", "AN", "AF", "AG"),
        ),
        MessageSpec(
            "24",
            "Patron Status Response",
            (("patron_status", 14), ("language", 3), ("transaction_date", _DATE)),
            ("AO", "AA", "AE", "BL", "CQ", "BH", "BV", "AF", "AG"),
        ),
        MessageSpec(
            "64",
            "Patron Information Response",
            (
                ("patron_status", 14),
                ("language", 3),
                ("transaction_date", _DATE),
                ("hold_items_count", 4),
                ("overdue_items_count", 4),
                ("charged_items_count", 4),
                ("fine_items_count", 4),
                ("recall_items_count", 4),
                ("unavailable_holds_count", 4),
            ),
            (
                "AO",
                "AA",
                "AE",
                "BZ",
                "CA",
                "CB",
                "BL",
                "CQ",
                "BH",
                "BV",
                "CC",
                "AS",
                "AT",
                "AU",
                "AV",
                "BU",
                "CD",
                "BD",
                "BE",
                "BF",
                "AF",
                "AG",
            ),
        ),
        MessageSpec(
            "12",
            "Checkout Response",
            (
                ("ok", 1),
                ("renewal_ok", 1),
                ("magnetic_media", 1),
                ("desensitize", 1),
                ("transaction_date", _DATE),
            ),
            ("AO", "AA", "AB", "AJ", "AH", "BT", "CI", "BH", "BV", "CK", "CH", "BK", "AF", "AG"),
        ),
        MessageSpec(
            "10",
            "Checkin Response",
            (("ok", 1), ("resensitize", 1), ("magnetic_media", 1), ("alert", 1), ("transaction_date", _DATE)),
            ("AO", "AB", "AQ", "AJ", "CL", "AA", "CK", "CH", "AF", "AG"),
        ),
        MessageSpec(
            "30",
            "Renew Response",
            (
                ("ok", 1),
                ("renewal_ok", 1),
                ("magnetic_media", 1),
                ("desensitize", 1),
                ("transaction_date", _DATE),
            ),
            ("AO", "AA", "AB", "AJ", "AH", "BT", "CI", "BH", "BV", "CK", "CH", "BK", "AF", "AG"),
        ),
        MessageSpec(
            "18",
            "Item Information Response",
            (("circulation_status", 2), ("security_marker", 2), ("fee_type", 2), ("transaction_date", _DATE)),
            ("CF", "AH", "CJ", "CM", "AB", "AJ", "BG", "BH", "BV", "CK", "AQ", "AP", "CH", "AF", "AG"),
        ),
        MessageSpec(
            "36",
            "End Session Response",
            (("end_session", 1), ("transaction_date", _DATE)),
            ("AO", "AA", "AF", "AG"),
        ),
        MessageSpec("96", "Request SC Resend", (), ()),
    )
}

# The 16 positions of BX "supported messages" in the ACS Status message, in the spec's order.
SUPPORTED_MESSAGE_ORDER = (
    "23",
    "11",
    "09",
    "01",
    "99",
    "97",
    "93",
    "63",
    "35",
    "37",
    "17",
    "19",
    "25",
    "15",
    "29",
    "65",
)


class PatronStatusFlag(StrEnum):
    """The 14 positions of the "patron status" fixed field, in the spec's order (Y = applies)."""

    CHARGE_PRIVILEGES_DENIED = "charge_privileges_denied"
    RENEWAL_PRIVILEGES_DENIED = "renewal_privileges_denied"
    RECALL_PRIVILEGES_DENIED = "recall_privileges_denied"
    HOLD_PRIVILEGES_DENIED = "hold_privileges_denied"
    CARD_REPORTED_LOST = "card_reported_lost"
    TOO_MANY_ITEMS_CHARGED = "too_many_items_charged"
    TOO_MANY_ITEMS_OVERDUE = "too_many_items_overdue"
    TOO_MANY_RENEWALS = "too_many_renewals"
    TOO_MANY_CLAIMS_OF_ITEMS_RETURNED = "too_many_claims_of_items_returned"
    TOO_MANY_ITEMS_LOST = "too_many_items_lost"
    EXCESSIVE_OUTSTANDING_FINES = "excessive_outstanding_fines"
    EXCESSIVE_OUTSTANDING_FEES = "excessive_outstanding_fees"
    RECALL_OVERDUE = "recall_overdue"
    TOO_MANY_ITEMS_BILLED = "too_many_items_billed"


class CirculationStatus(StrEnum):
    """Item Information Response "circulation status" (2 digits)."""

    OTHER = "01"
    ON_ORDER = "02"
    AVAILABLE = "03"
    CHARGED = "04"
    CHARGED_NOT_TO_BE_RECALLED = "05"
    IN_PROCESS = "06"
    RECALLED = "07"
    WAITING_ON_HOLD_SHELF = "08"
    WAITING_TO_BE_RESHELVED = "09"
    IN_TRANSIT = "10"
    CLAIMED_RETURNED = "11"
    LOST = "12"
    MISSING = "13"


def patron_status_field(flags: Iterable[PatronStatusFlag]) -> str:
    chosen = set(flags)
    return "".join("Y" if flag in chosen else " " for flag in PatronStatusFlag)


def parse_patron_status(value: str) -> frozenset[PatronStatusFlag]:
    return frozenset(flag for flag, char in zip(PatronStatusFlag, value, strict=False) if char == "Y")


def supported_messages_field(commands: Iterable[str]) -> str:
    chosen = set(commands)
    return "".join("Y" if command in chosen else "N" for command in SUPPORTED_MESSAGE_ORDER)


def yn(value: bool) -> str:
    return "Y" if value else "N"


def ok_digit(value: bool) -> str:
    """The "ok" fixed fields of 12, 10, 30 and 94 are 1/0, not Y/N."""
    return "1" if value else "0"


# --- dates ----------------------------------------------------------------------------------------


def format_date(moment: datetime, tz: tzinfo) -> str:
    """YYYYMMDDZZZZHHMMSS in local time, the zone field blank ("local time is the preferred format")."""
    local = moment.astimezone(tz) if moment.tzinfo else moment
    return local.strftime("%Y%m%d") + "    " + local.strftime("%H%M%S")


def parse_date(value: str, tz: tzinfo) -> datetime | None:
    """An 18-character SIP2 date as an aware datetime, or None when it is blank (no date given).

    A "Z" in the last zone position means UTC; any other zone (or none) is read as local time,
    since the spec's other zone letters are North American and no kiosk here sends them.
    """
    if not value.strip():
        return None
    if len(value) != _DATE or not (value[:8].isdigit() and value[12:].isdigit()):
        raise Sip2Error(f"not a SIP2 date: {value!r}")
    try:
        naive = datetime.strptime(value[:8] + value[12:], "%Y%m%d%H%M%S")
    except ValueError as exc:
        raise Sip2Error(f"not a SIP2 date: {value!r}") from exc
    if value[11] == "Z":
        return naive.replace(tzinfo=UTC)
    if hasattr(tz, "localize"):  # pytz-style zones
        return tz.localize(naive)  # type: ignore[no-any-return]
    return naive.replace(tzinfo=tz)


# --- checksum -------------------------------------------------------------------------------------


def checksum(data: bytes) -> str:
    """The 16-bit two's complement of the sum of the bytes, as four upper-case hex digits."""
    return f"{-sum(data) & 0xFFFF:04X}"


def _sum_matches(total: int, text: str) -> bool:
    return (total + int(text, 16)) & 0xFFFF == 0


# --- messages -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Message:
    """One SIP2 message: fixed fields by name, variable fields as (id, value) pairs in wire order."""

    command: str
    fixed: Mapping[str, str] = field(default_factory=dict)
    fields: Sequence[tuple[str, str]] = ()
    sequence: str | None = None  # AY, when the sender uses error detection
    checksum: str | None = None  # AZ as received

    @property
    def spec(self) -> MessageSpec:
        return SPECS[self.command]

    @property
    def name(self) -> str:
        spec = SPECS.get(self.command)
        return spec.name if spec else f"message {self.command}"

    def get(self, field_id: str, default: str = "") -> str:
        """The first value of a variable field."""
        for fid, value in self.fields:
            if fid == field_id:
                return value
        return default

    def has(self, field_id: str) -> bool:
        return any(fid == field_id for fid, _ in self.fields)

    def all(self, field_id: str) -> list[str]:
        """Every value of a repeatable field (AF, AG, AS, AU, ...)."""
        return [value for fid, value in self.fields if fid == field_id]


_TRAILER = re.compile(rb"(?:AY([0-9]))?AZ([0-9A-Fa-f]{1,4})\Z")


def decode(frame: bytes, *, encoding: str = "utf-8", verify: bool = True) -> Message:
    """Parse one message (without its CR; a trailing CR or LF is tolerated).

    Raises ChecksumMismatch when an AZ trailer is present and wrong (and `verify` is on), and
    Sip2Error when the message is too short for its command's fixed fields. Unknown commands parse
    with no fixed fields, so the server can log what it was sent.
    """
    frame = frame.strip(b"\r\n")
    if len(frame) < 2 or not frame[:2].isdigit():
        raise Sip2Error(f"not a SIP2 message: {frame[:20]!r}")
    command = frame[:2].decode("ascii")
    spec = SPECS.get(command)
    body, sequence, received_sum = frame, None, None
    trailer = _TRAILER.search(frame)
    if trailer is not None:
        candidate = frame[: trailer.start()]
        fixed_end = 2 + (spec.fixed_width if spec else 0)
        # The trailer follows a field's "|" or the fixed part; otherwise "AZ..." is data.
        if candidate.endswith(FIELD_DELIMITER.encode()) or len(candidate) <= fixed_end:
            body = candidate
            sequence = trailer.group(1).decode() if trailer.group(1) else None
            received_sum = trailer.group(2).decode().upper()
    if received_sum is not None and trailer is not None and verify:
        text_of = frame[: trailer.start(2)]  # everything up to and including "AZ"
        ok = _sum_matches(sum(text_of), received_sum)
        if not ok:
            try:  # a client that summed characters rather than bytes
                ok = _sum_matches(sum(map(ord, text_of.decode(encoding))), received_sum)
            except UnicodeDecodeError:
                ok = False
        if not ok:
            raise ChecksumMismatch(f"checksum {received_sum} does not match {command} message")
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as exc:
        raise Sip2Error(f"message {command} is not valid {encoding}") from exc
    fixed: dict[str, str] = {}
    position = 2
    if spec is not None:
        if len(text) < 2 + spec.fixed_width:
            raise Sip2Error(
                f"{spec.name} ({command}) needs {spec.fixed_width} characters of fixed fields, "
                f"got {len(text) - 2}"
            )
        for name, width in spec.fixed:
            fixed[name] = text[position : position + width]
            position += width
    fields: list[tuple[str, str]] = []
    for piece in text[position:].split(FIELD_DELIMITER):
        if len(piece) >= 2:
            fields.append((piece[:2], piece[2:]))
    return Message(command, fixed, fields, sequence, received_sum)


def _clean(value: str) -> str:
    # A delimiter or line end inside a value would split the message; titles can contain "|".
    return value.replace(FIELD_DELIMITER, "｜").replace("\r", " ").replace("\n", " ")


def _truncate(data: bytes, encoding: str) -> bytes:
    if len(data) <= MAX_FIELD_BYTES:
        return data
    # Cut on a character boundary: decode what fits, dropping a split trailing character.
    return data[:MAX_FIELD_BYTES].decode(encoding, errors="ignore").encode(encoding)


def encode(
    message: Message, *, encoding: str = "utf-8", sequence: str | None = None, error_detection: bool = False
) -> bytes:
    """Build one message, CR-terminated. With error detection, append AY (if a sequence number is
    given; 96 never carries one) and the AZ checksum over the encoded bytes."""
    spec = SPECS.get(message.command)
    out = bytearray(message.command.encode("ascii"))
    if spec is not None:
        for name, width in spec.fixed:
            value = message.fixed.get(name, "")
            if len(value) != width:
                if name.endswith("_count") and (value.isdigit() or not value) and len(value) < width:
                    value = value.zfill(width)
                elif len(value) < width and not value.strip("YN01 "):  # flags: pad with blanks
                    value = value.ljust(width)
                else:
                    raise Sip2Error(f"{spec.name}: {name} must be {width} characters, got {value!r}")
            out += value.encode("ascii")
    for field_id, value in message.fields:
        if len(field_id) != 2:
            raise Sip2Error(f"field id must be two characters: {field_id!r}")
        data = _truncate(_clean(value).encode(encoding, errors="replace"), encoding)
        out += field_id.encode("ascii") + data + FIELD_DELIMITER.encode()
    if error_detection:
        if sequence is not None and message.command != "96":
            out += b"AY" + sequence.encode("ascii")
        out += b"AZ"
        out += checksum(bytes(out)).encode("ascii")
    return bytes(out) + b"\r"
