"""The kind of material an archive item is (資料種別), and its DCMI Type for Dublin Core.

JPCOAR's `dc:type` and Japan Search's 資料種別 both want a controlled word; the DCMI Type Vocabulary is the
common ground (http://purl.org/dc/dcmitype/), and the Japanese label is what the portal facet shows.
"""

from __future__ import annotations

from enum import StrEnum


class ItemKind(StrEnum):
    BOOK = "book"  # 古典籍・図書
    DOCUMENT = "document"  # 古文書・文書
    PHOTOGRAPH = "photograph"  # 写真
    MAP = "map"  # 地図・絵図
    PICTURE = "picture"  # 絵画・版画
    OTHER = "other"


LABELS_JA: dict[ItemKind, str] = {
    ItemKind.BOOK: "図書・古典籍",
    ItemKind.DOCUMENT: "文書・古文書",
    ItemKind.PHOTOGRAPH: "写真",
    ItemKind.MAP: "地図・絵図",
    ItemKind.PICTURE: "絵画・版画",
    ItemKind.OTHER: "その他",
}

DCMI_TYPE: dict[ItemKind, str] = {
    ItemKind.BOOK: "Text",
    ItemKind.DOCUMENT: "Text",
    ItemKind.PHOTOGRAPH: "StillImage",
    ItemKind.MAP: "StillImage",
    ItemKind.PICTURE: "StillImage",
    ItemKind.OTHER: "PhysicalObject",
}
