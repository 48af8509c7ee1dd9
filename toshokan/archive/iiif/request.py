"""Parsing and resolving an IIIF Image API 3.0 request: region, size, rotation, quality, format.

Image API 3.0 §4 (https://iiif.io/api/image/3.0/#4-image-requests) and §7 (status codes): syntax errors
and requests the image cannot satisfy (a region outside the image, a size above the region without `^`,
zero sizes) are 400; a valid request for a feature this server does not offer is 501. The order of
operations is region → size → rotation (mirroring first) → quality → format (§4, figure).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

QUALITIES = ("default", "color", "gray", "bitonal")
FORMATS = {
    "jpg": "image/jpeg",
    "png": "image/png",
    "webp": "image/webp",
    "gif": "image/gif",
    "tif": "image/tiff",
}
KNOWN_UNSUPPORTED_FORMATS = ("jp2", "pdf")


class BadRequest(ValueError):
    """400: the request is malformed or cannot be satisfied for this image."""


class NotImplementedFeature(ValueError):
    """501: a valid request for something this server does not do."""


@dataclass(frozen=True)
class Limits:
    max_width: int
    max_height: int
    max_area: int


@dataclass(frozen=True)
class Resolved:
    region: tuple[int, int, int, int]  # x, y, w, h in full-resolution pixels
    size: tuple[int, int]  # output width, height before rotation
    mirror: bool
    rotation: float
    quality: str
    format: str

    @property
    def canonical(self) -> str:
        x, y, w, h = self.region
        rot = ("!" if self.mirror else "") + _number(self.rotation)
        return f"{x},{y},{w},{h}/{self.size[0]},{self.size[1]}/{rot}/{self.quality}.{self.format}"


_NUM = r"\d+(?:\.\d+)?"
_INT = re.compile(r"\d+")
_PX = re.compile(r"(\d+),(\d+),(\d+),(\d+)")
_PCT = re.compile(rf"pct:({_NUM}),({_NUM}),({_NUM}),({_NUM})")


def _number(value: float) -> str:
    return str(int(value)) if value == int(value) else f"{value:g}"


def resolve_region(text: str, width: int, height: int) -> tuple[int, int, int, int]:
    if text == "full":
        return 0, 0, width, height
    if text == "square":
        side = min(width, height)
        return (width - side) // 2, (height - side) // 2, side, side
    if m := _PX.fullmatch(text):
        x, y, w, h = (int(g) for g in m.groups())
    elif m := _PCT.fullmatch(text):
        px, py, pw, ph = (float(g) for g in m.groups())
        x, y = round(px * width / 100), round(py * height / 100)
        w, h = round(pw * width / 100), round(ph * height / 100)
    else:
        raise BadRequest(f"region {text!r}: use full, square, x,y,w,h or pct:x,y,w,h")
    if w <= 0 or h <= 0:
        raise BadRequest(f"region {text!r} has no width or height")
    if x >= width or y >= height:
        raise BadRequest(f"region {text!r} lies outside the {width} × {height} image")
    return x, y, min(w, width - x), min(h, height - y)


def resolve_size(text: str, rw: int, rh: int, limits: Limits) -> tuple[int, int]:
    upscale = text.startswith("^")
    spec = text[1:] if upscale else text

    def fit_limits(w: float, h: float) -> tuple[float, float]:
        scale = min(1.0, limits.max_width / w, limits.max_height / h, math.sqrt(limits.max_area / (w * h)))
        return w * scale, h * scale

    if spec == "max":
        if upscale:
            scale = min(limits.max_width / rw, limits.max_height / rh, math.sqrt(limits.max_area / (rw * rh)))
            w, h = rw * scale, rh * scale
        else:
            w, h = fit_limits(rw, rh)
        return max(1, math.floor(w)), max(1, math.floor(h))
    if spec.startswith("pct:"):
        try:
            pct = float(spec[4:])
        except ValueError:
            raise BadRequest(f"size {text!r}: pct:n takes a number") from None
        if not re.fullmatch(_NUM, spec[4:]):
            raise BadRequest(f"size {text!r}: pct:n takes a number")
        if pct <= 0:
            raise BadRequest(f"size {text!r} is empty")
        if pct > 100 and not upscale:
            raise BadRequest(f"size {text!r} is above 100% without ^")
        w, h = max(1, round(rw * pct / 100)), max(1, round(rh * pct / 100))
        return _checked(text, w, h, rw, rh, upscale, limits)
    confined = spec.startswith("!")
    if confined:
        spec = spec[1:]
    parts = spec.split(",")
    if len(parts) != 2 or not all(p == "" or _INT.fullmatch(p) for p in parts) or parts == ["", ""]:
        raise BadRequest(f"size {text!r}: use max, w,, ,h, pct:n, w,h or !w,h (with ^ to upscale)")
    if confined and "" in parts:
        raise BadRequest(f"size {text!r}: !w,h needs both")
    pw = int(parts[0]) if parts[0] else None
    ph = int(parts[1]) if parts[1] else None
    if pw == 0 or ph == 0:
        raise BadRequest(f"size {text!r} is empty")
    if confined:
        assert pw is not None and ph is not None
        # A best fit above the region's size is an upscale, refused without ^ like any other size
        # (what the official validator's size_noup test asks, e.g. !2000,3000 of a 1000 × 1000 image).
        scale = min(pw / rw, ph / rh)
        w, h = max(1, math.floor(rw * scale + 1e-9)), max(1, math.floor(rh * scale + 1e-9))
    elif pw is not None and ph is not None:
        w, h = pw, ph
    elif pw is not None:
        w, h = pw, max(1, round(rh * pw / rw))
    else:
        assert ph is not None
        w, h = max(1, round(rw * ph / rh)), ph
    return _checked(text, w, h, rw, rh, upscale, limits)


def _checked(text: str, w: int, h: int, rw: int, rh: int, upscale: bool, limits: Limits) -> tuple[int, int]:
    if not upscale and (w > rw or h > rh):
        raise BadRequest(f"size {text!r} is larger than the region ({rw} × {rh}); ^ asks for upscaling")
    if w > limits.max_width or h > limits.max_height or w * h > limits.max_area:
        raise BadRequest(
            f"size {text!r} ({w} × {h}) is above this server's limits "
            f"(maxWidth {limits.max_width}, maxHeight {limits.max_height}, maxArea {limits.max_area})"
        )
    return w, h


def resolve_rotation(text: str) -> tuple[bool, float]:
    mirror = text.startswith("!")
    spec = text[1:] if mirror else text
    if not re.fullmatch(_NUM, spec):
        raise BadRequest(f"rotation {text!r}: a number of degrees from 0 to 360, ! first to mirror")
    degrees = float(spec)
    if degrees > 360:
        raise BadRequest(f"rotation {text!r} is above 360")
    return mirror, degrees % 360


def resolve(
    *, region: str, size: str, rotation: str, quality_format: str, width: int, height: int, limits: Limits
) -> Resolved:
    quality, dot, fmt = quality_format.rpartition(".")
    if not dot or not quality:
        raise BadRequest(f"{quality_format!r}: the last segment is quality.format, e.g. default.jpg")
    if quality not in QUALITIES:
        raise BadRequest(f"quality {quality!r}: one of {', '.join(QUALITIES)}")
    box = resolve_region(region, width, height)
    out = resolve_size(size, box[2], box[3], limits)
    mirror, degrees = resolve_rotation(rotation)
    if fmt in KNOWN_UNSUPPORTED_FORMATS:
        raise NotImplementedFeature(f"format {fmt} is not offered here; use one of {', '.join(FORMATS)}")
    if fmt not in FORMATS:
        raise BadRequest(f"format {fmt!r}: one of {', '.join(FORMATS)}")
    return Resolved(box, out, mirror, degrees, quality, fmt)
