"""Ingest: the safety rules on untrusted uploads, and the tile pyramid each image gets."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from PIL import Image

from toshokan.archive import services
from toshokan.archive.models import ArchiveImage, ArchiveItem, archive_root

from .. import images
from ..conftest import PAGE, ingest_file, make_item

pytestmark = pytest.mark.django_db


def ingest_bytes(data: bytes, name: str, item: ArchiveItem | None = None, **kwargs) -> ArchiveImage:
    return services.ingest_image(item=item or make_item(), stream=io.BytesIO(data), name=name, **kwargs)


def test_a_page_gets_a_pyramid_of_512_pixel_tiles_down_to_one_tile():
    image = ingest_file(make_item(), PAGE)
    assert (image.width, image.height, image.media_type) == (1600, 1200, "image/jpeg")
    assert image.scale_factors == [1, 2, 4]
    root = Path(archive_root()) / image.pyramid_path
    assert sorted(p.name for p in (root / "1").iterdir()) == sorted(
        f"{c}_{r}.jpg" for c in range(4) for r in range(3)
    )
    assert Image.open(root / "1" / "0_0.jpg").size == (512, 512)
    assert Image.open(root / "1" / "3_2.jpg").size == (1600 - 3 * 512, 1200 - 2 * 512)  # the corner tile
    assert Image.open(root / "2" / "1_1.jpg").size == (800 - 512, 600 - 512)
    assert [p.name for p in (root / "4").iterdir()] == ["0_0.jpg"]
    assert Image.open(root / "4" / "0_0.jpg").size == (400, 300)
    assert image.original.read() == PAGE.read_bytes()  # the original is kept as it came
    assert image.identifier == "item-1-0001" and image.sequence == 1


def test_pages_are_numbered_in_order_and_a_second_ingest_under_an_identifier_replaces_it(on_commit):
    item = make_item()
    first = ingest_bytes(images.jpeg(), "a.jpg", item)
    second = ingest_bytes(images.png(), "b.png", item)
    assert (first.sequence, second.sequence) == (1, 2)
    old_root = Path(archive_root()) / second.pyramid_path
    with on_commit():
        again = ingest_bytes(images.jpeg(640, 480), "b2.jpg", item, identifier=second.identifier)
    assert again.pk == second.pk and (again.width, again.height) == (640, 480)
    assert ArchiveImage.objects.filter(item=item).count() == 2
    assert (Path(archive_root()) / again.pyramid_path).exists()
    assert not old_root.exists()


@pytest.mark.parametrize(
    ("data", "name", "reason"),
    [
        (images.png(), "photo.jpg", "the content is image/png but the file declares image/jpeg"),
        (b"<html><script>alert(1)</script></html>", "scan.tif", "not a JPEG, PNG or TIFF image"),
        (b"%PDF-1.7\n", "page.png", "not a JPEG, PNG or TIFF image"),
        (images.jpeg(), "page.gif", "not a JPEG, PNG or TIFF file by its name"),
        (images.jpeg(), "noextension", "not a JPEG, PNG or TIFF file by its name"),
        (b"", "empty.png", "the file is empty"),
        (images.jpeg()[:400], "cut.jpg", "cannot be decoded"),
        (images.png_bomb(), "bomb.png", "decompression bomb: Image size \\(3600000000 pixels\\)"),
    ],
)
def test_untrusted_uploads_are_refused_with_the_reason_and_nothing_is_stored(data, name, reason):
    with pytest.raises(services.IngestRefused, match=reason) as refused:
        ingest_bytes(data, name)
    assert str(refused.value).startswith(name)
    assert not ArchiveImage.objects.exists()
    assert not (Path(archive_root()) / "pyramids").exists() or not any(
        (Path(archive_root()) / "pyramids").rglob("*.jpg")
    )


def test_the_declared_content_type_of_an_upload_is_checked_too():
    with pytest.raises(services.IngestRefused, match="content is image/jpeg but the file declares image/png"):
        ingest_bytes(images.jpeg(), "upload.bin", content_type="image/png")


def test_the_pixel_limit_turns_pillows_bomb_warning_into_a_refusal(settings):
    # The page has 1,920,000 pixels. Pillow warns above MAX_IMAGE_PIXELS and raises above twice that:
    # the warning is an error here, so both are refused before any pixel is decoded.
    settings.TOSHOKAN_ARCHIVE_MAX_PIXELS = 1_000_000
    with pytest.raises(services.IngestRefused, match=r"decompression bomb.*exceeds limit of 1000000 pixels"):
        ingest_file(make_item(), PAGE)
    settings.TOSHOKAN_ARCHIVE_MAX_PIXELS = 500_000
    with pytest.raises(services.IngestRefused, match=r"decompression bomb.*exceeds limit of 1000000 pixels"):
        ingest_file(make_item(), PAGE)
    assert not ArchiveImage.objects.exists()


def test_the_byte_size_limit_is_checked_before_decoding(settings):
    settings.TOSHOKAN_ARCHIVE_MAX_BYTES = 100_000
    with pytest.raises(services.IngestRefused, match="660,516 bytes is over the limit of 100,000 bytes"):
        ingest_file(make_item(), PAGE)


def test_exif_orientation_is_applied_to_the_pixels():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to view
    image = ingest_bytes(images.jpeg(300, 200, exif=exif), "turned.jpg")
    assert (image.width, image.height) == (200, 300)


@pytest.mark.parametrize(
    ("data", "name", "mode"),
    [
        (images.png(mode="RGBA"), "alpha.png", "RGB"),
        (images.png(mode="I;16"), "deep.png", "L"),
        (images.tiff(mode="CMYK"), "print.tif", "RGB"),
        (images.tiff(mode="I;16"), "deep.tif", "L"),
        (images.tiff(), "scan.tiff", "RGB"),
    ],
)
def test_png_and_tiff_of_any_common_mode_become_plain_tiles(data, name, mode):
    image = ingest_bytes(data, name)
    tile = Image.open(Path(archive_root()) / image.pyramid_path / "1" / "0_0.jpg")
    assert tile.mode == mode
    if name == "deep.png":
        assert tile.getpixel((5, 5)) in range(154, 159)  # 40000 / 256 ≈ 156, scaled rather than clipped


def test_item_metadata_rules():
    with pytest.raises(ValidationError, match="ends before it starts"):
        make_item(year_start=1800, year_end=1775)
    with pytest.raises(ValidationError, match="both latitude and longitude"):
        make_item(latitude=35.68)
    with pytest.raises(ValidationError, match=r"RightsStatements\.org"):
        make_item(rights_content="all rights reserved")
    item = make_item(
        rights_content="https://creativecommons.org/publicdomain/mark/1.0",
        date_text="安永4年",
        year_start=1775,
        year_end=1775,
        latitude=35.681236,
        longitude=139.767125,
        subjects=["和算", "江戸時代"],
    )
    assert item.rights_content == "http://creativecommons.org/publicdomain/mark/1.0/"


def test_the_database_holds_the_invariants_too():
    item = make_item()
    with pytest.raises(IntegrityError):
        ArchiveItem.objects.filter(pk=item.pk).update(year_start=1900, year_end=1800)


def test_the_database_refuses_half_a_coordinate_pair():
    item = make_item()
    with pytest.raises(IntegrityError):
        ArchiveItem.objects.filter(pk=item.pk).update(latitude=35.0)
