"""The `local` connector: this toshokan's copies by ISBN, as Calil branch statuses per registered branch."""

from __future__ import annotations

import asyncio

import pytest
from django.db import connection
from django.utils import timezone

from toshokan.catalog.domain.enums import HoldingStatus as H
from toshokan.catalog.tests import factories as catalog
from toshokan.circulation import services as circulation
from toshokan.circulation.models import ClosedDay
from toshokan.federation import engine
from toshokan.federation.domain.availability import BranchStatus as B
from toshokan.federation.domain.availability import SystemStatus
from toshokan.federation.domain.registry import BranchSpec, Connector, SystemSpec
from toshokan.federation.engine import Breakers, Limits
from toshokan.patrons.tests import factories as patrons

NEKO = "9784003101018"
KOKORO = "9784101010137"

DEMO = SystemSpec(
    systemid="Tokyo_Demo",
    name="デモ市立図書館",
    connector=Connector.LOCAL,
    branches=(
        BranchSpec(libkey="中央", formal="デモ市立中央図書館", branch="central"),
        BranchSpec(libkey="東", formal="デモ市立東図書館", branch="east"),
    ),
)


def check(isbns, systems=(DEMO,)):
    return engine.check_sync(isbns, list(systems), deadline_s=5, limits=Limits(), breakers=Breakers())


@pytest.fixture
def books(db):
    catalog.branch("central", "中央図書館", 0)
    catalog.branch("east", "東図書館", 1)
    catalog.branch("staff", "職員用書庫", 2)
    neko = catalog.record("吾輩は猫である", identifiers=[catalog.isbn("4-00-310101-4")])
    kokoro = catalog.record("こころ", identifiers=[catalog.isbn(KOKORO)])
    return neko, kokoro


def test_each_registered_branch_shows_its_most_useful_copy(books):
    neko, kokoro = books
    catalog.holding(neko, branch_code="central", status=H.ON_LOAN)
    catalog.holding(neko, branch_code="central", status=H.AVAILABLE)
    catalog.holding(neko, branch_code="east", status=H.IN_TRANSIT)
    catalog.holding(neko, branch_code="staff", status=H.AVAILABLE)  # not a registered branch: not shown
    catalog.holding(kokoro, branch_code="east", status=H.REFERENCE_ONLY)
    catalog.holding(kokoro, branch_code="central", status=H.MISSING)

    result = check(["4003101014", KOKORO, "9784480020130"])["Tokyo_Demo"]

    assert result["4003101014"].status is SystemStatus.OK
    assert result["4003101014"].libkeys == {"中央": B.AVAILABLE, "東": B.PREPARING}
    assert result["4003101014"].reserveurl == f"/records/{neko.pk}"
    assert result[KOKORO].libkeys == {"東": B.LIBRARY_USE_ONLY}
    assert result["9784480020130"].libkeys == {}
    assert result["9784480020130"].reserveurl == ""


def test_a_copy_on_loan_with_patrons_waiting_is_reserved(books, settings):
    neko, _ = books
    catalog.holding(neko, branch_code="central", status=H.ON_LOAN)
    catalog.holding(neko, branch_code="east", status=H.ON_HOLD_SHELF)
    assert check([NEKO])["Tokyo_Demo"][NEKO].libkeys == {"中央": B.ON_LOAN, "東": B.RESERVED}

    circulation.place_hold(patron=patrons.patron(), record=neko, pickup_branch=catalog.branch("central"))
    assert check([NEKO])["Tokyo_Demo"][NEKO].libkeys == {"中央": B.RESERVED, "東": B.RESERVED}


def test_a_branch_closed_today_shows_closed(books):
    neko, _ = books
    catalog.holding(neko, branch_code="central", status=H.AVAILABLE)
    catalog.holding(neko, branch_code="east", status=H.AVAILABLE)
    ClosedDay.objects.create(
        branch=catalog.branch("east"), date=timezone.localdate(), kind=ClosedDay.Kind.SPECIAL
    )
    assert check([NEKO])["Tokyo_Demo"][NEKO].libkeys == {"中央": B.AVAILABLE, "東": B.CLOSED}


def test_a_system_that_maps_no_branches_shows_every_branch_by_its_name(books, settings):
    settings.TOSHOKAN_PUBLIC_URL = "https://lib.example.jp"
    neko, _ = books
    catalog.holding(neko, branch_code="staff", status=H.AVAILABLE)
    spec = SystemSpec(systemid="Whole", name="全館", connector=Connector.LOCAL)
    answer = check([NEKO], [spec])["Whole"][NEKO]
    assert answer.libkeys == {"職員用書庫": B.AVAILABLE}
    assert answer.reserveurl == f"https://lib.example.jp/records/{neko.pk}"


def _open_connections() -> int | None:
    """Connections to the test database (PostgreSQL only: SQLite has no server to count them)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return int(cursor.fetchone()[0])


@pytest.mark.django_db(transaction=True)
def test_the_async_check_reads_the_database_on_a_worker_thread_and_closes_its_connection():
    catalog.branch("central", "中央図書館", 0)
    neko = catalog.record("吾輩は猫である", identifiers=[catalog.isbn(NEKO)])
    catalog.holding(neko, branch_code="central", status=H.AVAILABLE)
    before = _open_connections()
    for _ in range(3):  # the worker threads are reused: a connection left open would stay
        result = asyncio.run(engine.check([NEKO], [DEMO], deadline_s=5, limits=Limits(), breakers=Breakers()))
        assert result["Tokyo_Demo"][NEKO].libkeys == {"中央": B.AVAILABLE}
    assert _open_connections() == before
