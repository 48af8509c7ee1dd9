"""Writes to the digital archive: collections, items and the ingest of their images.

`ingest_image` takes an untrusted upload through toshokan.archive.ingest.safety (size, magic bytes,
decompression bombs, decoding), keeps the original for preservation and builds the tile pyramid of
published derivatives (toshokan.archive.iiif.pyramid) before the row is saved, so an image row always
has its tiles. Rights values are checked against toshokan.archive.domain.rights.
"""

from __future__ import annotations

import hashlib
import shutil
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from toshokan.core.domain import DomainError

from .domain import rights
from .iiif import pyramid
from .ingest import safety
from .models import ArchiveImage, ArchiveItem, Collection, DeletedItem, archive_root

TILE_SIZE = 512


class IngestRefused(DomainError):
    """An upload that the safety rules refused; the message names the reason."""

    code = "ingest_refused"


def max_bytes() -> int:
    return int(getattr(settings, "TOSHOKAN_ARCHIVE_MAX_BYTES", safety.DEFAULT_MAX_BYTES))


def max_pixels() -> int:
    return int(getattr(settings, "TOSHOKAN_ARCHIVE_MAX_PIXELS", safety.DEFAULT_MAX_PIXELS))


@transaction.atomic
def save_collection(*, slug: str, title: str, **fields: Any) -> Collection:
    """Create the collection `slug`, or update its fields."""
    collection, _ = Collection.objects.update_or_create(slug=slug, defaults={"title": title, **fields})
    collection.full_clean()
    return collection


_RIGHTS_FIELDS = ("rights_metadata", "rights_thumbnail", "rights_content")


@transaction.atomic
def save_item(*, collection: Collection, identifier: str, title: str, **fields: Any) -> ArchiveItem:
    """Create the item `identifier` in `collection`, or update it. Rights URIs are written in their
    canonical form; an unknown one, a reversed year range or half a coordinate pair is refused."""
    values: dict[str, Any] = {"collection": collection, "title": title, **fields}
    for name in _RIGHTS_FIELDS:
        if name in values:
            try:
                values[name] = rights.canonical_rights(values[name])
            except rights.RightsError as exc:
                raise ValidationError({name: str(exc)}) from exc
    for name in ("latitude", "longitude"):
        if isinstance(values.get(name), float):
            values[name] = Decimal(str(round(values[name], 6)))
    item = ArchiveItem.objects.filter(identifier=identifier).first() or ArchiveItem(identifier=identifier)
    for name, value in values.items():
        setattr(item, name, value)
    item.full_clean()
    item.save()
    return item


def _pyramid_dir(key: str) -> Path:
    return Path(archive_root()) / "pyramids" / key[:2] / key


def ingest_image(
    *,
    item: ArchiveItem,
    stream: BinaryIO,
    name: str,
    content_type: str | None = None,
    identifier: str | None = None,
    label: str = "",
    sequence: int | None = None,
    keep_metadata: bool = False,
) -> ArchiveImage:
    """Check, store and tile one uploaded image as the next page of `item` (or at `sequence`).

    Raises IngestRefused with the reason when a safety rule refuses the file; nothing is stored then.
    Re-ingesting under an existing identifier replaces that image's original and pyramid.
    """
    try:
        declared = safety.declared_type(name, content_type)
        checked = safety.open_untrusted(
            stream, declared=declared, max_bytes=max_bytes(), max_pixels=max_pixels()
        )
    except safety.UnsafeImage as exc:
        raise IngestRefused(f"{name}: {exc}") from exc
    stream.seek(0)
    digest = hashlib.sha256()
    size = 0
    for chunk in iter(lambda: stream.read(1 << 20), b""):
        digest.update(chunk)
        size += len(chunk)
    stream.seek(0)

    key = uuid.uuid4().hex
    root = _pyramid_dir(key)
    built = pyramid.build(checked.image, root, tile=TILE_SIZE, exif=checked.exif if keep_metadata else b"")
    try:
        with transaction.atomic():
            existing = (
                ArchiveImage.objects.select_for_update().filter(identifier=identifier).first()
                if identifier
                else None
            )
            image = existing or ArchiveImage(item=item)
            old_root = Path(archive_root()) / existing.pyramid_path if existing else None
            old_original = existing.original.name if existing else None
            if sequence is None and existing is None:
                last = ArchiveImage.objects.filter(item=item).aggregate(m=Max("sequence"))["m"]
                sequence = (last or 0) + 1
            if sequence is not None:
                image.sequence = sequence
            image.item = item
            image.identifier = identifier or f"{item.identifier}-{image.sequence:04d}"
            image.label = label or image.label or f"{image.sequence}"
            image.original_name = Path(name).name[:255]
            image.media_type = checked.media_type
            image.byte_size = size
            image.sha256 = digest.hexdigest()
            image.width, image.height = built.width, built.height
            image.tile_size = built.tile
            image.scale_factors = list(built.scale_factors)
            image.pyramid_path = str(root.relative_to(archive_root()))
            image.keep_metadata = keep_metadata
            image.original.save(Path(name).name, File(stream), save=False)
            image.full_clean(exclude=["original"])
            image.save()
    except Exception:
        shutil.rmtree(root, ignore_errors=True)
        raise
    if old_root is not None and old_root != root:
        transaction.on_commit(lambda: shutil.rmtree(old_root, ignore_errors=True))
    if old_original and old_original != image.original.name:
        storage = image.original.storage
        transaction.on_commit(lambda: storage.delete(old_original))
    return image


@transaction.atomic
def set_published(*, item: ArchiveItem, published: bool) -> ArchiveItem:
    item.published = published
    item.save(update_fields=["published", "updated_at"])
    return item


@transaction.atomic
def delete_item(*, item: ArchiveItem) -> None:
    """Delete an item with its images (their originals and pyramids go once the deletion commits),
    leaving a tombstone for harvesters (OAI-PMH lists it as deleted)."""
    DeletedItem.objects.update_or_create(
        item_id=item.pk,
        defaults={
            "identifier": item.identifier,
            "collection_slug": item.collection.slug,
            "deleted_at": timezone.now(),
        },
    )
    root = Path(archive_root())
    pyramids = [root / image.pyramid_path for image in item.images.all() if image.pyramid_path]
    originals = [
        (image.original.storage, str(image.original.name)) for image in item.images.all() if image.original
    ]
    item.delete()

    def remove_files() -> None:
        for path in pyramids:
            shutil.rmtree(path, ignore_errors=True)
        for storage, name in originals:
            storage.delete(name)

    transaction.on_commit(remove_files)
