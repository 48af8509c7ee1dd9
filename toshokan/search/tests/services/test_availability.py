"""Circulation's status changes reach the search index coalesced: later, together, and never lost."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from toshokan.catalog.tests import factories as catalog_factories
from toshokan.circulation import services as circulation_services
from toshokan.core import hooks
from toshokan.patrons.tests import factories as patron_factories
from toshokan.search import availability
from toshokan.search import services as search_services
from toshokan.search.domain.query import Filters, SearchRequest
from toshokan.search.selectors import search_catalog


def available_titles() -> list[str]:
    page = search_catalog(SearchRequest(q="本", filters=Filters(available=True)))
    return sorted(r.title for r in page.records)


@pytest.fixture(autouse=True)
def nothing_pending() -> Iterator[None]:
    availability._pending.clear()
    yield
    availability._pending.clear()


@pytest.fixture
def delay(settings):
    def set_delay(seconds: float) -> None:
        settings.TOSHOKAN_SEARCH = {**settings.TOSHOKAN_SEARCH, "AVAILABILITY_DELAY_S": seconds}

    return set_delay


def three_copies(on_commit):
    with on_commit():
        copies = [catalog_factories.holding(catalog_factories.record(f"{n}の本")) for n in "一二三"]
    return copies


@pytest.mark.django_db
def test_with_no_delay_a_checkout_leaves_available_now_at_once(on_commit, delay):
    delay(0)
    copies = three_copies(on_commit)
    patron = patron_factories.patron()
    with on_commit():
        circulation_services.checkout(barcode=copies[0].barcode, patron=patron, branch=copies[0].branch)
    assert available_titles() == ["三の本", "二の本"]
    assert availability.pending() == []


@pytest.mark.django_db
def test_with_a_delay_checkouts_wait_and_then_reach_the_index_in_one_write(on_commit, delay):
    delay(60)  # the flusher would wait a minute: this test flushes by hand
    copies = three_copies(on_commit)
    patron = patron_factories.patron()
    with on_commit():
        for copy in copies:
            circulation_services.checkout(barcode=copy.barcode, patron=patron, branch=copy.branch)
    assert availability.pending() == sorted({c.record_id for c in copies})
    assert available_titles() == ["一の本", "三の本", "二の本"]  # not yet: the index is behind
    writes = availability.flush_count()
    assert availability.flush() == 3
    assert availability.flush_count() == writes + 1
    assert available_titles() == []
    assert availability.pending() == []


@pytest.mark.django_db
def test_a_failed_write_keeps_the_changes_for_the_next_one(on_commit, delay, monkeypatch):
    delay(60)
    copies = three_copies(on_commit)
    with on_commit():
        circulation_services.checkout(
            barcode=copies[0].barcode, patron=patron_factories.patron(), branch=copies[0].branch
        )
    real = search_services.index_records

    def broken(ids: list[int]) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(search_services, "index_records", broken)
    with pytest.raises(OSError):
        availability.flush()
    assert availability.pending() == [copies[0].record_id]
    monkeypatch.setattr(search_services, "index_records", real)
    assert availability.flush() == 1
    assert available_titles() == ["三の本", "二の本"]


@pytest.mark.django_db
def test_a_batch_indexes_availability_with_its_other_changes(on_commit, delay):
    delay(60)
    copies = three_copies(on_commit)
    with hooks.batched_changes(), on_commit():
        circulation_services.checkout(
            barcode=copies[1].barcode, patron=patron_factories.patron(), branch=copies[1].branch
        )
    assert availability.pending() == []
    assert available_titles() == ["一の本", "三の本"]


@pytest.mark.django_db(transaction=True)
def test_the_background_thread_indexes_a_checkout_after_the_delay(delay):
    delay(0.2)
    copies = [catalog_factories.holding(catalog_factories.record(f"{n}の本")) for n in "一二"]
    search_services.index_records([c.record_id for c in copies])
    circulation_services.checkout(
        barcode=copies[0].barcode, patron=patron_factories.patron(), branch=copies[0].branch
    )
    deadline = time.monotonic() + 30  # a generous bound on a busy machine, not a timing target
    while available_titles() != ["二の本"] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert available_titles() == ["二の本"]
    assert availability.pending() == []
