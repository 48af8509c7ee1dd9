"""GET /api/v1/search as ../shared/CONTRACT.md describes it."""

from __future__ import annotations

import pytest

from toshokan.catalog.domain.enums import HoldingStatus, IdentifierScheme
from toshokan.catalog.domain.records import IdentifierEntry
from toshokan.catalog.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(on_commit):
    with on_commit():
        kokoro = factories.record(
            "こころ",
            title_reading="こころ",
            year=1914,
            ndc="913.6",
            identifiers=[IdentifierEntry(IdentifierScheme.AOZORA, "773"), factories.isbn("4-00-310111-1")],
        )
        factories.holding(kokoro, branch_code="central")
        factories.holding(kokoro, branch_code="kita", status=HoldingStatus.ON_LOAN)
        factories.record("吾輩は猫である", title_reading="わがはいはねこである", year=1905, ndc="913.6")
        factories.record("羅生門", title_reading="らしょうもん", year=1915, ndc="913.6", creators=[])
    return kokoro


def test_search_returns_the_contract_shape(client, catalogue):
    data = client.get("/api/v1/search", {"q": "こころ"}).json()
    assert data["total"] == 1
    hit = data["results"][0]
    assert {
        "id",
        "title",
        "title_reading",
        "creators",
        "identifiers",
        "ndc",
        "year",
        "availability",
    } <= hit.keys()
    assert hit["title"] == "こころ"
    assert hit["identifiers"]["aozora"] == "000773"
    assert hit["identifiers"]["isbn"] == "9784003101117"
    assert hit["creators"] == [
        {
            "name": "夏目漱石",
            "reading": "なつめ そうせき",
            "romanized": "Natsume Soseki",
            "role": "author",
            "role_label": "著者",
        }
    ]
    assert hit["availability"] == {"copies": 2, "available": 1, "status": "available", "online": False}


def test_author_and_title_in_any_order(client, catalogue):
    for q in ("漱石 こころ", "こころ 漱石", "soseki kokoro", "なつめ こころ"):
        data = client.get("/api/v1/search", {"q": q}).json()
        assert [r["title"] for r in data["results"]] == ["こころ"], q


def test_an_isbn_finds_its_record(client, catalogue):
    for q in ("9784003101117", "4003101111", "978-4-00-310111-7", "ISBN4-00-310111-1"):
        assert client.get("/api/v1/search", {"q": q}).json()["total"] == 1, q


def test_filters_and_facets(client, catalogue):
    data = client.get("/api/v1/search", {"q": "", "ndc": "9"}).json()
    assert data["total"] == 3
    assert data["facets"]["ndc"] == {"9": 3}
    assert data["facets"]["branch"] == {"central": 1, "kita": 1}
    available = client.get("/api/v1/search", {"q": "", "available": "true"}).json()
    assert [r["title"] for r in available["results"]] == ["こころ"]
    at_kita = client.get("/api/v1/search", {"q": "", "available": "true", "branch": "kita"}).json()
    assert at_kita["total"] == 0
    old = client.get("/api/v1/search", {"year_to": 1910}).json()
    assert [r["title"] for r in old["results"]] == ["吾輩は猫である"]


def test_sort_by_reading_and_by_year(client, catalogue):
    by_reading = client.get("/api/v1/search", {"sort": "reading"}).json()
    assert [r["title"] for r in by_reading["results"]] == ["こころ", "羅生門", "吾輩は猫である"]
    newest = client.get("/api/v1/search", {"sort": "year_desc"}).json()
    assert [r["year"] for r in newest["results"]] == [1915, 1914, 1905]


def test_paging_keeps_the_exact_total(client, catalogue):
    page = client.get("/api/v1/search", {"limit": 1, "offset": 1, "sort": "reading"}).json()
    assert page["total"] == 3
    assert [r["title"] for r in page["results"]] == ["羅生門"]


def test_bad_parameters_are_refused_clearly(client, catalogue):
    response = client.get("/api/v1/search", {"limit": 1000})
    assert response.status_code == 422
    assert "limit" in response.text


def test_a_query_of_punctuation_only_finds_nothing(client, catalogue):
    assert client.get("/api/v1/search", {"q": "「」・"}).json()["total"] == 0


def test_an_isbn_with_a_wrong_check_digit_is_kept_as_a_note_not_an_identifier(on_commit):
    with on_commit():
        rec = factories.record("こころ", identifiers=[factories.isbn("4-00-310111-7")])
    assert not rec.identifiers.exists()
    assert "4-00-310111-7" in rec.notes


def test_the_body_is_exactly_what_the_documented_schema_makes_of_it(client, catalogue):
    # The endpoint writes its JSON itself (no validation on the way out): the OpenAPI schema must
    # still describe it field for field.
    from toshokan.search.api import SearchOut

    for params in ({"q": "こころ"}, {"q": ""}, {"q": "913", "facets": "false", "limit": 2}):
        data = client.get("/api/v1/search", params).json()
        assert SearchOut.model_validate(data).model_dump(mode="json") == data
