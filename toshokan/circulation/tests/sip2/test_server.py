"""The SIP2 server against an independent client (PyPI `sip2`) on a loopback port, with the library
in memory (FakeLibrary). The same conversations against the real database are in test_end_to_end.py."""

from __future__ import annotations

import socket
import threading
import time
from datetime import timedelta
from typing import Any

import pytest

from toshokan.circulation.sip2 import messages as m
from toshokan.circulation.sip2.server import ServerConfig

from .fakes import NOW, Client, FakeLibrary, RunningServer, raw_exchange, running

CARD, PIN = "29000001", "2468"
TITLE = "吾輩は猫である"


@pytest.fixture
def library():
    return FakeLibrary(
        patrons={CARD: (PIN, "夏目 金之助"), "29000002": ("1357", "森 林太郎")},
        copies={"1000001": (TITLE, "central"), "1000002": ("舞姫", "north")},
    )


@pytest.fixture
def server(library):
    with running(library, ServerConfig(library_name="デモ市立図書館", default_branch="central")) as s:
        yield s


@pytest.fixture
def client(server):
    c = Client(server)
    c.connect()
    c.patron, c.patronpwd = CARD, PIN
    yield c
    c.close()


def v(parsed, field_id):
    """A variable field of a response as the client parsed it (first value, or None)."""
    values = parsed["variable"].get(field_id)
    return values[0] if values else None


def test_a_kiosk_logs_in_with_a_staff_account(client):
    assert client.login()["fixed"]["Ok"] == "1"


def test_a_wrong_password_is_refused_and_three_close_the_connection(server):
    c = Client(server)
    c.connect()
    for _ in range(3):
        assert c.login(password="wrong")["fixed"]["Ok"] == "0"
    with pytest.raises(ConnectionError):
        c.login()
    c.close()


def test_nothing_but_the_status_is_answered_before_login(client):
    status = client.sip_sc_status_response(client.get_response(client.sip_sc_status_request()))
    assert status["fixed"]["OnlineStatus"] == "Y"
    client.patron = CARD
    with pytest.raises(ConnectionError):
        client.get_response(client.sip_patron_status_request())


def test_sc_status_reports_the_protocol_and_the_supported_messages(client):
    client.login()
    status = client.sip_sc_status_response(client.get_response(client.sip_sc_status_request()))
    fixed = status["fixed"]
    assert (
        fixed["OnlineStatus"],
        fixed["CheckinOk"],
        fixed["CheckoutOk"],
        fixed["AcsRenewalPolicy"],
    ) == tuple("YYYY")
    assert fixed["TransactionDate"] == "20261126    101500"
    assert fixed["ProtocolVersion"] == "2.00"
    assert v(status, "BX") == "YYYNYYYYYNYNNNYN"
    assert v(status, "AM") == "デモ市立図書館"
    assert v(status, "AN") == "1F kiosk"


def test_patron_status_names_a_valid_patron_and_checks_the_pin(client):
    client.login()
    status = client.sip_patron_status_response(client.get_response(client.sip_patron_status_request()))
    assert status["fixed"]["PatronStatus"] == " " * 14
    assert (v(status, "AA"), v(status, "AE"), v(status, "BL"), v(status, "CQ")) == (
        CARD,
        "夏目 金之助",
        "Y",
        "Y",
    )
    client.patronpwd = "0000"
    status = client.sip_patron_status_response(client.get_response(client.sip_patron_status_request()))
    assert v(status, "CQ") == "N"


def test_an_unknown_card_is_not_a_valid_patron(client):
    client.login()
    client.patron = "29999999"
    status = client.sip_patron_status_response(client.get_response(client.sip_patron_status_request()))
    assert v(status, "BL") == "N"
    assert v(status, "AF") == "この利用者番号は登録されていません"


def test_a_blocked_patron_has_charge_privileges_denied(client, library):
    library.blocked.add(CARD)
    client.login()
    status = client.sip_patron_status_response(client.get_response(client.sip_patron_status_request()))
    assert m.parse_patron_status(status["fixed"]["PatronStatus"]) == {
        m.PatronStatusFlag.CHARGE_PRIVILEGES_DENIED
    }


