"""The archive's public pages: collections, an item, the map and the timeline.

Walk through the town's past by place and by year: the map shows every published item with
coordinates (Leaflet, served by toshokan; tiles from TOSHOKAN_MAP_TILES when configured, else the
markers on a plain ground), and lists the same items for readers without script or sight of the
map; the timeline groups items by decade of their year (西暦) and shows the date as the source gives
it (和暦). Only published items of published collections are ever shown.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse

from . import selectors
from .domain import rights
from .domain.kinds import LABELS_JA, ItemKind
from .models import ArchiveImage, ArchiveItem


def thumbnail_url(image: ArchiveImage, width: int = 300) -> str:
    # sizeByW (`w,`) is IIIF Image API level 1: any server of ours answers it from the pyramid.
    return f"/iiif/3/{image.identifier}/full/{width},/0/default.jpg"


def _kind(item: ArchiveItem) -> str:
    try:
        return LABELS_JA[ItemKind(item.kind)]
    except ValueError:
        return item.kind


def _card(item: ArchiveItem) -> dict[str, Any]:
    images = list(item.images.all())
    return {
        "item": item,
        "url": reverse("archive:item", args=[item.identifier]),
        "kind": _kind(item),
        "thumbnail": thumbnail_url(images[0]) if images else "",
        "year": _years(item),
    }


def _years(item: ArchiveItem) -> str:
    if item.year_start is None:
        return ""
    if item.year_end is not None and item.year_end != item.year_start:
        return f"{item.year_start}–{item.year_end}"
    return str(item.year_start)


def _rights(uri: str) -> dict[str, str] | None:
    if not uri:
        return None
    known = rights.BY_URI.get(uri)
    return {"uri": uri, "label": known.label_ja if known else uri, "code": known.code if known else ""}


def home(request: HttpRequest) -> HttpResponse:
    recent = [_card(item) for item in selectors.public_items().order_by("-updated_at")[:12]]
    return render(
        request,
        "archive/home.html",
        {"collections": selectors.public_collections(), "recent": recent},
    )


def item(request: HttpRequest, identifier: str) -> HttpResponse:
    found = selectors.public_item(identifier)
    if found is None:
        raise Http404("no such archive item")
    images = [
        {"image": image, "thumbnail": thumbnail_url(image, 400), "full": f"/iiif/3/{image.identifier}/full/max/0/default.jpg",
         "info": f"/iiif/3/{image.identifier}/info.json"}
        for image in found.images.all()
    ]  # fmt: skip
    return render(
        request,
        "archive/item.html",
        {
            "item": found,
            "kind": _kind(found),
            "years": _years(found),
            "images": images,
            "rights": [
                (label, _rights(uri))
                for label, uri in (
                    ("メタデータ", found.rights_metadata),
                    ("サムネイル", found.rights_thumbnail),
                    ("コンテンツ", found.rights_content),
                )
            ],
            "record_url": reverse("portal:record", args=[found.record_id]) if found.record_id else "",
            "manifest_url": reverse("archive:iiif-manifest", args=[found.identifier]),
            "viewer": {
                "tileSources": [i["info"] for i in images],
                "prefixUrl": static("archive/vendor/openseadragon/images/"),
            },
        },
    )


def archive_map(request: HttpRequest) -> HttpResponse:
    collection = request.GET.get("collection", "").strip()
    cards = [_card(i) for i in selectors.placed_items(collection)]
    tiles = getattr(settings, "TOSHOKAN_MAP_TILES", {}) or {}
    places = {
        "tiles": {"url": str(tiles.get("URL", "")), "attribution": str(tiles.get("ATTRIBUTION", ""))},
        "items": [
            {
                "id": f"item-{c['item'].identifier}",
                "title": c["item"].title,
                "place": c["item"].place_name,
                "year": c["year"],
                "url": c["url"],
                "lat": float(c["item"].latitude),
                "lon": float(c["item"].longitude),
            }
            for c in cards
        ],
    }
    return render(
        request,
        "archive/map.html",
        {
            "cards": cards,
            "places": places,
            "collections": selectors.public_collections(),
            "collection": collection,
        },
    )


def _year_param(request: HttpRequest, name: str) -> int | None:
    value = request.GET.get(name, "").strip()
    return int(value) if value.isdigit() and len(value) <= 4 else None


def timeline(request: HttpRequest) -> HttpResponse:
    start, end = _year_param(request, "from"), _year_param(request, "until")
    decades, undated = selectors.timeline(start=start, end=end)
    return render(
        request,
        "archive/timeline.html",
        {
            "decades": [{"start": d.start, "cards": [_card(i) for i in d.items]} for d in decades],
            "undated": [_card(i) for i in undated],
            "start": start,
            "end": end,
        },
    )
