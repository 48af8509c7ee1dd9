"""What only the PostgreSQL backend has: its table, its indexes and its transactions.

Matching, counting, ranking and facets are in test_backend_conformance.py, shared with Tantivy.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction

from toshokan.catalog.domain.snapshots import RecordSource
from toshokan.search.backends.postgres_backend import PostgresBackend, joined
from toshokan.search.domain.documents import SearchDocument, build_document
from toshokan.search.domain.query import SearchRequest, parse_query

pytestmark = pytest.mark.django_db

on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs a PostgreSQL test database (DATABASE_URL=postgres://…)"
)


def test_it_refuses_a_database_that_is_not_postgresql() -> None:
    if connection.vendor == "postgresql":
        pytest.skip("the test database is PostgreSQL")
    with pytest.raises(ImproperlyConfigured, match="needs a PostgreSQL database"):
        PostgresBackend()


def test_values_are_kept_apart_by_separators() -> None:
    assert joined(["東京", "", "京都"]) == "\x1f東京\x1f京都\x1f"
    assert joined([]) == ""
    # Nothing else may carry the separator or a space (the grams function splits on spaces).
    assert joined(["a b\x1fc"]) == "\x1fabc\x1f"


def indexes() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'search_document'")
        return dict(cursor.fetchall())


def plan(backend: PostgresBackend, q: str) -> str:
    return backend.explain(parse_query(q), SearchRequest(q=q))


@on_postgres
def test_rebuild_keeps_every_index_of_the_table() -> None:
    backend = PostgresBackend()
    before = indexes()
    assert "search_document_title_grams" in before
    backend.rebuild(iter([build_document(RecordSource(id=1, title="吾輩は猫である"))]))
    assert indexes() == before
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT collation_name FROM information_schema.columns"
            " WHERE table_name = 'search_document' AND column_name IN ('title', 'sort_reading')"
        )
        assert {row[0] for row in cursor.fetchall()} == {"C"}


@on_postgres
def test_terms_are_found_through_the_gram_indexes() -> None:
    backend = PostgresBackend()
    backend.rebuild(iter([build_document(RecordSource(id=i, title=f"東京都の歴史{i}")) for i in range(50)]))
    assert "Bitmap Index Scan on search_document_title_grams" in plan(backend, "東京都")
    assert "Bitmap Index Scan on search_document_title_grams" in plan(backend, "猫")


def current_settings() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('enable_seqscan'), current_setting('jit'), current_setting('work_mem'),"
            " current_setting('max_parallel_workers_per_gather')"
        )
        return list(cursor.fetchone())


@on_postgres
@pytest.mark.parametrize("binding", ["client-side", "server-side"])
def test_the_planner_settings_end_with_the_search(binding: str, monkeypatch: pytest.MonkeyPatch) -> None:

    if binding == "server-side":
        # Not a client-side binding cursor: the search takes the savepoint path.
        monkeypatch.setattr("psycopg.ClientCursor", type("Other", (), {}))
    backend = PostgresBackend()
    backend.index([build_document(RecordSource(id=1, title="こころ"))])
    with transaction.atomic():
        before = current_settings()
        assert backend.search(parse_query("こころ"), SearchRequest(q="こころ")).total == 1
        assert current_settings() == before
        # The caller's writes in the same transaction are still there.
        assert backend.count() == 1


@on_postgres
def test_a_search_is_one_query(django_assert_num_queries: Any) -> None:
    backend = PostgresBackend()
    backend.index([build_document(RecordSource(id=1, title="こころ"))])
    with django_assert_num_queries(1):
        backend.search(parse_query("こころ"), SearchRequest(q="こころ"))


@on_postgres
@pytest.mark.django_db(transaction=True)
def test_the_planner_settings_end_with_a_search_outside_any_transaction() -> None:
    backend = PostgresBackend()
    backend.index([build_document(RecordSource(id=1, title="こころ"))])
    before = current_settings()
    assert backend.search(parse_query("こころ"), SearchRequest(q="こころ")).total == 1
    assert current_settings() == before
    backend.clear()


@on_postgres
def test_quotes_backslashes_and_percent_signs_are_data() -> None:
    backend = PostgresBackend()
    odd = 'it\'s 100% \\ "x"'
    backend.index(
        [
            SearchDocument(
                id=1, title=["its100x"], title_marked=[odd], principal=[odd], identifiers=["isbn:" + odd]
            )
        ]
    )
    assert backend.search(parse_query("its100"), SearchRequest(q="its100")).total == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT title_marked, identifiers FROM search_document WHERE record_id = 1")
        assert cursor.fetchone() == (f"\x1f{odd.replace(' ', '')}\x1f", ["isbn:" + odd])


@on_postgres
def test_a_rebuild_reads_the_catalogue_through_the_same_connection(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # rebuild_index's documents come from the catalogue, read lazily on the connection the
    # rebuild COPYs on; batches of two make the reads and the COPYs take turns.
    from toshokan.catalog.tests import factories
    from toshokan.search import services
    from toshokan.search.backends import postgres_backend
    from toshokan.search.engine import reset_backend

    monkeypatch.setattr(postgres_backend, "COPY_BATCH", 2)
    for i in range(5):
        factories.record(f"銀河鉄道の夜 第{i}巻")
    settings.TOSHOKAN_SEARCH = {**settings.TOSHOKAN_SEARCH, "BACKEND": "postgres"}
    reset_backend()
    progress: list[int] = []
    assert services.rebuild_index(on_progress=progress.append) == 5
    assert progress == [2, 2, 1]
    backend = PostgresBackend()
    assert backend.count() == 5
    assert backend.search(parse_query("銀河鉄道"), SearchRequest(q="銀河鉄道")).total == 5
    reset_backend()
