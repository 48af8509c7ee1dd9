"""GET /api/v1/records/{id}, health and the OpenAPI document."""

from __future__ import annotations

import pytest

from toshokan.catalog.domain.enums import HoldingStatus
from toshokan.catalog.tests import factories

pytestmark = pytest.mark.django_db

STATUSES = {
    "available",
    "on_loan",
    "on_hold_shelf",
    "in_transit",
    "reference_only",
    "missing",
    "withdrawn",
    "processing",
}


def test_a_record_comes_with_its_holdings(client, on_commit):
    with on_commit():
        rec = factories.record("坊っちゃん", title_reading="ぼっちゃん", ndc="913.6")
        factories.holding(rec, branch_code="central")
        factories.holding(rec, branch_code="kita", status=HoldingStatus.IN_TRANSIT)
    data = client.get(f"/api/v1/records/{rec.pk}").json()
    assert data["title"] == "坊っちゃん"
    assert [(h["branch"], h["status"]) for h in data["holdings"]] == [
        ("central", "available"),
        ("kita", "in_transit"),
    ]
    assert all({"barcode", "branch", "shelf_mark", "status"} <= h.keys() for h in data["holdings"])
    assert {h["status"] for h in data["holdings"]} <= STATUSES


def test_an_unknown_record_is_404(client):
    response = client.get("/api/v1/records/999999")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_health_reports_ok_and_counts(client, on_commit):
    with on_commit():
        factories.record("こころ")
    data = client.get("/api/v1/health").json()
    assert data["status"] == "ok"
    assert data["records"] == data["indexed"] == 1


def test_the_openapi_document_lists_search_and_records(client):
    doc = client.get("/api/v1/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    assert "/api/v1/search" in doc["paths"]
    assert "/api/v1/records/{record_id}" in doc["paths"]
