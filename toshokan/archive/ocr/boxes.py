"""Axis-aligned boxes in image pixels: (left, top, right, bottom), right and bottom exclusive."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise


@dataclass(frozen=True, slots=True)
class Box:
    left: int
    top: int
    right: int
    bottom: int

    @property
    def area(self) -> int:
        return max(0, self.right - self.left) * max(0, self.bottom - self.top)

    def intersection(self, other: Box) -> int:
        width = min(self.right, other.right) - max(self.left, other.left)
        height = min(self.bottom, other.bottom) - max(self.top, other.top)
        return width * height if width > 0 and height > 0 else 0

    def iou(self, other: Box) -> float:
        inter = self.intersection(other)
        union = self.area + other.area - inter
        return inter / union if union else 0.0

    def union(self, other: Box) -> Box:
        return Box(
            min(self.left, other.left),
            min(self.top, other.top),
            max(self.right, other.right),
            max(self.bottom, other.bottom),
        )

    def as_xywh(self) -> str:
        """As an IIIF region or a media-fragment `xywh=` value."""
        return f"{self.left},{self.top},{self.right - self.left},{self.bottom - self.top}"


def covered_fraction(target: Box, boxes: list[Box]) -> float:
    """How much of `target` the union of `boxes` covers (0–1), counted on a grid of the boxes' edges."""
    if not target.area:
        return 0.0
    clipped = [
        Box(
            max(b.left, target.left),
            max(b.top, target.top),
            min(b.right, target.right),
            min(b.bottom, target.bottom),
        )
        for b in boxes
        if b.intersection(target)
    ]
    if not clipped:
        return 0.0
    xs = sorted({x for b in clipped for x in (b.left, b.right)})
    ys = sorted({y for b in clipped for y in (b.top, b.bottom)})
    covered = 0
    for x0, x1 in pairwise(xs):
        for y0, y1 in pairwise(ys):
            if any(b.left <= x0 and x1 <= b.right and b.top <= y0 and y1 <= b.bottom for b in clipped):
                covered += (x1 - x0) * (y1 - y0)
    return covered / target.area
