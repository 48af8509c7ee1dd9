"""rebuild_index: the whole index from the catalogue, in one process or with worker processes."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from toshokan.catalog.tests import factories
from toshokan.search import services
from toshokan.search.domain.query import SearchRequest
from toshokan.search.engine import get_backend
from toshokan.search.selectors import search_catalog

pytestmark = pytest.mark.django_db

TITLES = [f"東京の本 第{n}巻" if n % 3 == 0 else f"京都の旅 {n}" for n in range(1, 2501)]


def found(q: str) -> tuple[int, list[int]]:
    page = search_catalog(SearchRequest(q=q, limit=20), with_records=False)
    return page.total, page.ids


@pytest.fixture
def catalogue() -> list[int]:
    # Saved without on-commit reindexing: the index starts empty and only a rebuild fills it.
    return [factories.record(title).pk for title in TITLES]


@pytest.mark.parametrize("workers", [1, 2])
def test_a_rebuild_indexes_every_record_and_drops_the_rest(catalogue, workers):
    backend = get_backend()
    assert backend.count() == 0
    progress: list[int] = []

    count = services.rebuild_index(workers=workers, on_progress=progress.append)

    assert count == len(TITLES) == backend.count() == sum(progress)
    assert found("東京")[0] == len([t for t in TITLES if "東京" in t])
    assert found("京都 2500")[0] == 1
    assert found("soseki")[0] == len(TITLES)  # the factory's author, from the creator's romaji


def matches(q: str) -> tuple[int, set[int] | None]:
    # Equal scores come back in the index's segment order, which its writer threads decide: compare
    # totals, and the records found where all of them fit on the page, not the order of ties.
    page = search_catalog(SearchRequest(q=q, limit=100), with_records=False)
    return page.total, set(page.ids) if page.total <= 100 else None


def test_workers_give_the_same_index_as_one_process(catalogue):
    queries = ("東京", "京都", "第3", "巻", "kyoto 12", "旅 24", "第99")
    services.rebuild_index(workers=1)
    one = [matches(q) for q in queries]
    services.rebuild_index(workers=3)
    assert [matches(q) for q in queries] == one
    assert one[3][0] == len([t for t in TITLES if "巻" in t])
    expected = {pk for pk, title in zip(catalogue, TITLES, strict=True) if "第99" in title}
    assert one[-1] == (len(expected), expected)


def test_the_command_reports_what_it_indexed(catalogue, capsys):
    call_command("rebuild_index", "--workers", "2", "--no-progress")
    assert f"indexed {len(TITLES)} records" in capsys.readouterr().out
    assert get_backend().count() == len(TITLES)
