"""GET /api/v1/records/{id}/export and GET /api/v1/search/export."""

from __future__ import annotations

import csv
import io
import json

import pytest
from lxml import etree

from toshokan.catalog import services
from toshokan.catalog.importers.marc import read_marcxml
from toshokan.catalog.tests import factories

pytestmark = pytest.mark.django_db


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_a_record_exports_as_marcxml_by_default(client):
    rec = factories.record("こころ", identifiers=[factories.isbn("978-4-10-101013-7")])
    response = client.get(f"/api/v1/records/{rec.pk}/export")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/marcxml+xml")
    [bib] = list(read_marcxml(io.BytesIO(response.content)))
    assert bib.title == "こころ"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [
        ("marcxml", "application/marcxml+xml"),
        ("marc", "application/marc"),
        ("dc", "application/xml"),
        ("json", "application/json"),
        ("csv", "text/csv"),
    ],
)
def test_a_record_exports_in_every_format(client, fmt, content_type):
    rec = factories.record("吾輩は猫である", identifiers=[factories.isbn("4-00-310103-0")])
    response = client.get(f"/api/v1/records/{rec.pk}/export", {"format": fmt})
    assert response.status_code == 200
    assert response["Content-Type"].startswith(content_type)
    assert "吾輩は猫である".encode() in response.content
    assert f"record-{rec.pk}." in response["Content-Disposition"]


def test_the_dublin_core_export_names_the_record_page_on_this_server(client):
    rec = factories.record("三四郎")
    response = client.get(f"/api/v1/records/{rec.pk}/export", {"format": "dc"})
    identifiers = [
        e.text
        for e in etree.fromstring(response.content).iter("{http://purl.org/dc/elements/1.1/}identifier")
    ]
    assert f"http://testserver/records/{rec.pk}" in identifiers


def test_an_unknown_format_is_refused(client):
    rec = factories.record("こころ")
    assert client.get(f"/api/v1/records/{rec.pk}/export", {"format": "pdf"}).status_code == 422


def test_exporting_an_unknown_record_is_404(client):
    response = client.get("/api/v1/records/999999/export")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_a_search_exports_its_results_streamed(client, on_commit):
    with on_commit():
        for n in range(3):
            factories.record(f"こころ 第{n + 1}巻", ndc="913.6")
        factories.record("坊っちゃん", ndc="913.6")
        factories.record("線形代数", ndc="411.3")
    response = client.get("/api/v1/search/export", {"q": "こころ", "format": "csv"})
    assert response.status_code == 200 and response.streaming
    assert response["Content-Disposition"] == 'attachment; filename="search.csv"'
    rows = list(csv.DictReader(io.StringIO(_body(response).decode("utf-8-sig"))))
    assert sorted(r["title"] for r in rows) == ["こころ 第1巻", "こころ 第2巻", "こころ 第3巻"]


def test_a_search_export_takes_the_filters_of_search(client, on_commit):
    with on_commit():
        factories.record("坊っちゃん", ndc="913.6")
        factories.record("線形代数", ndc="411.3")
    response = client.get("/api/v1/search/export", {"ndc": "9", "format": "json"})
    assert [r["title"] for r in json.loads(_body(response))] == ["坊っちゃん"]


def test_a_search_export_pages_through_more_than_one_search_page(client, on_commit):
    with on_commit():
        services.import_records([factories.bib(f"本 {n:03d}") for n in range(130)])
    response = client.get("/api/v1/search/export", {"q": "本", "format": "json", "limit": 120})
    data = json.loads(_body(response))
    assert len(data) == 120 and len({r["id"] for r in data}) == 120


def test_a_search_export_is_limited_to_a_thousand_records(client):
    assert client.get("/api/v1/search/export", {"q": "x", "limit": 1001}).status_code == 422
    assert client.get("/api/v1/search/export", {"q": "x", "limit": 1000}).status_code == 200


def test_the_export_routes_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "/api/v1/records/{record_id}/export" in paths
    assert "/api/v1/search/export" in paths
