"""Images made in the tests: plain ones, ones with EXIF and GPS, and hostile ones built byte by byte."""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

from PIL import Image


def jpeg(
    width: int = 300, height: int = 200, *, exif: Image.Exif | None = None, color=(200, 30, 30)
) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", (width, height), color)
    image.paste((20, 20, 220), (0, 0, width // 2, height // 2))  # a blue top-left quarter, to see orientation
    image.save(out, "JPEG", quality=95, **({"exif": exif} if exif is not None else {}))
    return out.getvalue()


def png(width: int = 300, height: int = 200, mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    fill: dict[str, Any] = {"RGB": (10, 120, 10), "RGBA": (10, 120, 10, 0), "L": 90, "I;16": 40000}
    Image.new(mode, (width, height), fill[mode]).save(out, "PNG")
    return out.getvalue()


def tiff(width: int = 300, height: int = 200, mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    fill: dict[str, Any] = {"RGB": (10, 10, 120), "CMYK": (0, 255, 255, 0), "I;16": 40000}
    Image.new(mode, (width, height), fill[mode]).save(out, "TIFF")
    return out.getvalue()


def exif_with_gps() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "ToshokanCam"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (35.0, 41.0, 0.0)
    gps[3] = "E"
    gps[4] = (139.0, 46.0, 0.0)
    return exif


def png_bomb(width: int = 60_000, height: int = 60_000) -> bytes:
    """A valid PNG header announcing width × height 8-bit grey pixels, with a tiny compressed body —
    the shape of a decompression bomb (the real one would inflate to gigabytes)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    body = zlib.compress(b"\x00" * (width + 1) * 16, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
