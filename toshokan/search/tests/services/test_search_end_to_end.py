"""A record saved through the catalogue is searchable at once, as people type."""

from __future__ import annotations

import pytest

from toshokan.catalog import services as catalog_services
from toshokan.catalog.domain.enums import HoldingStatus
from toshokan.catalog.tests import factories
from toshokan.search.domain.query import Filters, SearchRequest
from toshokan.search.selectors import search_catalog

pytestmark = pytest.mark.django_db


def titles(q: str, **filters: object) -> list[str]:
    page = search_catalog(SearchRequest(q=q, filters=Filters(**filters)))  # type: ignore[arg-type]
    return [r.title for r in page.records]


def test_a_saved_record_is_searchable_at_once(on_commit):
    with on_commit():
        factories.record("吾輩は猫である", title_reading="わがはいはねこである")
    assert titles("吾輩") == ["吾輩は猫である"]
    assert titles("ネコ") == ["吾輩は猫である"]
    assert titles("wagahai wa neko de aru") == ["吾輩は猫である"]
    assert titles("soseki") == ["吾輩は猫である"]


def test_three_characters_do_not_match_their_pairs_apart(on_commit):
    with on_commit():
        factories.record("東京と京都", title_reading="とうきょうときょうと")
        factories.record("東京都の歴史", title_reading="とうきょうとのれきし")
    page = search_catalog(SearchRequest(q="東京都"))
    assert page.total == 1
    assert [r.title for r in page.records] == ["東京都の歴史"]


def test_old_kanji_find_new_and_new_find_old(on_commit):
    with on_commit():
        factories.record("日本文學の發生")
        factories.record("国語の歴史")
    assert titles("日本文学") == ["日本文學の發生"]
    assert titles("國語") == ["国語の歴史"]


def test_available_now_follows_a_status_change(on_commit):
    with on_commit():
        rec = factories.record("こころ", title_reading="こころ")
        copy = factories.holding(rec)
    assert titles("こころ", available=True) == ["こころ"]
    with on_commit():
        catalog_services.set_holding_status(holding=copy, status=HoldingStatus.ON_LOAN)
    assert titles("こころ", available=True) == []
    assert titles("こころ") == ["こころ"]


def test_a_deleted_record_leaves_the_index(on_commit):
    with on_commit():
        rec = factories.record("坊っちゃん")
    with on_commit():
        catalog_services.delete_record(record=rec)
    assert titles("坊っちゃん") == []
