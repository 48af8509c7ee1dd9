"""Two toshokan sites: one asks the other's /api/v1/federation/availability through the `toshokan` connector."""

from __future__ import annotations

import pytest

from toshokan.catalog.domain.enums import HoldingStatus as H
from toshokan.catalog.tests import factories as catalog
from toshokan.federation import engine, selectors, services
from toshokan.federation.domain.availability import BranchStatus as B
from toshokan.federation.domain.availability import SystemStatus
from toshokan.federation.domain.registry import BranchSpec, CheckSettings, Connector, Registry, SystemSpec
from toshokan.federation.engine import Breakers, Limits
from toshokan.federation.tests.connectors.test_local import DEMO

NEKO = "9784003101018"
KOKORO = "9784101010137"
LOCAL = DEMO  # the local connector's tests' system: the same two branches answer here


def shelves() -> int:
    catalog.branch("central", "中央図書館", 0)
    catalog.branch("east", "東図書館", 1)
    services.sync_registry(Registry(CheckSettings(), (LOCAL,)), source="test.toml")
    selectors.forget_registry()
    neko = catalog.record("吾輩は猫である", identifiers=[catalog.isbn(NEKO)])
    catalog.holding(neko, branch_code="central", status=H.ON_LOAN)
    catalog.holding(neko, branch_code="east", status=H.AVAILABLE)
    return neko.pk


@pytest.mark.django_db(transaction=True)
def test_another_toshokan_answers_through_its_api_with_its_branches_and_record_page(live_server):
    record_id = shelves()
    remote = SystemSpec(
        systemid="Remote_Toshokan", name="隣の図書館", connector=Connector.TOSHOKAN, endpoint=live_server.url,
        branches=(BranchSpec(libkey="中央", formal="中央"), BranchSpec(libkey="東", formal="東")),
    )  # fmt: skip
    result = engine.check_sync(
        ["4-00-310101-4", KOKORO], [remote], deadline_s=10, limits=Limits(), breakers=Breakers()
    )["Remote_Toshokan"]
    assert result["4-00-310101-4"].status is SystemStatus.OK
    assert result["4-00-310101-4"].libkeys == {"中央": B.ON_LOAN, "東": B.AVAILABLE}
    assert result["4-00-310101-4"].reserveurl == f"{live_server.url}/records/{record_id}"
    assert result[KOKORO].libkeys == {}


def test_the_availability_api_answers_per_isbn_as_given(client, db):
    record_id = shelves()
    response = client.get("/api/v1/federation/availability", {"isbn": f"4003101014,{KOKORO}"})
    assert response.status_code == 200
    assert response.json() == {
        "isbns": {
            "4003101014": {
                "libkeys": {"中央": "貸出中", "東": "貸出可"},
                "reserveurl": f"http://testserver/records/{record_id}",
            },
            KOKORO: {"libkeys": {}, "reserveurl": ""},
        }
    }


@pytest.mark.parametrize(
    ("query", "status", "error"),
    [
        ({"isbn": "4003101014,12345"}, 400, "not ISBNs: 12345"),
        ({"isbn": " , "}, 400, "at least one ISBN"),
        ({"isbn": ",".join([NEKO] * 101)}, 400, "at most 100"),
        ({"isbn": NEKO, "systemid": "Osaka"}, 404, "not a local system"),
        ({}, 422, ""),
    ],
)
def test_the_availability_api_refuses_bad_requests_clearly(client, db, query, status, error):
    shelves()
    response = client.get("/api/v1/federation/availability", query)
    assert response.status_code == status
    assert error in str(response.json()["detail"])
