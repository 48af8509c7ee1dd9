"""IIIF Presentation 3.0: manifests and collections, validated against the official JSON Schema (the one
the IIIF Presentation Validator uses), and the viewer on the item page in chromium."""

from __future__ import annotations

import io
import json
from functools import cache
from pathlib import Path

import jsonschema
import pytest

from toshokan.archive import services

from ..conftest import make_item
from ..images import jpeg

pytestmark = pytest.mark.django_db
SCHEMA = Path(__file__).parent.parent / "iiif" / "schemas" / "iiif_3_0.json"


@cache
def validator() -> jsonschema.Draft7Validator:
    # The schema names "http://json-schema.org/schema#", which jsonschema does not map to a draft; the
    # IIIF validator reads it as draft 7.
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)


def assert_valid(document: dict[str, object]) -> None:
    errors = sorted(validator().iter_errors(document), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message[:300]}" for e in errors[:5])


@pytest.fixture
def book():
    item = make_item(
        "sanpo",
        title="算法少女",
        title_reading="さんぽうしょうじょ",
        kind="book",
        creator="壺中隠者",
        date_text="安永4年",
        year_start=1775,
        description="和算の手ほどきを物語にした本。",
        subjects=["和算", "江戸時代"],
        credit="国立国会図書館 NDL-DocLデータセット（PDM）より",
        rights_content="http://creativecommons.org/publicdomain/mark/1.0/",
    )
    for n in range(3):
        services.ingest_image(
            item=item, stream=io.BytesIO(jpeg(800, 600)), name=f"p{n}.jpg", label=f"{n + 1}丁"
        )
    return item


def test_a_manifest_for_every_published_item_valid_against_the_schema(client, book):
    response = client.get("/iiif/manifests/sanpo")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/ld+json")
    assert response["Access-Control-Allow-Origin"] == "*"
    manifest = response.json()
    assert_valid(manifest)
    assert manifest["id"] == "http://testserver/iiif/manifests/sanpo"
    assert manifest["label"] == {"ja": ["算法少女"]}
    assert manifest["viewingDirection"] == "right-to-left"  # a Japanese book
    assert manifest["rights"] == "http://creativecommons.org/publicdomain/mark/1.0/"
    assert manifest["navDate"] == "1775-01-01T00:00:00Z"
    assert manifest["requiredStatement"]["value"] == {
        "ja": ["国立国会図書館 NDL-DocLデータセット（PDM）より"]
    }
    labels = {m["label"]["en"][0]: m["value"] for m in manifest["metadata"]}
    assert labels["Date"] == {"ja": ["安永4年"]} and labels["Subject"] == {"ja": ["和算", "江戸時代"]}
    canvases = manifest["items"]
    assert [c["label"] for c in canvases] == [{"none": ["1丁"]}, {"none": ["2丁"]}, {"none": ["3丁"]}]
    body = canvases[0]["items"][0]["items"][0]["body"]
    assert (canvases[0]["width"], canvases[0]["height"]) == (800, 600)
    assert body["service"][0] == {
        "id": "http://testserver/iiif/3/sanpo-0001",
        "type": "ImageService3",
        "profile": "level2",
    }
    # The painted image and its service answer.
    assert client.get(body["id"].removeprefix("http://testserver")).status_code == 200
    info = client.get("/iiif/3/sanpo-0001/info.json").json()
    assert (info["width"], info["height"]) == (800, 600)


def test_collections_list_published_manifests(client, book):
    make_item("draft", title="未公開", published=False)
    top = client.get("/iiif/collections").json()
    assert_valid(top)
    [test_collection] = top["items"]
    collection = client.get(test_collection["id"].removeprefix("http://testserver")).json()
    assert_valid(collection)
    assert [m["id"] for m in collection["items"]] == ["http://testserver/iiif/manifests/sanpo"]
    assert collection["items"][0]["thumbnail"][0]["service"][0]["type"] == "ImageService3"


def test_an_unpublished_item_has_no_manifest(client, book):
    services.set_published(item=book, published=False)
    assert client.get("/iiif/manifests/sanpo").status_code == 404
    assert client.get("/iiif/manifests/nothing").status_code == 404


def test_a_photograph_without_images_or_year_is_still_a_valid_manifest(client):
    make_item("photo", title="写真", kind="photograph")
    manifest = client.get("/iiif/manifests/photo").json()
    assert_valid(manifest)
    assert manifest["items"] == [] and "viewingDirection" not in manifest and "navDate" not in manifest


def test_the_schema_catches_what_the_specification_forbids(client, book):
    manifest = client.get("/iiif/manifests/sanpo").json()
    broken = {**manifest, "rights": "https://example.org/my-licence"}
    assert list(validator().iter_errors(broken))
    no_id = {k: v for k, v in manifest.items() if k != "id"}
    assert list(validator().iter_errors(no_id))
