"""The controlled vocabularies of the catalogue, with the Japanese labels librarians use."""

from __future__ import annotations

from enum import StrEnum


class MaterialType(StrEnum):
    """Form of the material (MARC leader/06–07 and the 資料種別 of Japanese OPACs)."""

    BOOK = "book"
    SERIAL = "serial"
    EBOOK = "ebook"
    MAP = "map"
    SCORE = "score"
    AUDIO = "audio"
    VIDEO = "video"
    KIT = "kit"
    OTHER = "other"

    @property
    def label_ja(self) -> str:
        return _MATERIAL_JA[self]


_MATERIAL_JA = {
    MaterialType.BOOK: "図書",
    MaterialType.SERIAL: "雑誌・逐次刊行物",
    MaterialType.EBOOK: "電子書籍",
    MaterialType.MAP: "地図",
    MaterialType.SCORE: "楽譜",
    MaterialType.AUDIO: "録音資料",
    MaterialType.VIDEO: "映像資料",
    MaterialType.KIT: "キット",
    MaterialType.OTHER: "その他",
}


class HoldingStatus(StrEnum):
    """A copy's state on the shelf (../shared/CONTRACT.md). `available` means it can be lent now."""

    AVAILABLE = "available"
    ON_LOAN = "on_loan"
    ON_HOLD_SHELF = "on_hold_shelf"
    IN_TRANSIT = "in_transit"
    REFERENCE_ONLY = "reference_only"
    MISSING = "missing"
    WITHDRAWN = "withdrawn"
    PROCESSING = "processing"

    @property
    def label_ja(self) -> str:
        return _STATUS_JA[self]


_STATUS_JA = {
    HoldingStatus.AVAILABLE: "貸出可",
    HoldingStatus.ON_LOAN: "貸出中",
    HoldingStatus.ON_HOLD_SHELF: "予約取置中",
    HoldingStatus.IN_TRANSIT: "搬送中",
    HoldingStatus.REFERENCE_ONLY: "館内閲覧のみ",
    HoldingStatus.MISSING: "所在不明",
    HoldingStatus.WITHDRAWN: "除籍",
    HoldingStatus.PROCESSING: "整理中",
}


class CreatorRole(StrEnum):
    """Role of a person or body in a work (MARC relator terms; the 役割 of Aozora and NDL)."""

    AUTHOR = "author"
    TRANSLATOR = "translator"
    EDITOR = "editor"
    REVISER = "reviser"  # 校訂者
    ILLUSTRATOR = "illustrator"
    COMPOSER = "composer"
    CONTRIBUTOR = "contributor"
    ORIGINAL_AUTHOR = "original_author"  # 原作者
    SUPERVISOR = "supervisor"  # 監修者
    NARRATOR = "narrator"
    OTHER = "other"

    @property
    def label_ja(self) -> str:
        return _ROLE_JA[self]


_ROLE_JA = {
    CreatorRole.AUTHOR: "著者",
    CreatorRole.TRANSLATOR: "翻訳者",
    CreatorRole.EDITOR: "編者",
    CreatorRole.REVISER: "校訂者",
    CreatorRole.ILLUSTRATOR: "挿絵",
    CreatorRole.COMPOSER: "作曲者",
    CreatorRole.CONTRIBUTOR: "寄稿者",
    CreatorRole.ORIGINAL_AUTHOR: "原作者",
    CreatorRole.SUPERVISOR: "監修者",
    CreatorRole.NARRATOR: "朗読者",
    CreatorRole.OTHER: "その他",
}

# Words that name a role in Japanese and English catalogues (Aozora 役割フラグ, NDL dc:creator
# suffixes such as 「夏目漱石 著」, MARC $e/$4 relator terms and codes).
ROLE_WORDS: dict[str, CreatorRole] = {
    "著者": CreatorRole.AUTHOR,
    "著": CreatorRole.AUTHOR,
    "作": CreatorRole.AUTHOR,
    "文": CreatorRole.AUTHOR,
    "翻訳者": CreatorRole.TRANSLATOR,
    "訳者": CreatorRole.TRANSLATOR,
    "訳": CreatorRole.TRANSLATOR,
    "編者": CreatorRole.EDITOR,
    "編": CreatorRole.EDITOR,
    "編集": CreatorRole.EDITOR,
    "編著": CreatorRole.EDITOR,
    "校訂者": CreatorRole.REVISER,
    "校訂": CreatorRole.REVISER,
    "校注": CreatorRole.REVISER,
    "絵": CreatorRole.ILLUSTRATOR,
    "画": CreatorRole.ILLUSTRATOR,
    "挿絵": CreatorRole.ILLUSTRATOR,
    "イラスト": CreatorRole.ILLUSTRATOR,
    "作曲": CreatorRole.COMPOSER,
    "原作": CreatorRole.ORIGINAL_AUTHOR,
    "原作者": CreatorRole.ORIGINAL_AUTHOR,
    "監修": CreatorRole.SUPERVISOR,
    "監修者": CreatorRole.SUPERVISOR,
    "朗読": CreatorRole.NARRATOR,
    "その他": CreatorRole.OTHER,
    "author": CreatorRole.AUTHOR,
    "aut": CreatorRole.AUTHOR,
    "translator": CreatorRole.TRANSLATOR,
    "trl": CreatorRole.TRANSLATOR,
    "editor": CreatorRole.EDITOR,
    "edt": CreatorRole.EDITOR,
    "illustrator": CreatorRole.ILLUSTRATOR,
    "ill": CreatorRole.ILLUSTRATOR,
    "composer": CreatorRole.COMPOSER,
    "cmp": CreatorRole.COMPOSER,
    "narrator": CreatorRole.NARRATOR,
    "nrt": CreatorRole.NARRATOR,
    "contributor": CreatorRole.CONTRIBUTOR,
    "ctb": CreatorRole.CONTRIBUTOR,
}


class IdentifierScheme(StrEnum):
    ISBN = "isbn"
    ISSN = "issn"
    NDL = "ndl"  # NDL bibliographic id (NDLBibID)
    JPNO = "jpno"  # 全国書誌番号 (JP number)
    AOZORA = "aozora"  # 青空文庫 作品ID, six digits
    LCCN = "lccn"
    OCLC = "oclc"
    LOCAL = "local"  # the source catalogue's own control number (MARC 001)