def test_checkout_lends_the_copy_with_a_due_date_and_a_japanese_title(client, library):
    client.login()
    result = client.sip_checkout_response(client.get_response(client.sip_checkout_request("1000001")))
    assert result["fixed"]["Ok"] == "1" and result["fixed"]["Desensitize"] == "Y"
    assert (v(result, "AB"), v(result, "AA"), v(result, "AJ")) == ("1000001", CARD, TITLE)
    assert (
        v(result, "AH") == m.format_date(NOW + timedelta(days=14), ServerConfig().tz) == "20261210    101500"
    )
    assert library.loans["1000001"][0] == CARD


def test_a_second_checkout_of_the_same_copy_is_refused_with_a_message(client):
    client.login()
    client.get_response(client.sip_checkout_request("1000001"))
    client.patron, client.patronpwd = "29000002", "1357"
    result = client.sip_checkout_response(client.get_response(client.sip_checkout_request("1000001")))
    assert result["fixed"]["Ok"] == "0" and result["fixed"]["Desensitize"] == "N"
    assert v(result, "AF") == "貸出中の資料です"


def test_checkout_with_a_wrong_pin_is_refused(client, library):
    client.login()
    client.patronpwd = "9999"
    result = client.sip_checkout_response(client.get_response(client.sip_checkout_request("1000001")))
    assert result["fixed"]["Ok"] == "0" and "1000001" not in library.loans


def test_a_library_failure_is_a_refusal_not_a_dropped_connection(client, library):
    library.fail_on = "1000001"
    client.login()
    result = client.sip_checkout_response(client.get_response(client.sip_checkout_request("1000001")))
    assert result["fixed"]["Ok"] == "0" and "system error" in v(result, "AF")
    status = client.sip_patron_status_response(client.get_response(client.sip_patron_status_request()))
    assert v(status, "BL") == "Y"


def test_checkin_returns_the_copy_and_alerts_when_it_belongs_elsewhere(client, library):
    client.login()
    client.get_response(client.sip_checkout_request("1000002"))
    result = client.sip_checkin_response(client.get_response(client.sip_checkin_request("1000002")))
    assert result["fixed"]["Ok"] == "1" and result["fixed"]["Alert"] == "Y"
    assert (v(result, "AB"), v(result, "AQ"), v(result, "AJ"), v(result, "CL")) == (
        "1000002",
        "north",
        "舞姫",
        "north",
    )
    assert v(result, "AA") is None  # whose loan it was stays private
    assert "1000002" not in library.loans


def test_checkin_of_a_copy_not_on_loan_is_not_ok(client):
    client.login()
    result = client.sip_checkin_response(client.get_response(client.sip_checkin_request("1000001")))
    assert (result["fixed"]["Ok"], result["fixed"]["Alert"]) == ("0", "N")


def test_renew_moves_the_due_date(client):
    client.login()
    client.get_response(client.sip_checkout_request("1000001"))
    result = client.sip_renew_response(client.get_response(client.sip_renew_request("1000001")))
    assert (result["fixed"]["Ok"], result["fixed"]["RenewalOk"]) == ("1", "Y")
    assert v(result, "AH") == "20261224    101500"


def test_renew_of_someone_elses_loan_is_refused(client):
    client.login()
    client.get_response(client.sip_checkout_request("1000001"))
    client.patron = "29000002"
    result = client.sip_renew_response(client.get_response(client.sip_renew_request("1000001")))
    assert (result["fixed"]["Ok"], result["fixed"]["RenewalOk"]) == ("0", "N")


def test_item_information_tells_status_title_location_and_due_date(client):
    client.login()
    info = client.sip_item_information_response(
        client.get_response(client.sip_item_information_request("1000001"))
    )
    assert info["fixed"]["CirculationStatus"] == "03"
    assert (v(info, "AJ"), v(info, "AQ"), v(info, "AP"), v(info, "CK")) == (
        TITLE,
        "central",
        "central",
        "001",
    )
    client.get_response(client.sip_checkout_request("1000001"))
    info = client.sip_item_information_response(
        client.get_response(client.sip_item_information_request("1000001"))
    )
    assert info["fixed"]["CirculationStatus"] == "04" and v(info, "AH") == "20261210    101500"


