"""manage.py ingest_images: directories become items, a bad file is named with its reason and the rest
go in, and a second run adds nothing twice."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from toshokan.archive import services
from toshokan.archive.models import ArchiveImage, ArchiveItem

from .. import images
from ..conftest import DATA

pytestmark = pytest.mark.django_db
PAGES = DATA / "page_images" / "2568591_karakuri_zui"


@pytest.fixture
def book(tmp_path: Path) -> Path:
    folder = tmp_path / "karakuri"
    folder.mkdir()
    for page in PAGES.iterdir():
        shutil.copy(page, folder / page.name)  # two pages and their layout XML
    (folder / "page_3.png").write_bytes(images.jpeg())  # a JPEG that claims to be a PNG
    return folder


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("ingest_images", *args, "--no-progress", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_a_directory_becomes_one_item_and_a_bad_file_is_named_with_its_reason(book):
    services.save_collection(slug="edo", title="江戸の版本")
    with pytest.raises(
        CommandError, match=r"page_3\.png: the content is image/jpeg but the file declares image/png"
    ):
        run("edo", str(book))
    item = ArchiveItem.objects.get()
    assert item.identifier == "edo-karakuri" and item.collection.slug == "edo" and not item.published
    pages = list(item.images.order_by("sequence"))
    assert [(p.sequence, p.original_name) for p in pages] == [(1, "2568591_14.jpg"), (2, "2568591_15.jpg")]


def test_a_second_run_adds_nothing_twice(book):
    (book / "page_3.png").unlink()
    out, _ = run("edo", str(book), "--collection-title", "江戸の版本", "--publish")
    assert "2 ingested, 0 already there, 0 refused; 2 non-image files skipped" in out
    out, _ = run("edo", str(book))
    assert "0 ingested, 2 already there, 0 refused" in out
    assert ArchiveImage.objects.count() == 2
    assert ArchiveItem.objects.get().published and ArchiveItem.objects.get().collection.published


def test_files_named_one_by_one_are_items_of_their_own_unless_one_item_is_named(book):
    files = [str(p) for p in sorted(book.glob("*.jpg"))]
    run("edo", *files, "--collection-title", "江戸の版本")
    assert sorted(ArchiveItem.objects.values_list("identifier", flat=True)) == [
        "edo-2568591_14",
        "edo-2568591_15",
    ]
    run("edo", *files, "--item", "karakuri-zui", "--title", "機巧図彙")
    item = ArchiveItem.objects.get(identifier="karakuri-zui")
    assert item.title == "機巧図彙" and item.images.count() == 2


def test_a_missing_collection_or_path_is_a_clear_error(book):
    with pytest.raises(CommandError, match="no collection 'nowhere'"):
        run("nowhere", str(book))
    with pytest.raises(CommandError, match="no such file or directory"):
        run("edo", str(book / "missing.jpg"), "--collection-title", "x")
