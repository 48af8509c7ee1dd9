"""The ASGI tile fast path: the same bytes and headers as the Django view, only for public images the
view has just served, only for grid tiles; everything else goes on to Django."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from toshokan.archive import services
from toshokan.archive.iiif import fast

from ..conftest import PAGE, ingest_file, make_item

pytestmark = pytest.mark.django_db
TILE = "/iiif/3/sanpo-8/512,0,512,512/512,/0/default.jpg"


@pytest.fixture(autouse=True)
def empty_fast_path():
    fast.PUBLIC.clear()
    yield
    fast.PUBLIC.clear()


def call(path: str, headers: dict[str, str] | None = None) -> tuple[int | None, dict[str, str], bytes, bool]:
    """Run TileFastPath on one request; the last value says whether it went on to Django."""
    passed = False

    async def django(scope: Any, receive: Any, send: Any) -> None:
        nonlocal passed
        passed = True

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        return {"type": "http.request"}

    scope = {
        "type": "http", "method": "GET", "path": path, "query_string": b"", "scheme": "http",
        "headers": [(b"host", b"testserver"), *((k.lower().encode(), v.encode()) for k, v in (headers or {}).items())],
    }  # fmt: skip
    asyncio.run(fast.TileFastPath(django)(scope, receive, send))
    if passed:
        return None, {}, b"", True
    start, body = sent
    return start["status"], {k.decode(): v.decode() for k, v in start["headers"]}, body["body"], False


@pytest.fixture
def page():
    return ingest_file(make_item("sanpo"), PAGE, identifier="sanpo-8")


def test_a_tile_goes_to_django_until_the_view_has_served_the_image(client, page):
    assert call(TILE)[3]
    view = client.get(TILE)
    status, headers, body, passed = call(TILE)
    assert not passed and status == 200
    assert body == view.content
    for name in ("ETag", "Last-Modified", "Cache-Control", "Access-Control-Allow-Origin", "Link"):
        assert headers[name.lower()] == view[name], name
    assert headers["content-type"] == "image/jpeg"
    assert call(TILE, {"If-None-Match": view["ETag"]})[0] == 304


@pytest.mark.parametrize(
    "path",
    [
        "/iiif/3/sanpo-8/0,0,500,500/500,/0/default.jpg",  # off the grid
        "/iiif/3/sanpo-8/512,0,512,512/512,/90/default.jpg",
        "/iiif/3/sanpo-8/512,0,512,512/512,/0/gray.jpg",
        "/iiif/3/sanpo-8/512,0,512,512/512,/0/default.png",
        "/iiif/3/sanpo-8/info.json",
        "/iiif/3/sanpo-8/bad/512,/0/default.jpg",
        "/iiif/3/other/512,0,512,512/512,/0/default.jpg",
    ],
)
def test_anything_but_a_plain_grid_tile_goes_to_django(client, page, path):
    client.get(TILE)
    assert call(path)[3]


def test_unpublishing_reaches_the_fast_path_when_its_record_expires(client, page, settings):
    settings.TOSHOKAN_IIIF_FAST_TTL_S = 0.2
    client.get(TILE)
    assert not call(TILE)[3]
    services.set_published(item=page.item, published=False)
    time.sleep(0.3)
    assert call(TILE)[3]  # expired: Django answers, and says 404
    assert client.get(TILE).status_code == 404


def test_staff_views_of_unpublished_images_never_reach_the_fast_path(admin_client):
    item = make_item("draft", published=False)
    ingest_file(item, PAGE, identifier="draft-1")
    assert admin_client.get("/iiif/3/draft-1/0,0,512,512/512,/0/default.jpg").status_code == 200
    assert "draft-1" not in fast.PUBLIC
    assert call("/iiif/3/draft-1/0,0,512,512/512,/0/default.jpg")[3]


def test_a_ttl_of_zero_turns_the_fast_path_off(client, page, settings):
    settings.TOSHOKAN_IIIF_FAST_TTL_S = 0
    client.get(TILE)
    assert call(TILE)[3]
