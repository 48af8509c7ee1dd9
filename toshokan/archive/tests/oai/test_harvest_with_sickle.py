"""A harvest of a running toshokan by an independent OAI-PMH harvester (Sickle), over HTTP."""

from __future__ import annotations

import pytest
from lxml import etree
from sickle import Sickle
from sickle.oaiexceptions import BadArgument, CannotDisseminateFormat, IdDoesNotExist, NoRecordsMatch

from toshokan.catalog import services as catalog_services
from toshokan.catalog.tests import factories

from .schema import assert_valid

pytestmark = pytest.mark.django_db(transaction=True)
REPO = "library.example.jp"


@pytest.fixture
def repository(live_server, settings):
    settings.TOSHOKAN_OAI = {"REPOSITORY_IDENTIFIER": REPO, "PAGE_SIZE": 7, "IDENTIFIERS_PAGE_SIZE": 9}
    records = [factories.record(f"本{i}", ndc=f"{i % 10}13") for i in range(30)]
    gone = records.pop()
    gone_pk = gone.pk
    catalog_services.delete_record(record=gone)
    return {"url": f"{live_server.url}/oai", "live": [r.pk for r in records], "gone": gone_pk}


def test_sickle_harvests_every_record_once_in_valid_responses(repository):
    seen_pages: list[bytes] = []

    class Recording(Sickle):  # type: ignore[misc]
        def harvest(self, **kwargs):
            response = super().harvest(**kwargs)
            seen_pages.append(response.raw.encode() if isinstance(response.raw, str) else response.raw)
            return response

    sickle = Recording(repository["url"], max_retries=0, timeout=10)
    records = list(sickle.ListRecords(metadataPrefix="oai_dc", ignore_deleted=False))
    ids = [r.header.identifier for r in records]
    assert len(ids) == len(set(ids)) == 30
    assert sorted(ids) == sorted(
        f"oai:{REPO}:catalog/{pk}" for pk in [*repository["live"], repository["gone"]]
    )
    assert [r.header.identifier for r in records if r.header.deleted] == [
        f"oai:{REPO}:catalog/{repository['gone']}"
    ]
    assert {r.metadata["title"][0] for r in records if not r.header.deleted} == {f"本{i}" for i in range(29)}
    assert len(seen_pages) == 5  # 30 records in pages of 7
    for page in seen_pages:
        assert_valid(page)

    headers = list(sickle.ListIdentifiers(metadataPrefix="oai_dc", set="catalog:ndc3", ignore_deleted=True))
    assert len(headers) == 3 and all("catalog:ndc3" in h.setSpecs for h in headers)
    identify = sickle.Identify()
    assert identify.baseURL == repository["url"]
    assert identify.deletedRecord == "persistent"
    record = sickle.GetRecord(
        identifier=f"oai:{REPO}:catalog/{repository['live'][0]}", metadataPrefix="dcndl"
    )
    assert (
        etree.QName(record.xml.find(".//{http://www.openarchives.org/OAI/2.0/}metadata")[0]).localname
        == "RDF"
    )


def test_sickle_sees_the_protocol_errors(repository):
    sickle = Sickle(repository["url"], max_retries=0, timeout=10)
    with pytest.raises(CannotDisseminateFormat):
        list(sickle.ListRecords(metadataPrefix="marc21"))
    with pytest.raises(IdDoesNotExist):
        sickle.GetRecord(identifier="oai:elsewhere:catalog/1", metadataPrefix="oai_dc")
    with pytest.raises(NoRecordsMatch):
        list(sickle.ListRecords(metadataPrefix="oai_dc", until="1999-01-01"))
    with pytest.raises(BadArgument):
        list(sickle.ListRecords(metadataPrefix="oai_dc", **{"from": "yesterday"}))
    # Sickle hands back a bad verb's answer as it is (it raises only while iterating lists).
    answer = sickle.harvest(verb="Harvest")
    error = answer.xml.find("{http://www.openarchives.org/OAI/2.0/}error")
    assert error.get("code") == "badVerb"
