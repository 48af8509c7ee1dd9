"""/oai through Django's test client: every response validated against the official schemas."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from lxml import etree

from toshokan.catalog import services as catalog_services
from toshokan.catalog.domain.enums import CreatorRole
from toshokan.catalog.domain.records import CreatorEntry
from toshokan.catalog.importers.dcndl import resource_to_bib
from toshokan.catalog.models import Record
from toshokan.catalog.tests import factories

from .schema import assert_valid

pytestmark = pytest.mark.django_db
NS = {"o": "http://www.openarchives.org/OAI/2.0/", "dc": "http://purl.org/dc/elements/1.1/"}
REPO = "library.example.jp"


@pytest.fixture(autouse=True)
def _oai_settings(settings):
    settings.TOSHOKAN_OAI = {
        "REPOSITORY_IDENTIFIER": REPO,
        "REPOSITORY_NAME": "デモ市立図書館",
        "ADMIN_EMAILS": ["oai@library.example.jp"],
        "PAGE_SIZE": 3,
        "IDENTIFIERS_PAGE_SIZE": 4,
    }


def oai(client, method="get", **params):
    response = getattr(client, method)("/oai", params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    return assert_valid(response.content)


def error_code(doc):
    error = doc.find("o:error", NS)
    return error.get("code") if error is not None else None


@pytest.fixture
def catalogue():
    novels = [factories.record(f"小説{i}", ndc="913.6") for i in range(5)]
    history = [factories.record(f"歴史{i}", ndc="210.1") for i in range(3)]
    gone = factories.record("消えた本", ndc="913.6")
    gone_pk = gone.pk
    catalog_services.delete_record(record=gone)
    return {"novels": novels, "history": history, "gone": gone_pk}


def harvest(client, verb="ListRecords", **params):
    """Every header of a list, following the resumption tokens; and the token elements seen."""
    doc = oai(client, verb=verb, **params)
    assert error_code(doc) is None, etree.tostring(doc)
    headers, tokens = [], []
    while True:
        headers += doc.findall(f".//o:{verb}//o:header", NS)
        token = doc.find(f".//o:{verb}/o:resumptionToken", NS)
        if token is None or not (token.text or "").strip():
            if token is not None:
                tokens.append(token)
            return headers, tokens
        tokens.append(token)
        doc = oai(client, verb=verb, resumptionToken=token.text)


def test_identify_describes_the_repository(client, catalogue):
    doc = oai(client, verb="Identify")
    body = doc.find("o:Identify", NS)
    assert body.findtext("o:repositoryName", namespaces=NS) == "デモ市立図書館"
    assert body.findtext("o:baseURL", namespaces=NS) == "http://testserver/oai"
    assert body.findtext("o:protocolVersion", namespaces=NS) == "2.0"
    assert body.findtext("o:deletedRecord", namespaces=NS) == "persistent"
    assert body.findtext("o:granularity", namespaces=NS) == "YYYY-MM-DDThh:mm:ssZ"
    assert body.findtext("o:adminEmail", namespaces=NS) == "oai@library.example.jp"
    earliest = Record.objects.order_by("updated_at")[0].updated_at
    assert body.findtext("o:earliestDatestamp", namespaces=NS) == earliest.strftime("%Y-%m-%dT%H:%M:%SZ")
    sample = doc.findtext(".//{http://www.openarchives.org/OAI/2.0/oai-identifier}sampleIdentifier")
    assert sample == f"oai:{REPO}:catalog/1"


def test_a_whole_harvest_brings_every_record_once_and_the_deleted_one_as_deleted(client, catalogue):
    headers, tokens = harvest(client, metadataPrefix="oai_dc")
    ids = [h.findtext("o:identifier", namespaces=NS) for h in headers]
    live = [r.pk for r in catalogue["novels"] + catalogue["history"]]
    assert sorted(ids) == sorted([f"oai:{REPO}:catalog/{pk}" for pk in [*live, catalogue["gone"]]])
    assert len(ids) == len(set(ids)) == 9
    deleted = [h for h in headers if h.get("status") == "deleted"]
    assert [h.findtext("o:identifier", namespaces=NS) for h in deleted] == [
        f"oai:{REPO}:catalog/{catalogue['gone']}"
    ]
    # Pages of 3: tokens at cursor 3 and 6, and the empty one that ends the list (cursor 6).
    assert [(t.get("cursor"), t.get("completeListSize")) for t in tokens] == [
        ("0", "9"),
        ("3", "9"),
        ("6", "9"),
    ]
    assert tokens[-1].text is None and tokens[0].get("expirationDate")


def test_records_carry_their_metadata_and_deleted_ones_none(client, catalogue):
    novel = catalogue["novels"][0]
    doc = oai(client, verb="GetRecord", metadataPrefix="oai_dc", identifier=f"oai:{REPO}:catalog/{novel.pk}")
    record = doc.find(".//o:record", NS)
    assert record.findtext(".//dc:title", namespaces=NS) == "小説0"
    assert record.findtext(".//dc:creator", namespaces=NS) == "夏目漱石"
    assert [s.text for s in record.findall("o:header/o:setSpec", NS)] == ["catalog", "catalog:ndc9"]
    assert f"http://testserver/records/{novel.pk}" in [e.text for e in record.findall(".//dc:identifier", NS)]
    doc = oai(
        client,
        verb="GetRecord",
        metadataPrefix="oai_dc",
        identifier=f"oai:{REPO}:catalog/{catalogue['gone']}",
    )
    record = doc.find(".//o:record", NS)
    assert record.find("o:header", NS).get("status") == "deleted"
    assert record.find("o:metadata", NS) is None


def test_sets_select_by_class(client, catalogue):
    sets = oai(client, verb="ListSets").findall(".//o:setSpec", NS)
    assert [s.text for s in sets] == ["catalog", *[f"catalog:ndc{d}" for d in range(10)], "archive"]
    headers, _ = harvest(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="catalog:ndc2")
    assert sorted(h.findtext("o:identifier", namespaces=NS) for h in headers) == sorted(
        f"oai:{REPO}:catalog/{r.pk}" for r in catalogue["history"]
    )
    # The deleted novel stays in its class's set, as deleted.
    headers, _ = harvest(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="catalog:ndc9")
    assert len(headers) == 6 and sum(h.get("status") == "deleted" for h in headers) == 1
    assert (
        error_code(oai(client, verb="ListRecords", metadataPrefix="oai_dc", set="nothing"))
        == "noRecordsMatch"
    )


def test_from_and_until_select_by_datestamp(client, catalogue):
    old = catalogue["history"][0]
    Record.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=30))
    day = (timezone.now() - timedelta(days=30)).strftime("%Y-%m-%d")
    headers, _ = harvest(
        client, verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": day, "until": day}
    )
    assert [h.findtext("o:identifier", namespaces=NS) for h in headers] == [f"oai:{REPO}:catalog/{old.pk}"]
    since = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    headers, _ = harvest(client, verb="ListIdentifiers", metadataPrefix="oai_dc", **{"from": since})
    assert len(headers) == 8
    assert (
        error_code(oai(client, verb="ListRecords", metadataPrefix="oai_dc", until="2001-01-01"))
        == "noRecordsMatch"
    )


def test_a_record_changed_during_a_harvest_is_not_delivered_twice(client, catalogue):
    doc = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    first = [h.findtext("o:identifier", namespaces=NS) for h in doc.findall(".//o:header", NS)]
    token = doc.findtext(".//o:resumptionToken", namespaces=NS)
    # Someone edits a record already delivered, and one not yet delivered.
    delivered_pk = int(first[0].rsplit("/", 1)[1])
    for record in Record.objects.filter(pk=delivered_pk):
        record.notes = "edited"
        record.save()
    rest = []
    while token:
        doc = oai(client, verb="ListIdentifiers", resumptionToken=token)
        rest += [h.findtext("o:identifier", namespaces=NS) for h in doc.findall(".//o:header", NS)]
        token = doc.findtext(".//o:resumptionToken", namespaces=NS)
    assert len(first + rest) == len(set(first + rest))


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"verb": "Launch"}, "badVerb"),
        ({}, "badVerb"),
        ({"verb": "ListRecords"}, "badArgument"),
        ({"verb": "ListRecords", "metadataPrefix": "marc21"}, "cannotDisseminateFormat"),
        (
            {"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": "oai:elsewhere.jp:catalog/1"},
            "idDoesNotExist",
        ),
        (
            {"verb": "GetRecord", "metadataPrefix": "oai_dc", "identifier": f"oai:{REPO}:catalog/99999999"},
            "idDoesNotExist",
        ),
        ({"verb": "ListMetadataFormats", "identifier": f"oai:{REPO}:catalog/abc"}, "idDoesNotExist"),
        ({"verb": "ListRecords", "resumptionToken": "made-up"}, "badResumptionToken"),
        ({"verb": "ListSets", "resumptionToken": "made-up"}, "badResumptionToken"),
    ],
)
def test_faults_get_the_right_error_codes(client, catalogue, params, code):
    doc = oai(client, **params)
    assert error_code(doc) == code
    request = doc.find("o:request", NS)
    if code in ("badVerb", "badArgument"):
        assert dict(request.attrib) == {}  # the base URL alone, as the protocol says
    else:
        assert request.get("verb") == params["verb"]


def test_a_token_is_bound_to_its_verb_and_cannot_be_altered(client, catalogue):
    doc = oai(client, verb="ListIdentifiers", metadataPrefix="oai_dc")
    token = doc.findtext(".//o:resumptionToken", namespaces=NS)
    assert error_code(oai(client, verb="ListRecords", resumptionToken=token)) == "badResumptionToken"
    altered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    assert error_code(oai(client, verb="ListIdentifiers", resumptionToken=altered)) == "badResumptionToken"


def test_post_is_the_same_request(client, catalogue):
    doc = oai(client, method="post", verb="ListIdentifiers", metadataPrefix="oai_dc", set="catalog:ndc2")
    assert len(doc.findall(".//o:header", NS)) == 3


def test_metadata_formats_for_the_repository_and_for_one_item(client, catalogue):
    prefixes = [e.text for e in oai(client, verb="ListMetadataFormats").findall(".//o:metadataPrefix", NS)]
    assert prefixes == ["oai_dc", "dcndl"]
    novel = catalogue["novels"][0]
    doc = oai(client, verb="ListMetadataFormats", identifier=f"oai:{REPO}:catalog/{novel.pk}")
    assert [e.text for e in doc.findall(".//o:metadataPrefix", NS)] == ["oai_dc", "dcndl"]


def test_dcndl_carries_readings_roles_and_identifiers_that_read_back(client):
    record = factories.record(
        "こころ",
        title_reading="ココロ",
        creators=[
            CreatorEntry(
                name="夏目漱石", reading="ナツメ, ソウセキ", dates="1867-1916", role=CreatorRole.AUTHOR
            ),
            CreatorEntry(name="Meredith McKinney", role=CreatorRole.TRANSLATOR),
        ],
        identifiers=[factories.isbn("9784101010137")],
        publisher="新潮社",
        year=2004,
        ndc="913.6",
    )
    factories.holding(record)
    response = client.get(
        "/oai",
        {"verb": "GetRecord", "metadataPrefix": "dcndl", "identifier": f"oai:{REPO}:catalog/{record.pk}"},
    )
    doc = etree.fromstring(response.content)
    resource = doc.find(".//{http://ndl.go.jp/dcndl/terms/}BibResource")
    assert resource is not None
    bib = resource_to_bib(resource)
    assert bib is not None
    assert (bib.title, bib.title_reading, bib.publisher, bib.year, bib.ndc) == (
        "こころ",
        "ココロ",
        "新潮社",
        2004,
        "913.6",
    )
    assert [(c.name, c.reading, c.role) for c in bib.creators] == [
        ("夏目漱石", "ナツメ ソウセキ", CreatorRole.AUTHOR),
        ("Meredith McKinney", "", CreatorRole.TRANSLATOR),
    ]
    assert [(i.scheme, i.value) for i in bib.identifiers] == [("isbn", "9784101010137")]
    holder = doc.findtext(".//{http://ndl.go.jp/dcndl/terms/}Item//{http://xmlns.com/foaf/0.1/}name")
    assert holder == "中央図書館"


@pytest.fixture
def archive(catalogue):
    from toshokan.archive import services as archive_services

    from ..conftest import make_item

    shown = make_item(
        "sanpo",
        title="算法少女",
        title_reading="さんぽうしょうじょ",
        kind="book",
        date_text="安永4年",
        year_start=1775,
        place_name="江戸",
        latitude=35.68,
        longitude=139.77,
        subjects=["和算"],
        rights_content="http://creativecommons.org/publicdomain/mark/1.0/",
    )
    hidden = make_item("draft", title="未公開の写真", published=False)
    gone = make_item("gone", title="削除した資料")
    gone_pk = gone.pk
    archive_services.delete_item(item=gone)
    return {"shown": shown.pk, "hidden": hidden.pk, "gone": gone_pk}


def test_archive_items_are_harvested_beside_the_catalogue(client, archive):
    headers, _ = harvest(client, metadataPrefix="oai_dc")
    by_id = {h.findtext("o:identifier", namespaces=NS): h for h in headers}
    assert len(by_id) == len(headers) == 12  # 9 catalogue records + 3 archive items
    shown = by_id[f"oai:{REPO}:archive/{archive['shown']}"]
    assert shown.get("status") is None
    assert [s.text for s in shown.findall("o:setSpec", NS)] == ["archive", "archive:test"]
    # Not published, or deleted: harvesters are told it is gone, and nothing of it is shown.
    for key in ("hidden", "gone"):
        assert by_id[f"oai:{REPO}:archive/{archive[key]}"].get("status") == "deleted"
    sets = [s.text for s in oai(client, verb="ListSets").findall(".//o:setSpec", NS)]
    assert sets[-2:] == ["archive", "archive:test"]
    only, _ = harvest(client, verb="ListIdentifiers", metadataPrefix="oai_dc", set="archive:test")
    assert len(only) == 3


def test_an_archive_item_in_dublin_core_and_dc_ndl(client, archive):
    identifier = f"oai:{REPO}:archive/{archive['shown']}"
    doc = oai(client, verb="GetRecord", metadataPrefix="oai_dc", identifier=identifier)
    dc = {e.tag.rsplit("}", 1)[1] + ":" + (e.text or "") for e in doc.find(".//o:metadata", NS)[0]}
    assert {"title:算法少女", "date:安永4年", "date:1775", "type:Text", "coverage:江戸", "subject:和算"} <= dc
    assert "identifier:http://testserver/iiif/manifests/sanpo" in dc
    assert "rights:http://creativecommons.org/publicdomain/mark/1.0/" in dc
    response = client.get("/oai", {"verb": "GetRecord", "metadataPrefix": "dcndl", "identifier": identifier})
    rdf = etree.fromstring(response.content)
    ndl = "{http://ndl.go.jp/dcndl/terms/}"
    assert rdf.findtext(f".//{ndl}BibResource/{{http://purl.org/dc/terms/}}title") == "算法少女"
    assert rdf.findtext(f".//{ndl}transcription") == "さんぽうしょうじょ"
    hidden = f"oai:{REPO}:archive/{archive['hidden']}"
    record = oai(client, verb="GetRecord", metadataPrefix="oai_dc", identifier=hidden).find(".//o:record", NS)
    assert record.find("o:header", NS).get("status") == "deleted" and record.find("o:metadata", NS) is None
