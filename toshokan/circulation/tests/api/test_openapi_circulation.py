"""The OpenAPI document lists every desk and patron operation with how to authenticate."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

OPERATIONS = {
    ("post", "/api/v1/loans"),
    ("post", "/api/v1/returns"),
    ("post", "/api/v1/loans/{barcode}/renewal"),
    ("post", "/api/v1/loans/{barcode}/lost"),
    ("get", "/api/v1/patrons"),
    ("post", "/api/v1/patrons"),
    ("get", "/api/v1/patrons/{card_number}"),
    ("get", "/api/v1/patrons/{card_number}/loans"),
    ("get", "/api/v1/patrons/{card_number}/holds"),
    ("get", "/api/v1/patrons/{card_number}/history"),
    ("patch", "/api/v1/patrons/{card_number}/preferences"),
    ("post", "/api/v1/patrons/{card_number}/registration-renewal"),
    ("put", "/api/v1/patrons/{card_number}/pin"),
    ("post", "/api/v1/patrons/{card_number}/blocks"),
    ("post", "/api/v1/patrons/{card_number}/blocks/{block_id}/lift"),
    ("post", "/api/v1/holds"),
    ("delete", "/api/v1/holds/{hold_id}"),
    ("post", "/api/v1/holds/{hold_id}/suspend"),
    ("post", "/api/v1/holds/{hold_id}/resume"),
    ("post", "/api/v1/holds/expire"),
    ("get", "/api/v1/branches/{branch}/pull-list"),
    ("get", "/api/v1/branches/{branch}/hold-shelf"),
    ("get", "/api/v1/branches/{branch}/transits"),
    ("post", "/api/v1/patron/session"),
    ("delete", "/api/v1/patron/session"),
    ("get", "/api/v1/me"),
    ("get", "/api/v1/me/loans"),
    ("post", "/api/v1/me/loans/{loan_id}/renewal"),
    ("get", "/api/v1/me/holds"),
    ("post", "/api/v1/me/holds"),
    ("delete", "/api/v1/me/holds/{hold_id}"),
    ("post", "/api/v1/me/holds/{hold_id}/suspend"),
    ("post", "/api/v1/me/holds/{hold_id}/resume"),
    ("patch", "/api/v1/me/preferences"),
    ("put", "/api/v1/me/pin"),
    ("get", "/api/v1/me/reading-history"),
    ("put", "/api/v1/me/reading-history"),
    ("delete", "/api/v1/me/reading-history/{entry_id}"),
    ("get", "/api/v1/me/notices"),
    ("post", "/api/v1/me/notices/read"),
    ("get", "/api/v1/patrons/{card_number}/notices"),
}


def test_every_operation_is_documented_with_its_authentication(client):
    doc = client.get("/api/v1/openapi.json").json()
    listed = {(method, path) for path, ops in doc["paths"].items() for method in ops}
    assert listed >= OPERATIONS
    schemes = doc["components"]["securitySchemes"]
    assert schemes["StaffToken"] == {"type": "http", "scheme": "bearer"}
    assert schemes["PatronSession"]["in"] == "cookie"
    for method, path in OPERATIONS - {
        ("post", "/api/v1/patron/session"),
        ("delete", "/api/v1/patron/session"),
    }:
        security = {name for entry in doc["paths"][path][method]["security"] for name in entry}
        assert security & {"StaffToken", "PatronSession"}, (method, path)
    checkout = doc["paths"]["/api/v1/loans"]["post"]
    assert "Idempotency-Key" in {p["name"] for p in checkout["parameters"]}
    assert {"201", "404", "409", "422"} <= set(checkout["responses"])