def test_item_information_for_an_unknown_barcode(client):
    client.login()
    info = client.sip_item_information_response(client.get_response(client.sip_item_information_request("X")))
    assert info["fixed"]["CirculationStatus"] == "01" and v(info, "AF") == "資料が見つかりません"


def test_patron_information_lists_charged_items_within_bp_and_bq(client, library):
    library.copies |= {f"20000{i:02d}": (f"本 {i}", "central") for i in range(8)}
    client.login()
    for i in range(8):
        client.get_response(client.sip_checkout_request(f"20000{i:02d}"))
    info = client.sip_patron_information_response(
        client.get_response(client.sip_patron_information_request("charged", "3", "5"))
    )
    assert info["fixed"]["ChargedItemsCount"] == "0008"
    assert info["variable"]["AU"] == ["2000002", "2000003", "2000004"]
    assert (v(info, "BL"), v(info, "CQ"), v(info, "CB"), v(info, "BE")) == (
        "Y",
        "Y",
        "0010",
        f"{CARD}@example.jp",
    )


def test_patron_information_without_a_pin_leaves_out_the_email(client):
    client.login()
    client.patronpwd = ""
    info = client.sip_patron_information_response(
        client.get_response(client.sip_patron_information_request("none"))
    )
    assert v(info, "BL") == "Y" and v(info, "CQ") is None and v(info, "BE") is None


def test_end_session_is_acknowledged(client):
    client.login()
    result = client.sip_end_patron_session_response(
        client.get_response(client.sip_end_patron_session_request())
    )
    assert result["fixed"]["EndSession"] == "Y" and v(result, "AA") == CARD


def test_responses_mirror_the_clients_sequence_number_with_a_valid_checksum(client):
    client.login()
    for _ in range(12):  # past 9, where the client's sequence wraps to 0
        request = client.sip_sc_status_request()
        response = m.decode(client.get_response(request).encode())
        assert response.sequence == m.decode(request.encode()).sequence
        assert response.checksum is not None and len(response.checksum) == 4


def test_the_clients_unpadded_checksums_are_all_accepted(client):
    # About one message in sixteen has a checksum below 0x1000, which the client sends short.
    # Barcodes of 0-255 "~" (the client cuts values at 255) behind two institution ids of different
    # sums take the message sum round the whole 16-bit range.
    client.login()
    short = 0
    for institution in ("central", "~" * 255):
        client.institutionId = institution
        for n in range(0, 256, 2):
            request = client.sip_item_information_request("~" * n)
            short += len(request.rsplit("AZ", 1)[1].strip()) < 4
            info = client.sip_item_information_response(client.get_response(request))
            assert info["fixed"]["CirculationStatus"] == "01"
    assert short > 0


def test_a_bad_checksum_gets_96_and_97_gets_the_last_response_again(server):
    login = m.encode(m.decode(b"9300CNkiosk|COkiosk-pass|"), sequence="1", error_detection=True)
    bad = b"9900802.00AY2AZ0000\r"
    resend = m.encode(m.Message("97"), error_detection=True)
    first, second, third = raw_exchange(server, login + bad + resend, replies=3)
    assert first.startswith(b"941AY1AZ")
    assert second.startswith(b"96AZ") and m.decode(second).command == "96"
    assert third == first


@pytest.mark.parametrize("terminator", [b"\r\n", b"\n"])
def test_crlf_and_lf_terminated_messages_are_answered(server, terminator):
    replies = raw_exchange(
        server, b"9300CNkiosk|COkiosk-pass|" + terminator + b"9900802.00" + terminator, replies=2
    )
    assert [r[:2] for r in replies] == [b"94", b"98"]


def test_a_message_split_across_packets_is_answered_once_whole(server):
    with socket.create_connection((server.host, server.port), timeout=5) as sock:
        for part in (b"9300CNki", b"osk|COkiosk-", b"pass|\r"):
            sock.sendall(part)
            time.sleep(0.05)
        assert sock.recv(100) == b"941\r"


def test_unsupported_messages_are_not_answered_and_the_session_goes_on(server):
    login = b"9300CNkiosk|COkiosk-pass|\r"
    fee_paid = b"3720261126    1015000100JPYBV100|AOcentral|AA29000001|\r"
    replies = raw_exchange(server, login + fee_paid + b"9900802.00\r", replies=2)
    assert [r[:2] for r in replies] == [b"94", b"98"]


