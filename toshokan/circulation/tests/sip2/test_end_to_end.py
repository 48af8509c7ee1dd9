"""The SIP2 server over the real services and database, driven by the `sip2` client on a loopback
port: a kiosk's whole conversation, and twenty kiosks racing for one copy.

Runs on SQLite by default and on PostgreSQL when DATABASE_URL names one. The server's worker
threads use their own database connections, so these tests commit (transactional_db).
"""

from __future__ import annotations

import threading
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from toshokan.catalog.domain.enums import HoldingStatus
from toshokan.catalog.models import Holding
from toshokan.catalog.tests import factories as catalog_factories
from toshokan.circulation import services
from toshokan.circulation.management.commands.sip2_server import server_config
from toshokan.circulation.models import Loan
from toshokan.circulation.sip2 import messages as m
from toshokan.circulation.sip2.services_gateway import ServicesGateway
from toshokan.circulation.tests import factories
from toshokan.patrons import services as patron_services
from toshokan.patrons.domain.enums import BlockReason
from toshokan.patrons.tests import factories as patron_factories
from toshokan.staff.models import AccountKind, StaffProfile

from .fakes import Client, running

pytestmark = pytest.mark.django_db(transaction=True)

PIN = "2468"
RACERS = 20


def v(parsed, field_id):
    values = parsed["variable"].get(field_id)
    return values[0] if values else None


@pytest.fixture
def library():
    users = get_user_model()
    kiosk = users.objects.create_user("kiosk", password="kiosk-pass", is_staff=True)
    StaffProfile.objects.create(user=kiosk, kind=AccountKind.SELFCHECK)  # SIP2 takes device accounts only
    users.objects.create_user("reader", password="reader-pass")  # an account, but not staff
    catalog_factories.branch("north", "北分館", 1)
    return SimpleNamespace(
        patron=patron_factories.patron("夏目", given_name="金之助", pin=PIN, email="kin@example.jp"),
        copy=factories.copy(catalog_factories.record("吾輩は猫である")),
        north_copy=factories.copy(catalog_factories.record("舞姫"), branch_code="north"),
    )


@pytest.fixture
def server(library):
    with running(ServicesGateway(), server_config(), clock=None) as s:
        yield s


@pytest.fixture
def client(server, library):
    c = Client(server, institution="central")
    c.connect()
    c.patron, c.patronpwd = library.patron.card_number, PIN
    yield c
    c.close()


def ask(client, build, parse, *args):
    return getattr(client, parse)(client.get_response(getattr(client, build)(*args)))


def test_only_staff_accounts_can_log_a_kiosk_in(client):
    assert client.login("reader", "reader-pass")["fixed"]["Ok"] == "0"
    assert client.login("kiosk", "wrong")["fixed"]["Ok"] == "0"
    assert client.login("kiosk", "kiosk-pass")["fixed"]["Ok"] == "1"


def test_a_kiosks_whole_conversation(client, library):
    barcode = library.copy.barcode
    assert client.login()["fixed"]["Ok"] == "1"
    status = ask(client, "sip_sc_status_request", "sip_sc_status_response")
    assert status["fixed"]["OnlineStatus"] == "Y" and v(status, "AM") == "デモ市立図書館"

    patron = ask(client, "sip_patron_status_request", "sip_patron_status_response")
    assert (v(patron, "BL"), v(patron, "CQ"), v(patron, "AE")) == ("Y", "Y", "夏目 金之助")
    assert patron["fixed"]["PatronStatus"] == " " * 14

    item = ask(client, "sip_item_information_request", "sip_item_information_response", barcode)
    assert item["fixed"]["CirculationStatus"] == "03"
    assert (v(item, "AJ"), v(item, "AQ"), v(item, "CK")) == ("吾輩は猫である", "central", "001")

    out = ask(client, "sip_checkout_request", "sip_checkout_response", barcode)
    assert out["fixed"]["Ok"] == "1", v(out, "AF")
    loan = Loan.objects.get(holding__barcode=barcode)
    assert loan.patron_id == library.patron.pk
    assert v(out, "AH") == f"{loan.due_on:%Y%m%d}    235959"
    assert v(out, "AJ") == "吾輩は猫である"

    item = ask(client, "sip_item_information_request", "sip_item_information_response", barcode)
    assert item["fixed"]["CirculationStatus"] == "04" and v(item, "AH") == v(out, "AH")

    info = ask(client, "sip_patron_information_request", "sip_patron_information_response", "charged")
    assert info["fixed"]["ChargedItemsCount"] == "0001"
    assert info["variable"]["AU"] == [barcode] and v(info, "BE") == "kin@example.jp"

    # A renewal the same day would not move the due date; let the loan be nearly due first.
    Loan.objects.filter(pk=loan.pk).update(due_on=timezone.localdate() + timedelta(days=2))
    renewed = ask(client, "sip_renew_request", "sip_renew_response", barcode)
    assert (renewed["fixed"]["Ok"], renewed["fixed"]["RenewalOk"]) == ("1", "Y"), v(renewed, "AF")
    assert v(renewed, "AH") == v(out, "AH")

    back = ask(client, "sip_checkin_request", "sip_checkin_response", barcode)
    assert (back["fixed"]["Ok"], back["fixed"]["Alert"]) == ("1", "N")
    assert (v(back, "AB"), v(back, "AQ"), v(back, "AF")) == (barcode, "central", "返却しました")
    assert not Loan.objects.filter(holding__barcode=barcode).exists()
    assert Holding.objects.get(barcode=barcode).status == HoldingStatus.AVAILABLE

    end = ask(client, "sip_end_patron_session_request", "sip_end_patron_session_response")
    assert end["fixed"]["EndSession"] == "Y"


