"""Labels patrons read, in the page's language.

The catalogue's vocabularies carry their Japanese labels (`label_ja` in catalog/domain/enums.py); the
pages look those up in the translation catalogue (toshokan/locale), so the Japanese label is the
message id and every other language is a translation of it. `makemessages` cannot see a label that
is only named at run time, so each one is listed below with `gettext_noop`; a test checks that the
list and the enums agree and that English has them all.
"""

from __future__ import annotations

import re

from django.utils.translation import get_language, gettext, gettext_noop

from toshokan.catalog.domain.enums import CreatorRole, HoldingStatus, MaterialType

ENUM_LABELS_JA = (
    # HoldingStatus
    gettext_noop("貸出可"),
    gettext_noop("貸出中"),
    gettext_noop("予約取置中"),
    gettext_noop("搬送中"),
    gettext_noop("館内閲覧のみ"),
    gettext_noop("所在不明"),
    gettext_noop("除籍"),
    gettext_noop("整理中"),
    # MaterialType
    gettext_noop("図書"),
    gettext_noop("雑誌・逐次刊行物"),
    gettext_noop("電子書籍"),
    gettext_noop("地図"),
    gettext_noop("楽譜"),
    gettext_noop("録音資料"),
    gettext_noop("映像資料"),
    gettext_noop("キット"),
    gettext_noop("その他"),
    # CreatorRole
    gettext_noop("著者"),
    gettext_noop("翻訳者"),
    gettext_noop("編者"),
    gettext_noop("校訂者"),
    gettext_noop("挿絵"),
    gettext_noop("作曲者"),
    gettext_noop("寄稿者"),
    gettext_noop("原作者"),
    gettext_noop("監修者"),
    gettext_noop("朗読者"),
)

# The ten main classes of NDC 9. Their Japanese labels come from the NdcClass table; the JLA data has
# no English labels for them, so these translations live in the catalogue like every other string.
NDC_CLASS_LABELS_JA = (
    gettext_noop("総記"),
    gettext_noop("哲学"),
    gettext_noop("歴史"),
    gettext_noop("社会科学"),
    gettext_noop("自然科学"),
    gettext_noop("技術．工学"),
    gettext_noop("産業"),
    gettext_noop("芸術．美術"),
    gettext_noop("言語"),
    gettext_noop("文学"),
)

# ISO 639-2/B codes as MARC 008/35-37 and the importers write them.
LANGUAGE_NAMES = {
    "jpn": gettext_noop("日本語"),
    "eng": gettext_noop("英語"),
    "chi": gettext_noop("中国語"),
    "kor": gettext_noop("朝鮮語"),
    "ger": gettext_noop("ドイツ語"),
    "fre": gettext_noop("フランス語"),
    "spa": gettext_noop("スペイン語"),
    "ita": gettext_noop("イタリア語"),
    "rus": gettext_noop("ロシア語"),
    "lat": gettext_noop("ラテン語"),
    "por": gettext_noop("ポルトガル語"),
    "ara": gettext_noop("アラビア語"),
    "heb": gettext_noop("ヘブライ語"),
    "per": gettext_noop("ペルシア語"),
    "urd": gettext_noop("ウルドゥー語"),
    "tib": gettext_noop("チベット語"),
    "san": gettext_noop("サンスクリット語"),
    "mul": gettext_noop("多言語"),
    "und": gettext_noop("不明"),
}


def status_label(status: str) -> str:
    try:
        return gettext(HoldingStatus(status).label_ja)
    except ValueError:
        return status


def material_label(material_type: str) -> str:
    try:
        return gettext(MaterialType(material_type).label_ja)
    except ValueError:
        return material_type


def role_label(role: str) -> str:
    try:
        return gettext(CreatorRole(role).label_ja)
    except ValueError:
        return role


def language_label(code: str) -> str:
    name = LANGUAGE_NAMES.get(code)
    return gettext(name) if name else code


def ndc_label_text(label_ja: str, label_en: str) -> str:
    """An NDC class label: the JLA English label where it has one, else the translated Japanese one."""
    if (get_language() or "ja").startswith("en") and label_en:
        # JLA writes "Diaries.Letters.Travels"; a space after each full stop reads better.
        return re.sub(r"\.(?=\S)", ". ", label_en)
    return gettext(label_ja)
