"""Reads of the digital archive."""

from __future__ import annotations

from .models import ArchiveImage, ArchiveItem


def image_for_iiif(identifier: str, *, include_unpublished: bool) -> ArchiveImage | None:
    """The image behind an IIIF identifier, or None. The public sees only images of published items in
    published collections; staff (include_unpublished) see all, to check before publishing."""
    qs = ArchiveImage.objects.select_related("item", "item__collection").filter(identifier=identifier)
    if not include_unpublished:
        qs = qs.filter(item__published=True, item__collection__published=True)
    return qs.first()


def image_with_bytes(item: ArchiveItem, sha256: str) -> ArchiveImage | None:
    """The image of `item` whose original has exactly these bytes, if one does (re-ingest is a no-op)."""
    return ArchiveImage.objects.filter(item=item, sha256=sha256).first()
