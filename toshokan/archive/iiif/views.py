"""IIIF Image API 3.0 endpoints: `/iiif/3/{identifier}/info.json`, the image requests, and the redirect
from the bare identifier to its info.json (Image API 3.0 §2, §4, §5, §7).

Declared compliance: level 2, plus mirroring, arbitrary rotation, upscaling (`^`, within maxWidth,
maxHeight and maxArea) and the webp, gif and tif formats. Requests on the tile grid that info.json
announces are answered with the pyramid's file as it is; everything else is computed from the smallest
pyramid level that has enough pixels (toshokan.archive.iiif.pyramid), reading only the tiles it needs.

Every response carries `Access-Control-Allow-Origin: *`; images carry the `Link` profile and canonical
headers; responses have an ETag and Last-Modified and answer If-None-Match / If-Modified-Since with 304.
Images of unpublished items are 404 to the public and visible to staff (never cached by proxies).
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import os
import time
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils.http import http_date, parse_http_date_safe
from django.views.decorators.http import require_safe
from PIL import Image, ImageOps

from .. import selectors
from ..models import ArchiveImage, archive_root
from . import fast, pyramid
from .request import FORMATS, BadRequest, Limits, NotImplementedFeature, Resolved, resolve

CONTEXT = "http://iiif.io/api/image/3/context.json"
PROFILE = "http://iiif.io/api/image/3/level2.json"
JSONLD = f'application/ld+json;profile="{CONTEXT}"'
EXTRA_FEATURES = [
    "mirroring",
    "rotationArbitrary",
    "sizeUpscaling",
    "baseUriRedirect",
    "canonicalLinkHeader",
    "cors",
    "jsonldMediaType",
    "profileLinkHeader",
]
EXTRA_FORMATS = ["webp", "gif", "tif"]
EXTRA_QUALITIES = ["color", "gray", "bitonal"]


def limits() -> Limits:
    configured = getattr(settings, "TOSHOKAN_IIIF_LIMITS", {})
    return Limits(
        max_width=int(configured.get("MAX_WIDTH", 10_000)),
        max_height=int(configured.get("MAX_HEIGHT", 10_000)),
        max_area=int(configured.get("MAX_AREA", 25_000_000)),
    )


def _public_seconds() -> int:
    return int(getattr(settings, "TOSHOKAN_IIIF_MAX_AGE_S", 86_400))


def _error(status: int, message: str) -> HttpResponse:
    response = HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8")
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _find(request: HttpRequest, identifier: str) -> ArchiveImage | None:
    image = selectors.image_for_iiif(identifier, include_unpublished=False)
    if image is None and request.user.is_authenticated and request.user.is_staff:
        image = selectors.image_for_iiif(identifier, include_unpublished=True)
    return image


@lru_cache(maxsize=2048)
def _pyramid(path: str) -> pyramid.Pyramid:
    return pyramid.load(Path(archive_root()) / path)


def service_base(base: str, identifier: str) -> str:
    return f"{base.rstrip('/')}/iiif/3/{quote(identifier, safe='')}"


def service_id(request: HttpRequest, identifier: str) -> str:
    return service_base(
        getattr(settings, "TOSHOKAN_PUBLIC_URL", "") or request.build_absolute_uri("/"), identifier
    )


def _caching(response: HttpResponse, image: ArchiveImage, etag: str) -> HttpResponse:
    response["ETag"] = etag
    response["Last-Modified"] = http_date(image.updated_at.timestamp())
    if image.item.is_public:
        response["Cache-Control"] = f"public, max-age={_public_seconds()}"
    else:
        response["Cache-Control"] = "private, no-store"
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _not_modified(request: HttpRequest, image: ArchiveImage, etag: str) -> bool:
    match = request.headers.get("If-None-Match")
    if match is not None:
        return etag in [m.strip() for m in match.split(",")] or match.strip() == "*"
    since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    return since is not None and int(image.updated_at.timestamp()) <= since


def _etag_of(*parts: str) -> str:
    digest = hashlib.sha256("\0".join(parts).encode()).hexdigest()
    return f'"{digest[:32]}"'


def _etag(image: ArchiveImage, *parts: str) -> str:
    return _etag_of(image.sha256, image.pyramid_path, *parts)


def _remember_public(image: ArchiveImage, p: pyramid.Pyramid, response: HttpResponse) -> None:
    """Let the ASGI fast path (toshokan.archive.iiif.fast) answer this public image's grid tiles for a
    few seconds."""
    ttl = getattr(settings, "TOSHOKAN_IIIF_FAST_TTL_S", None)
    ttl = float(os.environ.get("TOSHOKAN_IIIF_FAST_TTL_S", "5") if ttl is None else ttl)
    if not image.item.is_public or ttl <= 0:
        fast.forget(image.identifier)
        return
    fast.remember(
        image.identifier,
        fast.Entry(
            pyramid=p,
            sha256=image.sha256,
            pyramid_path=image.pyramid_path,
            keep_metadata=image.keep_metadata,
            last_modified=response["Last-Modified"],
            cache_control=response["Cache-Control"],
            limits=limits(),
            public_base=getattr(settings, "TOSHOKAN_PUBLIC_URL", ""),
            profile=PROFILE,
            expires=time.monotonic() + ttl,
        ),
    )


@require_safe
def base(request: HttpRequest, identifier: str) -> HttpResponse:
    """The bare image URI redirects to its information (Image API 3.0 §2.2)."""
    response = HttpResponseRedirect(f"{service_id(request, identifier)}/info.json")
    response.status_code = 303
    response["Access-Control-Allow-Origin"] = "*"
    return response


def info_document(request: HttpRequest, image: ArchiveImage) -> dict[str, Any]:
    p = _pyramid(image.pyramid_path)
    lim = limits()
    sizes = []
    for scale in reversed(p.scale_factors):
        w, h = p.level_size(scale)
        if w <= lim.max_width and h <= lim.max_height and w * h <= lim.max_area:
            sizes.append({"width": w, "height": h})
    document: dict[str, Any] = {
        "@context": CONTEXT,
        "id": service_id(request, image.identifier),
        "type": "ImageService3",
        "protocol": "http://iiif.io/api/image",
        "profile": "level2",
        "width": p.width,
        "height": p.height,
        "maxWidth": lim.max_width,
        "maxHeight": lim.max_height,
        "maxArea": lim.max_area,
        "sizes": sizes,
        "tiles": [{"width": p.tile, "height": p.tile, "scaleFactors": list(p.scale_factors)}],
        "preferredFormats": ["jpg"],
        "extraFormats": EXTRA_FORMATS,
        "extraQualities": EXTRA_QUALITIES,
        "extraFeatures": EXTRA_FEATURES,
        "rights": image.item.rights_content,
    }
    return document


@require_safe
def info(request: HttpRequest, identifier: str) -> HttpResponse:
    image = _find(request, identifier)
    if image is None:
        return _error(404, f"no image {identifier!r}")
    wants_ld = "application/ld+json" in request.headers.get("Accept", "")
    etag = _etag(image, "info", service_id(request, identifier), str(wants_ld), json.dumps(limits().__dict__))
    if _not_modified(request, image, etag):
        return _caching(HttpResponse(status=304), image, etag)
    body = json.dumps(info_document(request, image), ensure_ascii=False, indent=2)
    response = HttpResponse(body, content_type=JSONLD if wants_ld else "application/json")
    response["Vary"] = "Accept"
    response["Link"] = f'<{PROFILE}>;rel="profile"'
    return _caching(response, image, etag)


@require_safe
def image_request(
    request: HttpRequest, identifier: str, region: str, size: str, rotation: str, quality_format: str
) -> HttpResponse:
    image = _find(request, identifier)
    if image is None:
        return _error(404, f"no image {identifier!r}")
    p = _pyramid(image.pyramid_path)
    try:
        wanted = resolve(
            region=region,
            size=size,
            rotation=rotation,
            quality_format=quality_format,
            width=p.width,
            height=p.height,
            limits=limits(),
        )
    except BadRequest as exc:
        return _error(400, str(exc))
    except NotImplementedFeature as exc:
        return _error(501, str(exc))
    canonical = _canonical(wanted, p)
    etag = _etag(image, canonical, str(image.keep_metadata))
    if _not_modified(request, image, etag):
        return _caching(HttpResponse(status=304), image, etag)
    with_exif = image.keep_metadata and wanted.region == (0, 0, p.width, p.height)
    tile = None if with_exif else _tile_file(wanted, p)
    body = tile.read_bytes() if tile is not None else render(wanted, p, exif=p.exif() if with_exif else b"")
    response = HttpResponse(body, content_type=FORMATS[wanted.format])
    response["Link"] = (
        f'<{PROFILE}>;rel="profile", <{service_id(request, identifier)}/{canonical}>;rel="canonical"'
    )
    _caching(response, image, etag)
    _remember_public(image, p, response)
    return response


def _canonical(wanted: Resolved, p: pyramid.Pyramid) -> str:
    """The canonical URI form (Image API 3.0 §4.7): full region as `full`, the size as `w,h`."""
    x, y, w, h = wanted.region
    region = "full" if (x, y, w, h) == (0, 0, p.width, p.height) else f"{x},{y},{w},{h}"
    rotation = ("!" if wanted.mirror else "") + (
        str(int(wanted.rotation)) if wanted.rotation == int(wanted.rotation) else f"{wanted.rotation:g}"
    )
    return f"{region}/{wanted.size[0]},{wanted.size[1]}/{rotation}/{wanted.quality}.{wanted.format}"


def _tile_file(wanted: Resolved, p: pyramid.Pyramid) -> Path | None:
    """The pyramid file that is exactly this request, if there is one."""
    if (
        wanted.rotation
        or wanted.mirror
        or wanted.quality not in ("default", "color")
        or wanted.format != "jpg"
    ):
        return None
    x, y, w, h = wanted.region
    for scale in p.scale_factors:
        span = p.tile * scale
        if x % span or y % span:
            continue
        if w != min(span, p.width - x) or h != min(span, p.height - y):
            continue
        if wanted.size != (math.ceil(w / scale), math.ceil(h / scale)):
            continue
        return p.tile_path(scale, x // span, y // span)
    return None


def render(wanted: Resolved, p: pyramid.Pyramid, *, exif: bytes = b"") -> bytes:
    """Compute a response image from the nearest pyramid level (region → size → rotation → quality)."""
    x, y, w, h = wanted.region
    out_w, out_h = wanted.size
    ratio = min(w / out_w, h / out_h)
    scale = max([s for s in p.scale_factors if s <= ratio] or [1])
    level_w, level_h = p.level_size(scale)
    box = (
        x // scale,
        y // scale,
        max(x // scale + 1, min(level_w, math.ceil((x + w) / scale))),
        max(y // scale + 1, min(level_h, math.ceil((y + h) / scale))),
    )
    picture = p.region_at(scale, box)
    if picture.size != (out_w, out_h):
        picture = picture.resize((out_w, out_h), Image.Resampling.LANCZOS)
    if wanted.mirror:
        picture = ImageOps.mirror(picture)
    transparent = wanted.format in ("png", "webp", "gif", "tif")
    if wanted.rotation in (90, 180, 270):
        picture = picture.transpose(
            {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_90}[
                int(wanted.rotation)
            ]
        )
    elif wanted.rotation:
        if transparent:
            picture = picture.convert("RGBA")
            fill: Any = (255, 255, 255, 0)
        else:
            fill = "white" if picture.mode == "RGB" else 255
        picture = picture.rotate(
            -wanted.rotation, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=fill
        )
    if wanted.quality == "gray":
        picture = picture.convert("LA") if picture.mode == "RGBA" else picture.convert("L")
    elif wanted.quality == "bitonal":
        grey = picture.convert("L")
        picture = grey.point(lambda v: 255 if v >= 128 else 0).convert("1", dither=Image.Dither.NONE)
    return encode(picture, wanted.format, exif=exif)


def encode(picture: Image.Image, fmt: str, *, exif: bytes = b"") -> bytes:
    out = io.BytesIO()
    extra: dict[str, Any] = {"exif": exif} if exif and fmt in ("jpg", "png", "webp", "tif") else {}
    if fmt == "jpg":
        if picture.mode not in ("RGB", "L"):
            picture = picture.convert("L" if picture.mode in ("1", "LA") else "RGB")
        picture.save(out, "JPEG", quality=85, **extra)
    elif fmt == "png":
        picture.save(out, "PNG", compress_level=3, **extra)
    elif fmt == "webp":
        if picture.mode not in ("RGB", "RGBA"):
            picture = picture.convert("RGBA" if picture.mode == "LA" else "RGB")
        picture.save(out, "WEBP", quality=85, **extra)
    elif fmt == "gif":
        picture.save(out, "GIF")
    elif fmt == "tif":
        picture.save(out, "TIFF", compression="tiff_deflate", **extra)
    else:  # resolve() has refused every other format already
        raise ValueError(fmt)
    return out.getvalue()
