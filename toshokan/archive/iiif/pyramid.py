"""The tile pyramid of one image: JPEG tiles on disk, made once at ingest, read by the IIIF views.

Layout under the pyramid directory:

    pyramid.json            {"width", "height", "tile": 512, "scale_factors": [1, 2, 4, …], "version"}
    {s}/{col}_{row}.jpg     the tile at scale factor s (level size ceil(W/s) × ceil(H/s))
    exif.bin                the original's EXIF, only when the curator keeps it

Scale factors are 1, 2, 4, … up to the first level that fits in a single tile, so every IIIF tile request
of the grid that info.json announces (Image API 3.0 §5.6, "tiles") is a file read, and any other request
is computed from the smallest level that still has enough pixels, reading only the tiles it overlaps —
never the full-resolution original.

Levels are made by halving the previous level (Pillow's `reduce(2)`, a box filter), which gives exactly
ceil(W/s) × ceil(H/s) at each level, the size the IIIF tile algorithm expects.
"""

from __future__ import annotations

import json
import math
import shutil
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

VERSION = 1
TILE_QUALITY = 88


@dataclass(frozen=True)
class Pyramid:
    root: Path
    width: int
    height: int
    tile: int
    scale_factors: tuple[int, ...]

    def level_size(self, scale: int) -> tuple[int, int]:
        return math.ceil(self.width / scale), math.ceil(self.height / scale)

    def tile_path(self, scale: int, col: int, row: int) -> Path:
        return self.root / str(scale) / f"{col}_{row}.jpg"

    def region_at(self, scale: int, box: tuple[int, int, int, int]) -> Image.Image:
        """The pixels of level `scale` inside box (left, top, right, bottom in that level's pixels),
        stitched from the tiles it overlaps."""
        left, top, right, bottom = box
        out = Image.new("RGB", (right - left, bottom - top), "white")
        t = self.tile
        mode = None
        for row in range(top // t, (bottom - 1) // t + 1):
            for col in range(left // t, (right - 1) // t + 1):
                with Image.open(self.tile_path(scale, col, row), formats=["JPEG"]) as tile:
                    tile.load()
                    if mode is None and tile.mode == "L":
                        mode = "L"
                    out.paste(tile.convert("RGB"), (col * t - left, row * t - top))
        return out.convert("L") if mode == "L" else out

    def exif(self) -> bytes:
        path = self.root / "exif.bin"
        return path.read_bytes() if path.exists() else b""


def scale_factors_for(width: int, height: int, tile: int) -> list[int]:
    factors = [1]
    while math.ceil(width / factors[-1]) > tile or math.ceil(height / factors[-1]) > tile:
        factors.append(factors[-1] * 2)
    return factors


def build(image: Image.Image, root: Path, *, tile: int = 512, exif: bytes = b"") -> Pyramid:
    """Write the pyramid of `image` (RGB or L, upright) under root, replacing what was there."""
    if image.mode not in ("RGB", "L"):
        raise ValueError(f"pyramid of a {image.mode} image: convert to RGB or L first")
    partial = root.with_name(root.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    factors = scale_factors_for(image.width, image.height, tile)
    level = image
    for scale in factors:
        if scale > 1:
            level = level.reduce(2)
        directory = partial / str(scale)
        directory.mkdir()
        for row in range(math.ceil(level.height / tile)):
            for col in range(math.ceil(level.width / tile)):
                box = (
                    col * tile,
                    row * tile,
                    min((col + 1) * tile, level.width),
                    min((row + 1) * tile, level.height),
                )
                level.crop(box).save(
                    directory / f"{col}_{row}.jpg",
                    "JPEG",
                    quality=TILE_QUALITY,
                    subsampling=0,
                    optimize=False,
                )
    if exif:
        (partial / "exif.bin").write_bytes(exif)
    (partial / "pyramid.json").write_text(
        json.dumps(
            {
                "version": VERSION,
                "width": image.width,
                "height": image.height,
                "tile": tile,
                "scale_factors": factors,
            }
        )
    )
    # Swap in whole: a reader sees the old pyramid or the new one, never half of one.
    if root.exists():
        old = root.with_name(root.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        root.rename(old)
        partial.rename(root)
        shutil.rmtree(old, ignore_errors=True)
    else:
        partial.rename(root)
    return Pyramid(root, image.width, image.height, tile, tuple(factors))


def load(root: Path) -> Pyramid:
    meta = json.loads((root / "pyramid.json").read_text())
    return Pyramid(root, meta["width"], meta["height"], meta["tile"], tuple(meta["scale_factors"]))
