"""record_summaries (flat queries, for result lists) says exactly what record_summary says."""

from __future__ import annotations

import pytest

from toshokan.catalog import selectors
from toshokan.catalog.domain.enums import CreatorRole, HoldingStatus
from toshokan.catalog.domain.records import CreatorEntry
from toshokan.catalog.schemas import record_summary
from toshokan.catalog.tests import factories

pytestmark = pytest.mark.django_db


def test_summaries_match_the_model_path_in_the_order_asked():
    translated = factories.record(
        "変身",
        title_reading="へんしん",
        subtitle="ほか一篇",
        ndc="943",
        year=1952,
        publisher="岩波書店",
        language="jpn",
        identifiers=[factories.isbn("978-4-00-324381-0")],
        creators=[
            CreatorEntry(name="Kafka, Franz", romanized="Kafka, Franz", role=CreatorRole.AUTHOR),
            CreatorEntry(name="山下肇", reading="やました はじめ", role=CreatorRole.TRANSLATOR),
        ],
    )
    factories.holding(translated, status=HoldingStatus.ON_LOAN)
    factories.holding(translated, branch_code="kita", status=HoldingStatus.WITHDRAWN)
    lent_out = factories.record("こころ")
    factories.holding(lent_out, status=HoldingStatus.ON_LOAN)
    factories.holding(lent_out, branch_code="kita", status=HoldingStatus.AVAILABLE)
    no_copies = factories.record("草枕", creators=[])

    ids = [no_copies.pk, translated.pk, 999_999, lent_out.pk]
    got = selectors.record_summaries(ids)

    expected = [record_summary(r) for r in selectors.records_by_ids(ids)]
    assert got == expected
    assert [s["id"] for s in got] == [no_copies.pk, translated.pk, lent_out.pk]
    by_id = {s["id"]: s for s in got}
    assert by_id[translated.pk]["availability"] == {
        "copies": 1,
        "available": 0,
        "status": "on_loan",
        "online": False,
    }
    creators: list[dict[str, str]] = by_id[translated.pk]["creators"]  # type: ignore[assignment]
    assert [c["role"] for c in creators] == ["author", "translator"]
    assert by_id[lent_out.pk]["availability"]["status"] == "available"  # type: ignore[index]
    assert by_id[no_copies.pk]["availability"]["status"] == "none"  # type: ignore[index]


def test_no_ids_no_queries(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert selectors.record_summaries([]) == []


def test_a_page_of_summaries_costs_four_queries(django_assert_num_queries):
    ids = []
    for n in range(20):
        rec = factories.record(f"作品{n}", identifiers=[factories.isbn("9784003101018")] if n % 2 else [])
        factories.holding(rec)
        ids.append(rec.pk)
    with django_assert_num_queries(4):
        assert len(selectors.record_summaries(ids)) == 20