def test_the_services_refusal_reaches_the_kiosks_screen(client, library):
    patron_services.add_block(patron=library.patron, reason=BlockReason.CONDUCT)
    client.login()
    patron = ask(client, "sip_patron_status_request", "sip_patron_status_response")
    flags = m.parse_patron_status(patron["fixed"]["PatronStatus"])
    assert m.PatronStatusFlag.CHARGE_PRIVILEGES_DENIED in flags
    out = ask(client, "sip_checkout_request", "sip_checkout_response", library.copy.barcode)
    assert out["fixed"]["Ok"] == "0" and v(out, "AF").startswith("貸出停止中です")
    assert not Loan.objects.exists()


def test_a_wrong_pin_lends_nothing(client, library):
    client.login()
    client.patronpwd = "9999"
    out = ask(client, "sip_checkout_request", "sip_checkout_response", library.copy.barcode)
    assert out["fixed"]["Ok"] == "0" and not Loan.objects.exists()


def test_an_unknown_institution_id_lends_nothing(server, library):
    c = Client(server, institution="nowhere")
    c.connect()
    c.login()
    c.patron = library.patron.card_number
    out = ask(c, "sip_checkout_request", "sip_checkout_response", library.copy.barcode)
    assert out["fixed"]["Ok"] == "0" and "館コード" in v(out, "AF")
    c.close()


def test_a_copy_returned_at_another_branch_is_set_aside_for_transit(client, library):
    client.login()
    assert (
        ask(client, "sip_checkout_request", "sip_checkout_response", library.north_copy.barcode)["fixed"][
            "Ok"
        ]
        == "1"
    )
    back = ask(client, "sip_checkin_request", "sip_checkin_response", library.north_copy.barcode)
    assert (back["fixed"]["Ok"], back["fixed"]["Alert"]) == ("1", "Y")
    assert (v(back, "AQ"), v(back, "CL")) == ("north", "transit:north")
    assert Holding.objects.get(pk=library.north_copy.pk).status == HoldingStatus.IN_TRANSIT
    item = ask(
        client, "sip_item_information_request", "sip_item_information_response", library.north_copy.barcode
    )
    assert (item["fixed"]["CirculationStatus"], v(item, "AQ"), v(item, "AP")) == ("10", "north", "north")


def test_checkout_of_a_copy_already_borrowed_renews_it_when_the_kiosk_allows(client, library):
    client.login()
    barcode = library.copy.barcode
    ask(client, "sip_checkout_request", "sip_checkout_response", barcode)
    Loan.objects.update(due_on=timezone.localdate() + timedelta(days=1))
    again = client.sip_checkout_response(
        client.get_response(client.sip_checkout_request(barcode, scRenewalPolicy="Y"))
    )
    assert (again["fixed"]["Ok"], again["fixed"]["RenewalOk"]) == ("1", "Y"), v(again, "AF")
    assert Loan.objects.get().renewals == 1


def test_twenty_kiosks_racing_for_one_copy_lend_it_exactly_once(server, library):
    # On PostgreSQL the server runs checkouts in several threads at once, so the services' locks
    # decide; SQLite takes one writer at a time and the server gives it one thread.
    assert server.server.config.workers == (
        1 if connection.vendor == "sqlite" else settings.TOSHOKAN_SIP2["WORKERS"]
    )
    barcode = library.copy.barcode
    racers = [patron_factories.patron(f"走者{i}", pin="") for i in range(RACERS)]
    clients = []
    for patron in racers:
        c = Client(server, institution="central")
        c.connect()
        assert c.login()["fixed"]["Ok"] == "1"
        c.patron, c.patronpwd = patron.card_number, ""
        clients.append(c)
    start = threading.Barrier(RACERS)
    results: dict[int, dict[str, Any]] = {}

    def race(i: int) -> None:
        request = clients[i].sip_checkout_request(barcode)
        start.wait(timeout=30)
        results[i] = clients[i].sip_checkout_response(clients[i].get_response(request))

    threads = [threading.Thread(target=race, args=(i,)) for i in range(RACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for c in clients:
        c.close()

    assert len(results) == RACERS
    winners = [i for i, r in results.items() if r["fixed"]["Ok"] == "1"]
    assert len(winners) == 1, [v(r, "AF") for r in results.values()]
    loan = Loan.objects.get(holding__barcode=barcode)
    assert loan.patron_id == racers[winners[0]].pk
    losers = [r for i, r in results.items() if i != winners[0]]
    assert all(v(r, "AF") and "貸出中" in v(r, "AF") for r in losers), {v(r, "AF") for r in losers}
    assert Holding.objects.get(barcode=barcode).status == HoldingStatus.ON_LOAN


def test_a_return_that_fills_a_hold_goes_to_the_hold_shelf_and_shows_in_patron_information(client, library):
    borrower = patron_factories.patron("森", given_name="林太郎", pin="1357")
    copy = library.copy
    services.checkout(barcode=copy.barcode, patron=borrower, branch=copy.branch)
    services.place_hold(patron=library.patron, record=copy.record, pickup_branch=copy.branch)
    client.login()
    waiting = ask(client, "sip_patron_information_request", "sip_patron_information_response", "unavail")
    assert waiting["fixed"]["UnavailableHoldsCount"] == "0001"
    assert waiting["variable"]["CD"] == ["吾輩は猫である"]

    back = ask(client, "sip_checkin_request", "sip_checkin_response", copy.barcode)
    assert (back["fixed"]["Ok"], back["fixed"]["Alert"], v(back, "CL")) == ("1", "Y", "hold_shelf")
    assert "予約資料" in v(back, "AF")

    ready = ask(client, "sip_patron_information_request", "sip_patron_information_response", "hold")
    assert ready["fixed"]["HoldItemsCount"] == "0001"
    assert ready["variable"]["AS"] == [copy.barcode]
