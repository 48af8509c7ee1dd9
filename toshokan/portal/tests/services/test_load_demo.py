"""`manage.py load_demo` loads the demo library of ../shared/CONTRACT.md, and a second run adds nothing.

The library is loaded as a database made before circulation existed would have it (catalogue and
staff only, with copies marked on loan, on the hold shelf and in transit that nothing backs), and
then with every step: the circulation demo repairs those statuses and lends through its services.
"""

from __future__ import annotations

import io
import json

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count
from django.utils import timezone

from toshokan.catalog import services as catalog_services
from toshokan.catalog.domain.enums import HoldingStatus
from toshokan.catalog.models import Branch, Holding, Identifier, Record
from toshokan.circulation import services as circulation_services
from toshokan.circulation.domain.states import HoldState
from toshokan.circulation.models import Hold, Loan, Transit
from toshokan.patrons import services as patron_services
from toshokan.patrons.models import Patron, PatronBlock
from toshokan.search.domain.query import SearchRequest
from toshokan.search.engine import get_backend
from toshokan.search.selectors import search_catalog

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def _counts() -> tuple[int, ...]:
    return (
        Record.objects.count(),
        Holding.objects.count(),
        Branch.objects.count(),
        Identifier.objects.count(),
        Patron.objects.count(),
        Loan.objects.count(),
        Hold.objects.count(),
        Transit.objects.count(),
    )


def _as_before_circulation() -> None:
    """Load catalogue and staff only, and leave statuses the way the catalogue demo used to draw them."""
    steps = settings.TOSHOKAN_DEMO_STEPS
    settings.TOSHOKAN_DEMO_STEPS = [s for s in steps if s != "toshokan.circulation.demo"]
    try:
        call_command("load_demo", stdout=io.StringIO())
    finally:
        settings.TOSHOKAN_DEMO_STEPS = steps
    old = [HoldingStatus.ON_LOAN] * 16 + [HoldingStatus.ON_HOLD_SHELF] * 3 + [HoldingStatus.IN_TRANSIT] * 2
    for n, holding in enumerate(Holding.objects.filter(status=HoldingStatus.AVAILABLE).order_by("pk")[:210]):
        catalog_services.set_holding_status(holding=holding, status=old[n % len(old)])


def test_the_demo_library_loads_once_and_is_searchable():
    _as_before_circulation()
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert "demo catalog: already loaded" in out.getvalue()
    assert "demo circulation: done" in out.getvalue()
    records, holdings, branches = _counts()[:3]
    aozora = Record.objects.filter(source="aozora")
    assert aozora.count() == 17780
    assert Identifier.objects.filter(scheme="aozora", value="000773").exists()  # こころ, zero-padded
    assert Record.objects.filter(source="marc", identifiers__scheme="isbn", holdings__isnull=False).exists()
    assert branches >= 3
    assert holdings > 3000
    assert get_backend().count() == records
    kokoro = search_catalog(SearchRequest(q="漱石 こころ", limit=1)).records[0]
    assert kokoro.title == "こころ"
    assert kokoro.holdings.count() == 3  # the works whose texts ship have three copies
    assert kokoro.extra["etext_file"].startswith("aozora/texts/")

    credentials = json.loads((settings.BASE_DIR / "demo" / "credentials.json").read_text())
    for staff in credentials["staff"]:
        user = get_user_model().objects.get(username=staff["username"])
        assert user.check_password(staff["password"])

    # Every status that says a patron has the copy is backed by circulation.
    on_loan = Holding.objects.filter(status=HoldingStatus.ON_LOAN).annotate(n=Count("loan"))
    assert on_loan.count() > 300
    assert not on_loan.exclude(n=1).exists()
    assert (
        Loan.objects.exclude(holding__status__in=[HoldingStatus.ON_LOAN, HoldingStatus.MISSING]).count() == 0
    )
    for copy in Holding.objects.filter(status=HoldingStatus.ON_HOLD_SHELF):
        assert Hold.objects.filter(assigned=copy, state=HoldState.READY).count() == 1
    in_transit = Holding.objects.filter(status=HoldingStatus.IN_TRANSIT)
    assert in_transit.count() == Transit.objects.count() > 0
    assert Hold.objects.filter(state=HoldState.WAITING).exists()

    # At least twenty patrons who log in with their PIN and have nothing on their card.
    today = timezone.localdate()
    assert len(credentials["patrons"]) >= 20
    for entry in credentials["patrons"]:
        patron = patron_services.authenticate(card_number=entry["card"], pin=entry["pin"])
        assert not Loan.objects.filter(patron=patron).exists()
        assert not Hold.objects.filter(patron=patron).exists()
        assert not PatronBlock.objects.filter(patron=patron).exists()
        assert circulation_services.borrowing_problems(patron, today=today) == []
    for entry in credentials["showcase_patrons"]:
        patron_services.authenticate(card_number=entry["card"], pin=entry["pin"])

    before = _counts()
    again = io.StringIO()
    call_command("load_demo", stdout=again)
    assert _counts() == before
    assert "already loaded" in again.getvalue()
