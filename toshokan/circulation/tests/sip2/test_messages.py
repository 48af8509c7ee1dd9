"""The SIP2 codec, table-driven; no database."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from toshokan.circulation.sip2 import messages as m
from toshokan.circulation.sip2.messages import Message

TOKYO = ZoneInfo("Asia/Tokyo")
BLANK_DATE = " " * 18


def with_checksum(text: str, encoding: str = "utf-8", digits: int = 4) -> bytes:
    data = text.encode(encoding) + b"AZ"
    value = -sum(data) & 0xFFFF
    return data + (f"{value:0{digits}X}" if digits == 4 else f"{value:X}").encode()


# Checksums published with the PHP SIP2 class that the `sip2` client ports (worked out by hand there).
@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("09N20160419    12200820160419    122008APReading Room 1|AO830|AB830$28170815|AC|AY2AZ", "EB80"),
        ("09N20160419    12171320160419    121713APReading Room 1|AO830|AB830$28170815|AC|AY2AZ", "EB7C"),
        ("", "0000"),
    ],
)
def test_the_checksum_is_the_twos_complement_of_the_byte_sum(prefix, expected):
    assert m.checksum(prefix.encode("ascii")) == expected


def test_a_checksum_is_always_four_digits():
    # 0x10000 - 0xFFF0 = 0x0010: a client that drops leading zeros would send "10".
    assert m.checksum(bytes([0xF0] * 1 + [0xFF] * 257)) == f"{-(0xF0 + 0xFF * 257) & 0xFFFF:04X}"
    assert len(m.checksum(b"\xff" * 16)) == 4


# (wire text, command, fixed fields expected, variable fields expected)
REQUESTS = [
    (
        "9300CNkiosk1|COsecret|CP中央館 1F|",
        "93",
        {"uid_algorithm": "0", "pwd_algorithm": "0"},
        [("CN", "kiosk1"), ("CO", "secret"), ("CP", "中央館 1F")],
    ),
    ("9900802.00", "99", {"status_code": "0", "max_print_width": "080", "protocol_version": "2.00"}, []),
    (
        "2300020261126    101500AOcentral|AA29000001|AC|AD1234|",
        "23",
        {"language": "000", "transaction_date": "20261126    101500"},
        [("AO", "central"), ("AA", "29000001"), ("AC", ""), ("AD", "1234")],
    ),
    (
        "6300020261126    101500  Y       AOcentral|AA29000001|BP1|BQ5|",
        "63",
        {"language": "000", "transaction_date": "20261126    101500", "summary": "  Y       "},
        [("AO", "central"), ("AA", "29000001"), ("BP", "1"), ("BQ", "5")],
    ),
    (  # 18 blanks in "nb due date", as every kiosk sends them
        f"11NN20261126    101500{BLANK_DATE}AOcentral|AA29000001|AB1000001|AC|BON|BIN|",
        "11",
        {"sc_renewal_policy": "N", "no_block": "N", "nb_due_date": BLANK_DATE},
        [("AO", "central"), ("AA", "29000001"), ("AB", "1000001"), ("AC", ""), ("BO", "N"), ("BI", "N")],
    ),
    (
        "09N20261126    10150020261126    101500APReading Room|AOcentral|AB1000001|AC|",
        "09",
        {"no_block": "N", "return_date": "20261126    101500"},
        [("AP", "Reading Room"), ("AO", "central"), ("AB", "1000001"), ("AC", "")],
    ),
    (
        f"29NN20261126    101500{BLANK_DATE}AOcentral|AA29000001|AB1000001|",
        "29",
        {"third_party_allowed": "N", "no_block": "N", "nb_due_date": BLANK_DATE},
        [("AO", "central"), ("AA", "29000001"), ("AB", "1000001")],
    ),
    ("1720261126    101500AOcentral|AB1000001|", "17", {}, [("AO", "central"), ("AB", "1000001")]),
    ("3520261126    101500AOcentral|AA29000001|", "35", {}, [("AO", "central"), ("AA", "29000001")]),
    ("97", "97", {}, []),
]


@pytest.mark.parametrize(("wire", "command", "fixed", "fields"), REQUESTS)
def test_requests_parse_into_fixed_and_variable_fields(wire, command, fixed, fields):
    message = m.decode(wire.encode("utf-8"))
    assert message.command == command
    assert {k: message.fixed[k] for k in fixed} == fixed
    assert list(message.fields) == fields
    assert message.sequence is None and message.checksum is None


@pytest.mark.parametrize(("wire", "command", "fixed", "fields"), REQUESTS)
def test_requests_with_error_detection_parse_the_same_and_keep_the_sequence_number(
    wire, command, fixed, fields
):
    message = m.decode(with_checksum(wire + "AY7"))
    assert (message.command, list(message.fields), message.sequence) == (command, fields, "7")


@pytest.mark.parametrize("terminator", [b"\r", b"\r\n", b"\n", b""])
def test_a_line_end_of_cr_crlf_or_lf_is_tolerated(terminator):
    message = m.decode(with_checksum("9900802.00AY1") + terminator)
    assert message.command == "99" and message.sequence == "1"


def test_a_checksum_without_its_leading_zeros_is_accepted():
    # The PyPI `sip2` client formats the checksum with "X", not "04X". Find a message whose
    # checksum starts with a zero and send it short.
    for n in range(2000):
        text = f"1720261126    101500AOcentral|AB{'~' * n}|AY1"
        full = with_checksum(text)
        if full[-4:-3] == b"0":
            short = with_checksum(text, digits=0)
            assert len(short) < len(full)
            assert m.decode(short).get("AB") == "~" * n
            return
    pytest.fail("no checksum with a leading zero in 2000 tries")


def test_a_lower_case_checksum_is_accepted():
    wire = with_checksum("9900802.00AY3")
    assert m.decode(wire[:-4] + wire[-4:].lower()).sequence == "3"


def test_a_wrong_checksum_is_refused():
    wire = with_checksum("1720261126    101500AOcentral|AB1000001|AY1")
    bad = wire[:-4] + (b"0000" if wire[-4:] != b"0000" else b"0001")
    with pytest.raises(m.ChecksumMismatch):
        m.decode(bad)


@pytest.mark.parametrize("encoding", ["utf-8", "cp932"])
def test_japanese_text_is_checksummed_over_its_encoded_bytes(encoding):
    wire = with_checksum("9300CN受付機1|CO秘密|CP北分館|AY0", encoding)
    message = m.decode(wire, encoding=encoding)
    assert (message.get("CN"), message.get("CP")) == ("受付機1", "北分館")


def test_a_checksum_over_characters_rather_than_bytes_is_accepted():
    # Clients that sum ord(c) over a Unicode string agree with us only on ASCII.
    text = "9300CN受付機1|CO秘密|AY0AZ"
    by_chars = f"{-sum(map(ord, text)) & 0xFFFF:04X}"
    assert m.decode((text + by_chars).encode("utf-8")).get("CN") == "受付機1"


def test_a_field_value_ending_in_az_and_hex_is_data_not_a_trailer():
    message = m.decode(b"1720261126    101500AOcentral|ABXAZ12|")
    assert message.get("AB") == "XAZ12" and message.checksum is None


@pytest.mark.parametrize(
    "wire",
    [b"", b"9", b"XX", b"11NN20261126", b"93", b"1720261126    1015"],
)
def test_messages_too_short_for_their_fixed_fields_are_refused(wire):
    with pytest.raises(m.Sip2Error):
        m.decode(wire)


def test_unknown_fields_are_kept_and_unknown_commands_still_parse():
    message = m.decode(b"1720261126    101500AOcentral|AB1|ZZextra|")
    assert message.get("ZZ") == "extra"
    assert m.decode(b"6500AOx|").command == "65"


def test_repeated_fields_keep_every_value_in_order():
    message = m.decode(b"64" + b" " * 14 + b"00020261126    101500" + b"0000" * 6 + b"AUa|AUb|AFone|AFtwo|")
    assert message.all("AU") == ["a", "b"] and message.all("AF") == ["one", "two"]


# (message, wire text before the trailer)
RESPONSES = [
    (Message("94", {"ok": "1"}), "941"),
    (
        Message(
            "12",
            {
                "ok": "1",
                "renewal_ok": "N",
                "magnetic_media": "U",
                "desensitize": "Y",
                "transaction_date": "20261126    101500",
            },
            [
                ("AO", "central"),
                ("AA", "29000001"),
                ("AB", "1000001"),
                ("AJ", "吾輩は猫である"),
                ("AH", "20261210    235959"),
            ],
        ),
        "121NUY20261126    101500AOcentral|AA29000001|AB1000001|AJ吾輩は猫である|AH20261210    235959|",
    ),
    (
        Message(
            "24",
            {"patron_status": "", "language": "000", "transaction_date": "20261126    101500"},
            [("BL", "Y")],
        ),
        "24" + " " * 14 + "00020261126    101500BLY|",
    ),
    (
        Message(
            "64",
            {
                "patron_status": "",
                "language": "000",
                "transaction_date": "20261126    101500",
                "charged_items_count": "2",
            },
        ),
        "64" + " " * 14 + "00020261126    101500" + "0000" * 2 + "0002" + "0000" * 3,
    ),
    (Message("96"), "96"),
]


@pytest.mark.parametrize(("message", "text"), RESPONSES)
def test_responses_are_built_with_fixed_fields_padded_and_a_cr(message, text):
    assert m.encode(message) == text.encode("utf-8") + b"\r"


@pytest.mark.parametrize(("message", "text"), RESPONSES)
def test_built_responses_round_trip_with_error_detection(message, text):
    wire = m.encode(message, sequence="4", error_detection=True)
    again = m.decode(wire)
    assert again.command == message.command and list(again.fields) == list(message.fields)
    assert (again.sequence, len(again.checksum or "")) == (None if message.command == "96" else "4", 4)


def test_a_response_is_built_in_the_configured_encoding():
    wire = m.encode(
        Message("94", {"ok": "1"}, [("AF", "ようこそ")]), encoding="cp932", sequence="1", error_detection=True
    )
    assert "ようこそ".encode("cp932") in wire
    assert m.decode(wire, encoding="cp932").get("AF") == "ようこそ"


def test_a_delimiter_or_line_end_inside_a_value_cannot_split_the_message():
    wire = m.encode(
        Message(
            "18",
            {
                "circulation_status": "03",
                "security_marker": "00",
                "fee_type": "01",
                "transaction_date": "20261126    101500",
            },
            [("AJ", "A|B\rC")],
        )
    )
    assert m.decode(wire).get("AJ") == "A｜B C"


def test_a_long_value_is_cut_to_255_bytes_on_a_character_boundary():
    wire = m.encode(Message("94", {"ok": "1"}, [("AF", "あ" * 200)]))
    value = m.decode(wire).get("AF")
    assert len(value.encode()) <= 255 and set(value) == {"あ"}


def test_a_fixed_field_of_the_wrong_width_is_refused():
    with pytest.raises(m.Sip2Error):
        m.encode(
            Message(
                "12",
                {
                    "ok": "1",
                    "renewal_ok": "N",
                    "magnetic_media": "U",
                    "desensitize": "Y",
                    "transaction_date": "2026",
                },
            )
        )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20261126    101500", datetime(2026, 11, 26, 10, 15, tzinfo=TOKYO)),
        ("20261126   Z101500", datetime(2026, 11, 26, 10, 15, tzinfo=UTC)),
        (BLANK_DATE, None),
        ("", None),
    ],
)
def test_dates_are_local_unless_marked_z_and_blank_means_none(text, expected):
    assert m.parse_date(text, TOKYO) == expected


@pytest.mark.parametrize("text", ["2026112610150", "2026-11-26  101500", "20261326    101500"])
def test_malformed_dates_are_refused(text):
    with pytest.raises(m.Sip2Error):
        m.parse_date(text, TOKYO)


def test_dates_are_written_in_local_time_with_a_blank_zone():
    assert m.format_date(datetime(2026, 11, 26, 1, 15, tzinfo=UTC), TOKYO) == "20261126    101500"


def test_patron_status_flags_sit_at_their_positions():
    value = m.patron_status_field(
        [m.PatronStatusFlag.CHARGE_PRIVILEGES_DENIED, m.PatronStatusFlag.TOO_MANY_ITEMS_OVERDUE]
    )
    assert value == "Y     Y       "
    assert m.parse_patron_status(value) == {
        m.PatronStatusFlag.CHARGE_PRIVILEGES_DENIED,
        m.PatronStatusFlag.TOO_MANY_ITEMS_OVERDUE,
    }


def test_supported_messages_are_listed_in_the_specs_order():
    assert (
        m.supported_messages_field({"23", "11", "09", "99", "97", "93", "63", "35", "17", "29"})
        == "YYYNYYYYYNYNNNYN"
    )
