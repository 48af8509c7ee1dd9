"""Fixtures of the archive's tests: an archive directory of each test's own, and items to ingest into."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings

from toshokan.archive import services
from toshokan.archive.iiif import views as iiif_views
from toshokan.archive.models import ArchiveItem

DATA = Path(settings.BASE_DIR) / "data" / "archive"
VALIDATOR_ID = "67352ccc-d1b0-11e1-89ae-279075081939"
VALIDATOR_PNG = DATA / "iiif_test" / f"{VALIDATOR_ID}.png"
PAGE = DATA / "page_images" / "3508165_sanpo_shojo" / "3508165_8.jpg"


@pytest.fixture(autouse=True)
def archive_dir(tmp_path: Path, settings) -> Iterator[Path]:
    settings.TOSHOKAN_ARCHIVE_DIR = tmp_path / "archive"
    iiif_views._pyramid.cache_clear()
    yield tmp_path / "archive"
    iiif_views._pyramid.cache_clear()


def make_item(identifier: str = "item-1", *, published: bool = True, **fields) -> ArchiveItem:
    collection = services.save_collection(slug="test", title="テスト", published=True)
    return services.save_item(
        collection=collection,
        identifier=identifier,
        title=fields.pop("title", "テスト資料"),
        published=published,
        **fields,
    )


def ingest_file(item: ArchiveItem, path: Path, **kwargs):
    with path.open("rb") as stream:
        return services.ingest_image(item=item, stream=stream, name=path.name, **kwargs)
