"""Reads of the archive for its public pages: only published items of published collections."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from .models import ArchiveImage, ArchiveItem, Collection

PUBLIC = Q(published=True, collection__published=True)


def public_items() -> QuerySet[ArchiveItem]:
    return (
        ArchiveItem.objects.filter(PUBLIC)
        .select_related("collection")
        .prefetch_related(Prefetch("images", queryset=ArchiveImage.objects.order_by("sequence")))
    )


def public_collections() -> list[tuple[Collection, int]]:
    """Published collections with how many published items each holds."""
    out = []
    for collection in Collection.objects.filter(published=True).order_by("title"):
        count = collection.items.filter(published=True).count()
        out.append((collection, count))
    return out


def public_item(identifier: str) -> ArchiveItem | None:
    return public_items().filter(identifier=identifier).first()


def placed_items(collection: str = "") -> QuerySet[ArchiveItem]:
    """Public items with coordinates (for the map), optionally of one collection (its slug)."""
    qs = public_items().filter(latitude__isnull=False, longitude__isnull=False)
    if collection:
        qs = qs.filter(collection__slug=collection)
    return qs.order_by("year_start", "identifier")


@dataclass(frozen=True, slots=True)
class Decade:
    start: int  # 1770 for the 1770s
    items: list[ArchiveItem]


def timeline(*, start: int | None = None, end: int | None = None) -> tuple[list[Decade], list[ArchiveItem]]:
    """Public items by decade of their (first) year, oldest first; and the items with no year."""
    qs = public_items()
    dated = qs.filter(year_start__isnull=False)
    if start is not None:
        dated = dated.filter(Q(year_end__gte=start) | Q(year_end__isnull=True, year_start__gte=start))
    if end is not None:
        dated = dated.filter(year_start__lte=end)
    decades: dict[int, list[ArchiveItem]] = {}
    for item in dated.order_by("year_start", "year_end", "identifier"):
        assert item.year_start is not None
        decades.setdefault(item.year_start // 10 * 10, []).append(item)
    undated = list(qs.filter(year_start__isnull=True).order_by("identifier")) if start is end is None else []
    return [Decade(d, items) for d, items in sorted(decades.items())], undated


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
