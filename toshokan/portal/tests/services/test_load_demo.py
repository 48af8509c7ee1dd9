"""`manage.py load_demo` loads the demo library of ../shared/CONTRACT.md, and a second run adds nothing."""

from __future__ import annotations

import io
import json

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command

from toshokan.catalog.models import Branch, Holding, Identifier, Record
from toshokan.search.domain.query import SearchRequest
from toshokan.search.engine import get_backend
from toshokan.search.selectors import search_catalog

pytestmark = [pytest.mark.django_db, pytest.mark.slow]


def _counts() -> tuple[int, int, int, int]:
    return Record.objects.count(), Holding.objects.count(), Branch.objects.count(), Identifier.objects.count()


def test_the_demo_library_loads_once_and_is_searchable():
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    records, holdings, branches, _ = _counts()
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

    before = _counts()
    again = io.StringIO()
    call_command("load_demo", stdout=again)
    assert _counts() == before
    assert "already loaded" in again.getvalue()