@pytest.mark.filterwarnings("ignore:ssl.PROTOCOL_TLS is deprecated:DeprecationWarning")
def test_a_client_probing_for_tls_falls_back_to_plain_sip2(server):
    c = Client(server, tls=True)
    c.socketTimeout = 3
    c.connect()
    assert c.login()["fixed"]["Ok"] == "1"
    c.close()


def test_japanese_text_goes_out_in_cp932_when_configured(library):
    with running(library, ServerConfig(encoding="cp932")) as server:
        c = Client(server, encoding="cp932")
        c.connect()
        c.login()
        c.patron = CARD
        info = c.sip_item_information_response(c.get_response(c.sip_item_information_request("1000001")))
        assert v(info, "AJ") == TITLE
        raw = raw_exchange(server, b"9300CNkiosk|COkiosk-pass|\r1720261126    101500AB1000002|\r", replies=2)[
            1
        ]
        assert "舞姫".encode("cp932") in raw
        c.close()


def test_login_can_be_switched_off(library):
    with running(library, ServerConfig(login_required=False)) as server:
        replies = raw_exchange(server, b"1720261126    101500AOcentral|AB1000001|\r")
        assert replies[0].startswith(b"1803")


def test_stopping_the_server_closes_open_sessions_and_releases_every_worker_thread(library):
    with running(library, ServerConfig(workers=3)) as server:
        clients = [Client(server) for _ in range(3)]
        for c in clients:
            c.connect()
            c.login()
    assert len(library.closed_threads) == 3
    for c in clients:
        with pytest.raises((ConnectionError, OSError)):
            c.login()


def test_an_idle_session_is_closed_after_the_idle_timeout(library):
    with (
        running(library, ServerConfig(idle_timeout=0.2)) as server,
        socket.create_connection((server.host, server.port), timeout=5) as sock,
    ):
        sock.sendall(b"9300CNkiosk|COkiosk-pass|\r")
        assert sock.recv(100) == b"941\r"
        assert sock.recv(100) == b""  # closed by the server, not by the 5 s timeout here


def test_stopping_lets_a_checkout_in_hand_send_its_response(library):
    started = threading.Event()

    class SlowLibrary(FakeLibrary):
        def checkout(self, *args, **kwargs):
            started.set()
            time.sleep(0.5)
            return super().checkout(*args, **kwargs)

    slow = SlowLibrary(patrons=library.patrons, copies=library.copies)
    server = RunningServer(slow, ServerConfig(), lambda: NOW)
    c = Client(server)
    c.connect()
    c.login()
    c.patron = CARD
    replies: list[dict[str, Any]] = []
    kiosk = threading.Thread(
        target=lambda: replies.append(
            c.sip_checkout_response(c.get_response(c.sip_checkout_request("1000001")))
        )
    )
    kiosk.start()
    assert started.wait(10)  # the checkout is under way
    server.stop()
    kiosk.join(5)
    assert replies and replies[0]["fixed"]["Ok"] == "1"
    with pytest.raises((ConnectionError, OSError)):
        c.login()
    c.close()


def test_a_retransmitted_checkout_is_answered_again_not_lent_twice(server, library):
    login = m.encode(m.decode(b"9300CNkiosk|COkiosk-pass|"), sequence="1", error_detection=True)
    checkout = m.encode(
        m.decode(f"11NN20261126    101500{' ' * 18}AOcentral|AA{CARD}|AB1000001|".encode()),
        sequence="2",
        error_detection=True,
    )
    _, first, again = raw_exchange(server, login + checkout + checkout, replies=3)
    assert first == again and first.startswith(b"121")
    assert library.loans["1000001"][0] == CARD
    # Without a sequence number there is no telling a retransmission from a new request.
    plain = f"11NN20261126    101500{' ' * 18}AOcentral|AA{CARD}|AB1000001|\r".encode()
    _, second = raw_exchange(server, b"9300CNkiosk|COkiosk-pass|\r" + plain, replies=2)
    assert second.startswith(b"120")
