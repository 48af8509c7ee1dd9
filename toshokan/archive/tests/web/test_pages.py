"""The archive's public pages: collections, an item, the map and the timeline — published items only."""

from __future__ import annotations

import io
import json

import pytest
from lxml import html

from toshokan.archive import services
from toshokan.catalog.tests import factories

from ..conftest import make_item
from ..images import jpeg

pytestmark = pytest.mark.django_db


@pytest.fixture
def town():
    shrine = make_item(
        "shrine",
        title="八幡神社の祭礼",
        kind="photograph",
        date_text="昭和30年",
        year_start=1955,
        place_name="八幡神社",
        latitude=35.6812,
        longitude=139.7671,
        rights_content="http://creativecommons.org/licenses/by/4.0/",
    )
    services.ingest_image(item=shrine, stream=io.BytesIO(jpeg(640, 480)), name="shrine.jpg")
    school = make_item("school", title="旧尋常小学校の絵図", kind="map", date_text="明治20年頃", year_start=1885,
                       year_end=1889, place_name="本町", latitude=35.69, longitude=139.70)  # fmt: skip
    undated = make_item("letter", title="差出人不明の書簡", kind="document")
    hidden = make_item(
        "draft", title="未公開の写真", published=False, year_start=1960, latitude=35.0, longitude=139.0
    )
    return {"shrine": shrine, "school": school, "undated": undated, "hidden": hidden}


def by_class(doc, name, tag="*"):
    return doc.xpath(f".//{tag}[contains(concat(' ', normalize-space(@class), ' '), ' {name} ')]")


def page(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content[:500]
    return html.fromstring(response.content)


def test_the_item_page_shows_metadata_images_and_rights(client, town):
    doc = page(client, "/archive/items/shrine")
    assert doc.findtext(".//h1") == "八幡神社の祭礼"
    text = doc.text_content()
    assert "昭和30年 (1955)" in text and "写真" in text and "八幡神社" in text
    [thumb] = [img for ul in by_class(doc, "archive-images") for img in ul.iter("img")]
    assert thumb.get("src") == "/iiif/3/shrine-0001/full/400,/0/default.jpg"
    licence = doc.xpath(".//a[@rel='license']")
    # Metadata and thumbnails as the default statement (copyright not evaluated), the content CC BY.
    assert [a.get("href") for a in licence] == [
        "http://rightsstatements.org/vocab/CNE/1.0/",
        "http://rightsstatements.org/vocab/CNE/1.0/",
        "http://creativecommons.org/licenses/by/4.0/",
    ]
    # The thumbnail it links is served by the IIIF endpoint.
    assert client.get(thumb.get("src")).status_code == 200


def test_an_unpublished_item_is_not_there(client, town):
    assert client.get("/archive/items/draft").status_code == 404
    assert client.get("/archive/items/nothing").status_code == 404


def test_the_map_places_published_items_only(client, town):
    doc = page(client, "/archive/map")
    places = json.loads(doc.get_element_by_id("archive-places").text)
    assert sorted(p["title"] for p in places["items"]) == ["八幡神社の祭礼", "旧尋常小学校の絵図"]
    shrine = next(p for p in places["items"] if p["title"] == "八幡神社の祭礼")
    assert (shrine["lat"], shrine["lon"], shrine["url"]) == (35.6812, 139.7671, "/archive/items/shrine")
    # The same items as a list, for readers without the map.
    assert [a.text_content().strip() for a in by_class(doc, "archive-card__title")] == [
        "旧尋常小学校の絵図",
        "八幡神社の祭礼",
    ]
    other = services.save_collection(slug="other", title="別のコレクション", published=True)
    services.save_item(
        collection=other, identifier="far", title="遠くの資料", published=True, latitude=43.0, longitude=141.3
    )
    only = json.loads(page(client, "/archive/map?collection=other").get_element_by_id("archive-places").text)
    assert [p["title"] for p in only["items"]] == ["遠くの資料"]


def test_the_timeline_groups_by_decade_oldest_first(client, town):
    doc = page(client, "/archive/timeline")
    decades = [li.get("id") for li in doc.xpath(".//ol[@class='archive-timeline']/li")]
    assert decades == ["decade-1880", "decade-1950"]
    assert "明治20年頃" in doc.get_element_by_id("decade-1880").text_content()
    assert "差出人不明の書簡" in doc.get_element_by_id("undated-heading").getparent().text_content()
    assert "未公開の写真" not in doc.text_content()
    narrowed = page(client, "/archive/timeline?from=1950&until=1999")
    assert [li.get("id") for li in narrowed.xpath(".//ol[@class='archive-timeline']/li")] == ["decade-1950"]
    assert page(client, "/archive/timeline?from=abc").xpath(
        ".//ol[@class='archive-timeline']/li"
    )  # a bad year is ignored


def test_the_archive_home_lists_collections_and_recent_items(client, town):
    doc = page(client, "/archive/")
    assert "テスト" in by_class(doc, "archive-collections")[0].text_content()
    titles = {a.text_content().strip() for a in by_class(doc, "archive-card__title")}
    assert titles == {"八幡神社の祭礼", "旧尋常小学校の絵図", "差出人不明の書簡"}


def test_an_item_links_its_catalogue_record(client, town):
    record = factories.record("八幡神社誌")
    services.save_item(
        collection=town["shrine"].collection, identifier="shrine", title="八幡神社の祭礼", record=record
    )
    doc = page(client, "/archive/items/shrine")
    assert f"/records/{record.pk}" in [a.get("href") for a in doc.iter("a")]
