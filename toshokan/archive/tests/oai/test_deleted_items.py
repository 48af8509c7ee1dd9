"""Deleting an archive item: a tombstone for harvesters, and the images' files gone once it commits."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from toshokan.archive import services
from toshokan.archive.models import ArchiveImage, ArchiveItem, DeletedItem, archive_root

from ..conftest import make_item
from ..images import jpeg

pytestmark = pytest.mark.django_db


def test_deleting_an_item_leaves_a_tombstone_and_removes_its_files(django_capture_on_commit_callbacks):
    item = make_item("gone", title="削除する資料")
    image = services.ingest_image(item=item, stream=io.BytesIO(jpeg(600, 400)), name="p.jpg")
    pyramid = Path(archive_root()) / image.pyramid_path
    original = Path(image.original.path)
    assert pyramid.is_dir() and original.is_file()
    pk = item.pk
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_item(item=item)
    assert not ArchiveItem.objects.filter(pk=pk).exists() and not ArchiveImage.objects.exists()
    tomb = DeletedItem.objects.get(item_id=pk)
    assert (tomb.identifier, tomb.collection_slug) == ("gone", "test")
    assert not pyramid.exists() and not original.exists()
