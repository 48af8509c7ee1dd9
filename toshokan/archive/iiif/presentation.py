"""IIIF Presentation API 3.0: a Manifest for every published archive item, a Collection for every
published collection, and one Collection of them all — so that any IIIF viewer (Mirador, Universal
Viewer, OpenSeadragon through the Image API) and aggregators such as Japan Search can show them.

Each image of an item is a Canvas painted by its image, with the image's Image API 3.0 service
(level 2, toshokan.archive.iiif.views); the item's metadata is shown as label/value pairs in Japanese
and English, its content rights as `rights` (RightsStatements.org or Creative Commons, as the
specification requires), its credit line as the `requiredStatement`, its year as `navDate`. Books
and documents are read right to left (`viewingDirection`), as Japanese books are bound.

Written as plain JSON rather than through iiif-prezi3: its current release caps Pillow at 12.0.0,
and the archive decodes untrusted uploads with Pillow, which we keep current. The tests validate
every manifest against the official IIIF Presentation 3.0 JSON Schema instead.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import reverse

from .. import selectors
from ..domain.kinds import LABELS_JA, ItemKind
from ..models import ArchiveImage, ArchiveItem, Collection
from .views import service_id

CONTEXT = "http://iiif.io/api/presentation/3/context.json"
CONTENT_TYPE = f'application/ld+json;profile="{CONTEXT}"'
RIGHT_TO_LEFT = {ItemKind.BOOK, ItemKind.DOCUMENT}

# (field, Japanese label, English label)
_METADATA = (
    ("creator", "作成者", "Creator"),
    ("date_text", "年代", "Date"),
    ("place_name", "場所", "Place"),
    ("extent", "数量・大きさ", "Extent"),
    ("source", "出典・原資料", "Source"),
    ("call_number", "請求記号", "Call number"),
)


def _base(request: HttpRequest) -> str:
    return str(getattr(settings, "TOSHOKAN_PUBLIC_URL", "") or request.build_absolute_uri("/")).rstrip("/")


def _ja(text: str) -> dict[str, list[str]]:
    return {"ja": [text]}


def _pair(ja: str, en: str, value: str) -> dict[str, Any]:
    return {"label": {"ja": [ja], "en": [en]}, "value": _ja(value)}


def _library(request: HttpRequest) -> dict[str, Any]:
    name = getattr(settings, "TOSHOKAN_LIBRARY_NAME", None) or "toshokan"
    label = {k: [str(v)] for k, v in name.items()} if isinstance(name, dict) else {"ja": [str(name)]}
    home = _base(request) + "/"
    return {
        "id": f"{home}#library",
        "type": "Agent",
        "label": label,
        "homepage": [{"id": home, "type": "Text", "label": label, "format": "text/html"}],
    }


def manifest_url(request: HttpRequest, item: ArchiveItem) -> str:
    return _base(request) + reverse("archive:iiif-manifest", args=[item.identifier])


def collection_url(request: HttpRequest, collection: Collection | None) -> str:
    if collection is None:
        return _base(request) + reverse("archive:iiif-collections")
    return _base(request) + reverse("archive:iiif-collection", args=[collection.slug])


def _image_service(request: HttpRequest, image: ArchiveImage) -> list[dict[str, Any]]:
    return [{"id": service_id(request, image.identifier), "type": "ImageService3", "profile": "level2"}]


def _thumbnail(request: HttpRequest, image: ArchiveImage, width: int = 300) -> dict[str, Any]:
    height = max(1, round(image.height * width / image.width))
    return {
        "id": f"{service_id(request, image.identifier)}/full/{width},/0/default.jpg",
        "type": "Image",
        "format": "image/jpeg",
        "width": width,
        "height": height,
        "service": _image_service(request, image),
    }


def _canvas(request: HttpRequest, manifest: str, image: ArchiveImage) -> dict[str, Any]:
    canvas = f"{manifest}/canvas/{image.sequence}"
    service = service_id(request, image.identifier)
    return {
        "id": canvas,
        "type": "Canvas",
        "label": {"none": [image.label or str(image.sequence)]},
        "width": image.width,
        "height": image.height,
        "items": [
            {
                "id": f"{canvas}/page",
                "type": "AnnotationPage",
                "items": [
                    {
                        "id": f"{canvas}/page/image",
                        "type": "Annotation",
                        "motivation": "painting",
                        "target": canvas,
                        "body": {
                            "id": f"{service}/full/max/0/default.jpg",
                            "type": "Image",
                            "format": "image/jpeg",
                            "width": image.width,
                            "height": image.height,
                            "service": _image_service(request, image),
                        },
                    }
                ],
            }
        ],
    }


def manifest(request: HttpRequest, item: ArchiveItem) -> dict[str, Any]:
    """The Presentation 3.0 Manifest of one item (images prefetched in sequence order)."""
    url = manifest_url(request, item)
    images = list(item.images.all())
    metadata = [_pair(ja, en, getattr(item, field)) for field, ja, en in _METADATA if getattr(item, field)]
    try:
        kind = ItemKind(item.kind)
        metadata.insert(0, _pair("資料種別", "Type", LABELS_JA[kind]))
    except ValueError:
        kind = ItemKind.OTHER
    if item.subjects:
        metadata.append({"label": {"ja": ["件名"], "en": ["Subject"]}, "value": {"ja": list(item.subjects)}})
    if item.title_reading:
        metadata.insert(0, _pair("よみ", "Title reading", item.title_reading))
    page = _base(request) + reverse("archive:item", args=[item.identifier])
    out: dict[str, Any] = {
        "@context": CONTEXT,
        "id": url,
        "type": "Manifest",
        "label": _ja(item.title),
        "metadata": metadata,
        "provider": [_library(request)],
        "homepage": [
            {"id": page, "type": "Text", "label": _ja(item.title), "format": "text/html", "language": ["ja"]}
        ],
        "partOf": [{"id": collection_url(request, item.collection), "type": "Collection"}],
        "items": [_canvas(request, url, image) for image in images],
    }
    if item.description:
        out["summary"] = _ja(item.description)
    credit = item.credit or item.collection.credit
    if credit:
        out["requiredStatement"] = {"label": {"ja": ["出典"], "en": ["Attribution"]}, "value": _ja(credit)}
    if item.rights_content:
        out["rights"] = item.rights_content
    if item.year_start is not None and item.year_start > 0:
        out["navDate"] = f"{item.year_start:04d}-01-01T00:00:00Z"
    if images:
        out["thumbnail"] = [_thumbnail(request, images[0])]
    if kind in RIGHT_TO_LEFT:
        out["viewingDirection"] = "right-to-left"
    return out


def collection_document(
    request: HttpRequest, collection: Collection, items: list[ArchiveItem]
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "@context": CONTEXT,
        "id": collection_url(request, collection),
        "type": "Collection",
        "label": _ja(collection.title),
        "provider": [_library(request)],
        "partOf": [{"id": collection_url(request, None), "type": "Collection"}],
        "items": [],
    }
    if collection.description:
        out["summary"] = _ja(collection.description)
    if collection.credit:
        out["requiredStatement"] = {
            "label": {"ja": ["出典"], "en": ["Attribution"]},
            "value": _ja(collection.credit),
        }
    for item in items:
        reference: dict[str, Any] = {
            "id": manifest_url(request, item),
            "type": "Manifest",
            "label": _ja(item.title),
        }
        images = list(item.images.all())
        if images:
            reference["thumbnail"] = [_thumbnail(request, images[0])]
        out["items"].append(reference)
    return out


def _json(document: dict[str, Any]) -> HttpResponse:
    response = JsonResponse(document, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = CONTENT_TYPE
    response["Access-Control-Allow-Origin"] = "*"
    return response


def manifest_view(request: HttpRequest, identifier: str) -> HttpResponse:
    item = selectors.public_item(identifier)
    if item is None:
        raise Http404("no such archive item")
    return _json(manifest(request, item))


def collection_view(request: HttpRequest, slug: str) -> HttpResponse:
    collection = Collection.objects.filter(slug=slug, published=True).first()
    if collection is None:
        raise Http404("no such collection")
    items = list(selectors.public_items().filter(collection=collection).order_by("identifier"))
    return _json(collection_document(request, collection, items))


def collections_view(request: HttpRequest) -> HttpResponse:
    out: dict[str, Any] = {
        "@context": CONTEXT,
        "id": collection_url(request, None),
        "type": "Collection",
        "label": {"ja": ["デジタルアーカイブ"], "en": ["Digital archive"]},
        "provider": [_library(request)],
        "items": [
            {"id": collection_url(request, c), "type": "Collection", "label": _ja(c.title)}
            for c, _count in selectors.public_collections()
        ],
    }
    return _json(out)
