"""The IIIF Image API endpoints through Django's test client: info.json, tiles from the pyramid files,
computed requests, errors, caching and who may see unpublished items."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from PIL import Image

from toshokan.archive import services
from toshokan.archive.models import archive_root

from .. import images
from ..conftest import PAGE, ingest_file, make_item

pytestmark = pytest.mark.django_db
PROFILE = '<http://iiif.io/api/image/3/level2.json>;rel="profile"'


@pytest.fixture
def page():
    return ingest_file(make_item("sanpo"), PAGE, identifier="sanpo-8")


def get_image(client, url, **headers):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.content
    return response, Image.open(io.BytesIO(response.content))


def test_info_json_describes_the_tiles_sizes_and_features(client, page):
    response = client.get("/iiif/3/sanpo-8/info.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"
    info = json.loads(response.content)
    assert info["@context"] == "http://iiif.io/api/image/3/context.json"
    assert info["id"] == "http://testserver/iiif/3/sanpo-8"
    assert (info["type"], info["protocol"], info["profile"]) == (
        "ImageService3",
        "http://iiif.io/api/image",
        "level2",
    )
    assert (info["width"], info["height"]) == (1600, 1200)
    assert info["tiles"] == [{"width": 512, "height": 512, "scaleFactors": [1, 2, 4]}]
    assert info["sizes"] == [
        {"width": 400, "height": 300},
        {"width": 800, "height": 600},
        {"width": 1600, "height": 1200},
    ]
    assert {"mirroring", "rotationArbitrary", "sizeUpscaling"} <= set(info["extraFeatures"])
    assert info["rights"] == "http://rightsstatements.org/vocab/CNE/1.0/"


def test_info_json_is_json_ld_with_the_profile_when_asked(client, page):
    response = client.get("/iiif/3/sanpo-8/info.json", headers={"Accept": "application/ld+json"})
    assert response["Content-Type"] == 'application/ld+json;profile="http://iiif.io/api/image/3/context.json"'
    assert "Accept" in response["Vary"]


def test_the_bare_identifier_redirects_to_info_json(client, page):
    response = client.get("/iiif/3/sanpo-8")
    assert response.status_code == 303
    assert response["Location"] == "http://testserver/iiif/3/sanpo-8/info.json"


@pytest.mark.parametrize(
    ("url", "tile"),
    [
        ("/iiif/3/sanpo-8/0,0,512,512/512,/0/default.jpg", "1/0_0.jpg"),
        ("/iiif/3/sanpo-8/1024,512,512,512/512,512/0/default.jpg", "1/2_1.jpg"),
        ("/iiif/3/sanpo-8/1536,1024,64,176/64,/0/default.jpg", "1/3_2.jpg"),  # the corner tile
        ("/iiif/3/sanpo-8/1024,0,576,1024/288,/0/color.jpg", "2/1_0.jpg"),
        ("/iiif/3/sanpo-8/full/400,300/0/default.jpg", "4/0_0.jpg"),
        ("/iiif/3/sanpo-8/full/400,/0/default.jpg", "4/0_0.jpg"),
    ],
)
def test_requests_on_the_tile_grid_are_the_pyramid_files_byte_for_byte(client, page, url, tile):
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response.content == (Path(archive_root()) / page.pyramid_path / tile).read_bytes()
    assert response["Link"].startswith(PROFILE)
    assert 'rel="canonical"' in response["Link"]


def test_other_requests_are_computed_from_the_nearest_level(client, page):
    _, picture = get_image(client, "/iiif/3/sanpo-8/100,100,300,200/150,/0/default.png")
    assert picture.size == (150, 100) and picture.format == "PNG"
    _, picture = get_image(client, "/iiif/3/sanpo-8/square/!256,256/90/gray.jpg")
    assert picture.size == (256, 256) and picture.mode == "L"
    _, picture = get_image(client, "/iiif/3/sanpo-8/full/max/0/default.webp")
    assert picture.size == (1600, 1200) and picture.format == "WEBP"
    _, picture = get_image(client, "/iiif/3/sanpo-8/pct:0,0,50,50/pct:50/270/bitonal.png")
    assert picture.size == (300, 400)
    assert set(picture.convert("L").get_flattened_data()) <= {0, 255}
    _, picture = get_image(client, "/iiif/3/sanpo-8/full/^2000,/0/default.jpg")
    assert picture.size == (2000, 1500)
    _, picture = get_image(client, "/iiif/3/sanpo-8/full/400,/!45/default.png")
    assert picture.mode == "RGBA" and picture.size[0] > 400  # the turned image's bounding box


def test_a_computed_region_shows_the_same_pixels_as_the_tile(client, page):
    _, tile = get_image(client, "/iiif/3/sanpo-8/512,512,512,512/512,/0/default.jpg")
    _, computed = get_image(client, "/iiif/3/sanpo-8/512,512,512,512/512,/0/default.png")
    difference = [
        abs(a - b)
        for a, b in zip(
            tile.convert("L").get_flattened_data(), computed.convert("L").get_flattened_data(), strict=True
        )
    ]
    assert sum(difference) / len(difference) < 3


def test_mirroring_flips_left_and_right(client):
    image = services.ingest_image(
        item=make_item(), stream=io.BytesIO(images.jpeg(200, 100)), name="q.jpg", identifier="quarter"
    )
    assert image.width == 200
    _, plain = get_image(client, "/iiif/3/quarter/full/max/0/default.png")
    _, mirrored = get_image(client, "/iiif/3/quarter/full/max/!0/default.png")
    assert (
        plain.getpixel((10, 10))[2] > 150 and mirrored.getpixel((10, 10))[2] < 100
    )  # the blue quarter moved
    assert mirrored.getpixel((190, 10))[2] > 150


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/iiif/3/nobody/full/max/0/default.jpg", 404),
        ("/iiif/3/nobody/info.json", 404),
        ("/iiif/3/sanpo-8/full/max/0/default.jp2", 501),
        ("/iiif/3/sanpo-8/full/max/0/default.pdf", 501),
        ("/iiif/3/sanpo-8/full/max/0/default.bmp", 400),
        ("/iiif/3/sanpo-8/full/1601,/0/default.jpg", 400),
        ("/iiif/3/sanpo-8/full/^20000,/0/default.jpg", 400),
        ("/iiif/3/sanpo-8/2000,0,10,10/max/0/default.jpg", 400),
        ("/iiif/3/sanpo-8/full/max/45x/default.jpg", 400),
        ("/iiif/3/sanpo-8/full/max/0/native.jpg", 400),
    ],
)
def test_errors_have_the_image_apis_status_codes(client, page, url, status):
    response = client.get(url)
    assert response.status_code == status
    assert response["Access-Control-Allow-Origin"] == "*"


def test_tiles_carry_validators_and_answer_304(client, page):
    url = "/iiif/3/sanpo-8/0,0,512,512/512,/0/default.jpg"
    first = client.get(url)
    assert first["Cache-Control"] == "public, max-age=86400"
    assert first["ETag"] and first["Last-Modified"]
    assert client.get(url, headers={"If-None-Match": first["ETag"]}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": first["Last-Modified"]}).status_code == 304
    assert client.get(url, headers={"If-None-Match": '"something-else"'}).status_code == 200
    other = client.get("/iiif/3/sanpo-8/512,0,512,512/512,/0/default.jpg")
    assert other["ETag"] != first["ETag"]


def test_unpublished_items_are_hidden_from_the_public_and_shown_to_staff_uncached(client, admin_client):
    item = make_item("draft", published=False)
    ingest_file(item, PAGE, identifier="draft-1")
    assert client.get("/iiif/3/draft-1/info.json").status_code == 404
    assert client.get("/iiif/3/draft-1/full/max/0/default.jpg").status_code == 404
    response = admin_client.get("/iiif/3/draft-1/full/400,/0/default.jpg")
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    services.set_published(item=item, published=True)
    assert client.get("/iiif/3/draft-1/info.json").status_code == 200


def test_an_unpublished_collection_hides_its_published_items(client, page):
    page.item.collection.published = False
    page.item.collection.save()
    assert client.get("/iiif/3/sanpo-8/info.json").status_code == 404


def test_exif_and_gps_never_reach_the_public_unless_kept_on_purpose(client):
    data = images.jpeg(600, 400, exif=images.exif_with_gps())
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)  # the upload has GPS
    services.ingest_image(item=make_item("a"), stream=io.BytesIO(data), name="gps.jpg", identifier="stripped")
    for url in ["/iiif/3/stripped/full/max/0/default.jpg", "/iiif/3/stripped/0,0,512,400/512,/0/default.jpg"]:
        _, picture = get_image(client, url)
        assert not picture.getexif()
    services.ingest_image(
        item=make_item("b"), stream=io.BytesIO(data), name="gps.jpg", identifier="kept", keep_metadata=True
    )
    _, picture = get_image(client, "/iiif/3/kept/full/max/0/default.jpg")
    assert picture.getexif()[0x010F] == "ToshokanCam"
    assert picture.getexif().get_ifd(0x8825)[2] == (35.0, 41.0, 0.0)
    _, tile = get_image(client, "/iiif/3/kept/0,0,512,400/512,/0/default.jpg")
    assert not tile.getexif()  # tiles never carry it
