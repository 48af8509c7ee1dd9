"""The NDL-DocL layout dataset's page annotations (Pascal VOC XML): where the text lines are.

Labels: 1_overall (the page area), 2_handwritten (a line of cursive, くずし字), 3_typography (a line of
printed or regular-script text), 4_illustration, 5_stamp. Text lines are tall, narrow boxes: the
text is vertical. Parsed with entities, DTDs and the network off.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from .boxes import Box

TEXT_LABELS = {"2_handwritten": "handwritten", "3_typography": "typography"}


@dataclass(frozen=True, slots=True)
class TextLine:
    box: Box
    kind: str  # handwritten | typography


@dataclass(frozen=True, slots=True)
class PageLayout:
    width: int
    height: int
    lines: list[TextLine]
    other: dict[str, list[Box]]  # illustrations, stamps, the page area


def read_layout(path: Path) -> PageLayout:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.parse(str(path), parser).getroot()
    width = int(root.findtext("size/width") or 0)
    height = int(root.findtext("size/height") or 0)
    lines: list[TextLine] = []
    other: dict[str, list[Box]] = {}
    for obj in root.iterfind("object"):
        name = (obj.findtext("name") or "").strip()
        bb = obj.find("bndbox")
        if bb is None:
            continue
        # VOC boxes are inclusive pixel coordinates.
        box = Box(
            int(float(bb.findtext("xmin") or 0)),
            int(float(bb.findtext("ymin") or 0)),
            int(float(bb.findtext("xmax") or 0)) + 1,
            int(float(bb.findtext("ymax") or 0)) + 1,
        )
        if name in TEXT_LABELS:
            lines.append(TextLine(box, TEXT_LABELS[name]))
        else:
            other.setdefault(name, []).append(box)
    return PageLayout(width, height, lines, other)
