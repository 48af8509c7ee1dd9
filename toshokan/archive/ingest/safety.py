"""Opening an uploaded image as untrusted input.

Rules (docs/iiif.md, "Ingest safety"), in the order they are applied:

1. A byte-size limit before anything is read into the decoder (`max_bytes`).
2. The type is declared (by the file's extension or the upload's Content-Type) and must be one of JPEG,
   PNG or TIFF; the file's magic bytes must say the same type. A PNG named .jpg, an HTML page named .tif,
   a BigTIFF or a PDF are refused before Pillow sees them.
3. Pillow opens the file with only that one decoder (`formats=`), with `Image.MAX_IMAGE_PIXELS` set to our
   own limit and `DecompressionBombWarning` turned into an error, and the header's width × height is
   checked against `max_pixels` before a single pixel is decoded — a 50,000 × 50,000 PNG of a few
   kilobytes (a decompression bomb, a pixel flood) is refused from its header.
4. The whole image is decoded (a truncated or corrupt file fails here, not later in a tile request);
   only the first frame of a multi-page TIFF is taken, and the count is reported.
5. The EXIF orientation is applied to the pixels, and the result is plain RGB or L: the derivatives
   carry no EXIF, GPS, XMP, ICC-driven surprises or text chunks. The EXIF block is returned separately so
   that a curator who keeps it on purpose can have it in the published full image.

Pillow does the decoding; what is written here is only the order of checks around it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageOps

DEFAULT_MAX_BYTES = 300 * 1024 * 1024
DEFAULT_MAX_PIXELS = 120_000_000  # a 10,000 × 12,000 scan; above that is not a page but an attack


class UnsafeImage(ValueError):
    """An upload refused by a safety rule; the message says which and why."""


# Declared type → (Pillow format, magic prefixes)
TYPES: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "image/jpeg": ("JPEG", (b"\xff\xd8\xff",)),
    "image/png": ("PNG", (b"\x89PNG\r\n\x1a\n",)),
    "image/tiff": ("TIFF", (b"II*\x00", b"MM\x00*")),
}
EXTENSIONS = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".jpe": "image/jpeg",
    ".png": "image/png",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
}


@dataclass
class SafeImage:
    image: Image.Image  # decoded, upright, RGB or L
    media_type: str
    width: int
    height: int
    exif: bytes = b""  # the original's EXIF (orientation reset), only used when kept on purpose
    notes: list[str] = field(default_factory=list)


def declared_type(name: str, content_type: str | None = None) -> str:
    """The type the uploader claims: the Content-Type when it names an image type we take, else the
    file name's extension."""
    if content_type and content_type.split(";")[0].strip().lower() in TYPES:
        return content_type.split(";")[0].strip().lower()
    suffix = Path(name).suffix.lower()
    if suffix in EXTENSIONS:
        return EXTENSIONS[suffix]
    raise UnsafeImage(f"not a JPEG, PNG or TIFF file by its name ({suffix or 'no extension'})")


def sniff(head: bytes) -> str | None:
    for media_type, (_, magics) in TYPES.items():
        if any(head.startswith(m) for m in magics):
            return media_type
    return None


def open_untrusted(
    stream: BinaryIO,
    *,
    declared: str,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_pixels: int = DEFAULT_MAX_PIXELS,
) -> SafeImage:
    """Check and decode one uploaded image (see the module docstring for the rules)."""
    if declared not in TYPES:
        raise UnsafeImage(f"type {declared} is not taken (JPEG, PNG and TIFF are)")
    stream.seek(0, 2)
    size = stream.tell()
    stream.seek(0)
    if size == 0:
        raise UnsafeImage("the file is empty")
    if size > max_bytes:
        raise UnsafeImage(f"{size:,} bytes is over the limit of {max_bytes:,} bytes")
    head = stream.read(16)
    stream.seek(0)
    actual = sniff(head)
    if actual is None:
        raise UnsafeImage(f"the content is not a JPEG, PNG or TIFF image (declared {declared})")
    if actual != declared:
        raise UnsafeImage(f"the content is {actual} but the file declares {declared}")
    pillow_format = TYPES[declared][0]
    Image.MAX_IMAGE_PIXELS = max_pixels
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(stream, formats=[pillow_format])
            width, height = image.size
            if width <= 0 or height <= 0:
                raise UnsafeImage("the image has no pixels")
            if width * height > max_pixels:
                raise UnsafeImage(
                    f"{width} × {height} = {width * height:,} pixels is over the limit of {max_pixels:,}"
                )
            notes = []
            frames = getattr(image, "n_frames", 1)
            if frames > 1:
                notes.append(f"{frames} frames: the first is taken")
            exif = image.getexif()
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise UnsafeImage(f"refused as a decompression bomb: {exc}") from exc
        except UnsafeImage:
            raise
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise UnsafeImage(f"cannot be decoded: {exc}") from exc
    upright = ImageOps.exif_transpose(image) or image
    if exif and 0x0112 in exif:
        del exif[0x0112]  # the pixels are upright now
    return SafeImage(
        image=_plain(upright),
        media_type=declared,
        width=upright.width,
        height=upright.height,
        exif=exif.tobytes() if len(exif) else b"",
        notes=notes,
    )


def _plain(image: Image.Image) -> Image.Image:
    """RGB or L pixels only: transparency is laid on white, 16-bit and palette images are converted."""
    if image.mode in ("RGB", "L"):
        return image.copy() if image.info else image
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, "white")
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if image.mode.startswith("I"):  # 16-bit grey scans: scale to 8 bits rather than clip
        return image.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if image.mode in ("1", "F"):
        return image.convert("L")
    return image.convert("RGB")
