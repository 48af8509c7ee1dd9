"""`GET /calil/library` as Calil answers it: filters, nearest first, JSONP / JSON / XML, and clear 400s."""

from __future__ import annotations

import json
import re

import pytest
from lxml import etree

from toshokan.federation.models import LibraryBranch

pytestmark = pytest.mark.django_db

CALIL_FIELDS = [
    "systemid",
    "systemname",
    "libkey",
    "libid",
    "short",
    "formal",
    "url_pc",
    "address",
    "pref",
    "city",
    "post",
    "tel",
    "geocode",
    "category",
    "image",
    "isil",
    "faid",
    "primary",
]


def get_json(client, **params):
    response = client.get("/calil/library", {"callback": "no", **params})
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content)


def test_libraries_by_prefecture_carry_every_calil_field(client, registry_loaded):
    rows = get_json(client, pref="大阪府")
    assert [r["formal"] for r in rows] == ["吹田市立中央図書館", "大阪府立中央図書館", "大阪府立中之島図書館"]
    suita = rows[0]
    assert list(suita) == CALIL_FIELDS
    branch = LibraryBranch.objects.get(system__systemid="Osaka_Suita")
    assert suita == {
        "systemid": "Osaka_Suita",
        "systemname": "大阪府吹田市",
        "libkey": "中央",
        "libid": str(branch.pk),
        "short": "吹田市立中央図書館",
        "formal": "吹田市立中央図書館",
        "url_pc": "",
        "address": "",
        "pref": "大阪府",
        "city": "吹田市",
        "post": "",
        "tel": "",
        "geocode": "135.5168,34.7617",
        "category": "MEDIUM",
        "image": "",
        "isil": "JP-1001234",
        "faid": None,
        "primary": True,
    }


def test_libraries_by_municipality_and_by_system(client, registry_loaded):
    assert [r["libkey"] for r in get_json(client, pref="大阪府", city="大阪市北区")] == ["中之島"]
    assert [r["libkey"] for r in get_json(client, systemid="Tokyo_Demo")] == ["中央", "駅前"]
    assert get_json(client, systemid="Nowhere") == []
    assert len(get_json(client)) == 5


def test_libraries_near_a_point_come_nearest_first_up_to_the_limit(client, registry_loaded):
    rows = get_json(client, geocode="135.4959,34.7025", limit="2")
    assert [r["formal"] for r in rows] == ["大阪府立中之島図書館", "吹田市立中央図書館"]
    assert rows[0]["distance"] == pytest.approx(1.17, abs=0.05) and rows[0]["distance"] < rows[1]["distance"]
    assert "distance" not in get_json(client, pref="大阪府")[0]


def test_the_answer_is_jsonp_by_default_and_with_a_named_callback(client, registry_loaded):
    response = client.get("/calil/library", {"systemid": "Osaka_Suita"})
    body = response.content.decode()
    assert response["Content-Type"].startswith("text/javascript")
    assert body.startswith("callback([") and body.endswith("]);")
    assert json.loads(body[len("callback(") : -2])[0]["systemid"] == "Osaka_Suita"

    named = client.get("/calil/library", {"systemid": "Osaka_Suita", "callback": "jQuery123_456"}).content
    assert re.fullmatch(rb"jQuery123_456\(\[.*\]\);", named, re.S)
    assert response["Access-Control-Allow-Origin"] == "*"


def test_a_blank_callback_gives_plain_json_as_calil_documents_for_its_library_api(client, registry_loaded):
    response = client.get("/calil/library", {"systemid": "Osaka_Suita", "callback": " "})
    assert response["Content-Type"].startswith("application/json")
    assert json.loads(response.content)[0]["libkey"] == "中央"


def test_the_answer_in_xml_is_a_libraries_document(client, registry_loaded):
    response = client.get(
        "/calil/library", {"pref": "大阪府", "geocode": "135.4959,34.7025", "format": "xml"}
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("application/xml")
    root = etree.fromstring(response.content)
    assert root.tag == "Libraries"
    libraries = root.findall("Library")
    assert [lib.findtext("formal") for lib in libraries] == [
        "大阪府立中之島図書館",
        "吹田市立中央図書館",
        "大阪府立中央図書館",
    ]
    first = libraries[0]
    assert [child.tag for child in first] == [*CALIL_FIELDS, "distance"]
    assert first.findtext("systemid") == "Osaka_Pref" and first.findtext("geocode") == "135.5022,34.693"
    assert first.findtext("primary") == "false" and float(first.findtext("distance") or "inf") < 2


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"geocode": "east,north"}, 'geocode must be "lon,lat"'),
        ({"geocode": "34.7,135.5"}, "is off the globe"),
        ({"limit": "ten"}, "limit must be a whole number from 1 to 10000, not 'ten'"),
        ({"limit": "0"}, "limit must be a whole number"),
        ({"format": "csv"}, "format must be json or xml, not 'csv'"),
    ],
)
def test_bad_parameters_get_a_clear_400(client, registry_loaded, params, message):
    response = client.get("/calil/library", {"callback": "no", **params})
    assert response.status_code == 400
    assert message in json.loads(response.content)["error"]


def test_a_bad_parameter_in_xml_gets_an_xml_error(client, registry_loaded):
    response = client.get("/calil/library", {"format": "xml", "limit": "-1"})
    assert response.status_code == 400
    root = etree.fromstring(response.content)
    assert root.tag == "Error" and "limit must be a whole number" in (root.text or "")


def test_a_bad_parameter_as_jsonp_reaches_the_callback(client, registry_loaded):
    response = client.get("/calil/library", {"geocode": "x", "callback": "cb"})
    # 200: a browser runs no <script> answered 400, and the callback would never hear why.
    assert response.status_code == 200 and response.content.decode().startswith('cb({"error":')


def test_an_appkey_is_required_only_when_the_library_configured_some(client, registry_loaded, settings):
    assert client.get("/calil/library", {"appkey": "anything", "callback": "no"}).status_code == 200
    settings.TOSHOKAN_CALIL_APPKEYS = ["k3y"]
    refused = client.get("/calil/library", {"appkey": "wrong", "callback": "no"})
    assert refused.status_code == 403 and "appkey" in json.loads(refused.content)["error"]
    assert client.get("/calil/library", {"callback": "no"}).status_code == 403
    assert client.get("/calil/library", {"appkey": "k3y", "callback": "no"}).status_code == 200


def test_only_get_is_answered(client, registry_loaded):
    assert client.post("/calil/library").status_code == 405
