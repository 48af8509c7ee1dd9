"""Who a patron is to the library: the categories that circulation rules are written against."""

from __future__ import annotations

from enum import StrEnum


class PatronCategory(StrEnum):
    """利用者区分: the rules (loan period, limits) differ by category."""

    ADULT = "adult"  # 一般
    CHILD = "child"  # 児童 (中学生以下)
    GROUP = "group"  # 団体 (schools, 文庫, reading circles)

    @property
    def label_ja(self) -> str:
        return {"adult": "一般", "child": "児童", "group": "団体"}[self.value]


class Residency(StrEnum):
    """Why a person may register: living in the area, working or studying there, or neither
    (many municipalities lend to neighbouring areas by agreement, 広域利用)."""

    RESIDENT = "resident"  # 在住
    COMMUTER = "commuter"  # 在勤・在学
    OTHER_AREA = "other_area"  # 広域・その他

    @property
    def label_ja(self) -> str:
        return {"resident": "在住", "commuter": "在勤・在学", "other_area": "広域・その他"}[self.value]


class NoticeChannel(StrEnum):
    """How a patron wants notices: by e-mail, or only in their account (お知らせ) — never both lost."""

    EMAIL = "email"
    ACCOUNT = "account"


class BlockReason(StrEnum):
    """Why staff stopped a card (貸出停止). Overdue suspension is computed from loans, not a block."""

    LOST_CARD = "lost_card"  # 紛失届
    ADDRESS_UNKNOWN = "address_unknown"  # 住所不明・連絡不能
    DAMAGED_ITEM = "damaged_item"  # 資料の汚損・破損、弁償未了
    CONDUCT = "conduct"  # 館内規則違反
    OTHER = "other"

    @property
    def label_ja(self) -> str:
        return {
            "lost_card": "カード紛失",
            "address_unknown": "連絡不能",
            "damaged_item": "資料弁償未了",
            "conduct": "利用規則違反",
            "other": "その他",
        }[self.value]


class StaffAccessKind(StrEnum):
    """What a staff member looked at: every such view is audited (図書館の自由に関する宣言 第3)."""

    PROFILE = "profile"
    LOANS = "loans"
    HOLDS = "holds"
    HISTORY = "history"
    NOTICES = "notices"


class PatronStatus(StrEnum):
    """仮登録 / 本登録: a provisional card was issued before staff saw an identity document
    (online sign-up); it becomes full when they do (domain/provisional.py says what it may do)."""

    PROVISIONAL = "provisional"
    FULL = "full"

    @property
    def label_ja(self) -> str:
        return {"provisional": "仮登録", "full": "本登録"}[self.value]


class RegistrationSource(StrEnum):
    """How the patron registered: at the counter, with the online form, or with the My Number card."""

    DESK = "desk"
    ONLINE = "online"
    JPKI = "jpki"

    @property
    def label_ja(self) -> str:
        return {"desk": "窓口", "online": "オンライン", "jpki": "マイナンバーカード"}[self.value]
