"""Who may register, and as what: residency and category from an address and a date of birth.

Japanese public libraries register people who live in the municipality (在住), people who work or
study there (在勤・在学), and — where the municipality lends to its neighbours by agreement
(広域利用) or to anyone — people from elsewhere. Children are registered as 児童 up to the end of
junior high school; the youngest may register only with a guardian, at the desk. Each library
writes these rules into its 図書館利用規則; toshokan reads them from the setting
`TOSHOKAN_REGISTRATION_RULES` (`rules_from_mapping`), and every way of registering — the desk,
the online form, the My Number card — asks `decide` the same question.

Addresses are read by `parse_address`: the prefecture (都道府県, one of the 47), then the
municipality (市区町村) — a city, a town or village (after its 郡, which is kept apart), one of
Tokyo's 23 special wards, or a ward (行政区) of one of the 20 designated cities (政令指定都市), whose
municipality is the city (大阪府大阪市北区 → 大阪市, ward 北区). The reading is by pattern, written
here by hand because no maintained Python library reads Japanese addresses without a network
service or a national address database; names in which 市・町・村・区・郡 occur before the end
(四日市市, 町田市, 郡山市, 余市郡余市町 …) are listed in `_IRREGULAR`. Only the prefecture and the
municipality matter for eligibility; the rest of the address is kept as the person typed it.

Pure: no Django, no settings, no clock — the caller passes `today` and the rules.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from .enums import PatronCategory, Residency

PREFECTURES: tuple[str, ...] = (
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
)

# The 20 designated cities (地方自治法 第252条の19), by prefecture: their addresses name a ward.
DESIGNATED_CITIES: dict[str, str] = {
    "札幌市": "北海道",
    "仙台市": "宮城県",
    "さいたま市": "埼玉県",
    "千葉市": "千葉県",
    "横浜市": "神奈川県",
    "川崎市": "神奈川県",
    "相模原市": "神奈川県",
    "新潟市": "新潟県",
    "静岡市": "静岡県",
    "浜松市": "静岡県",
    "名古屋市": "愛知県",
    "京都市": "京都府",
    "大阪市": "大阪府",
    "堺市": "大阪府",
    "神戸市": "兵庫県",
    "岡山市": "岡山県",
    "広島市": "広島県",
    "北九州市": "福岡県",
    "福岡市": "福岡県",
    "熊本市": "熊本県",
}

# Municipalities and districts (郡) whose names hold 市・町・村・区・郡 before their last character,
# which the pattern below would cut short. Longest first where one begins another.
_IRREGULAR: tuple[str, ...] = (
    # cities
    "四日市市",
    "廿日市市",
    "野々市市",
    "市川市",
    "市原市",
    "町田市",
    "十日町市",
    "大町市",
    "村上市",
    "村山市",
    "東村山市",
    "武蔵村山市",
    "羽村市",
    "大村市",
    "田村市",
    "郡山市",
    "大和郡山市",
    "小郡市",
    "蒲郡市",
    "郡上市",
    # towns and villages
    "市貝町",
    "市川三郷町",
    "余市町",
    "大町町",
    "玉村町",
    "村田町",
    "上市町",
    # districts (郡)
    "余市郡",
    "高市郡",
    "西村山郡",
    "北村山郡",
    "東村山郡",
    "中新川郡",  # 上市町's district; listed so that 上市町 after it is read whole
)
_IRREGULAR_SORTED = tuple(sorted(_IRREGULAR, key=len, reverse=True))
_SPACES = re.compile(r"\s+")


class AddressError(ValueError):
    """An address that does not begin with a prefecture and a municipality toshokan can read."""


@dataclass(frozen=True)
class Address:
    """A Japanese address read into the parts eligibility is decided on.

    `municipality` is the 市区町村 as a library's rules name it: 千代田区 (a Tokyo special ward),
    大阪市 (a designated city, its ward in `ward`), 倶知安町 (its 郡 in `county`). `rest` is the
    remainder (町名・番地・建物) as typed, after width normalisation.
    """

    prefecture: str
    municipality: str = ""
    ward: str = ""
    county: str = ""
    rest: str = ""

    @property
    def area(self) -> str:
        """Prefecture, municipality and ward, as written in the rules: 大阪府大阪市北区."""
        return f"{self.prefecture}{self.municipality}{self.ward}"


def _normalise(text: str) -> str:
    # NFKC turns full-width digits and Latin into ASCII and half-width kana into full-width; ヶ and ケ
    # are the same in place names (龍ケ崎市, 鎌ヶ谷市).
    return _SPACES.sub("", unicodedata.normalize("NFKC", text)).replace("ヶ", "ケ").replace("ヵ", "カ")


def _take_unit(text: str, suffixes: str) -> str:
    """The first place name at the start of `text` that ends in one of `suffixes`: an irregular
    name from the list, else the shortest run of at least two characters ending in a suffix."""
    for name in _IRREGULAR_SORTED:
        if text.startswith(name) and name[-1] in suffixes:
            return name
    for i in range(1, min(len(text), 12)):
        if text[i] in suffixes:
            return text[: i + 1]
    return ""


def _implied_prefecture(s: str) -> str:
    for city, prefecture in DESIGNATED_CITIES.items():
        if s.startswith(city):
            return prefecture
    for prefecture in PREFECTURES:
        stem = prefecture[:-1]
        if prefecture != "北海道" and s.startswith(stem):
            return prefecture
    return ""


def parse_address(text: str, *, require_municipality: bool = True) -> Address:
    """Read `text` (東京都千代田区丸の内1-1, 大阪府大阪市北区梅田1丁目, 北海道虻田郡倶知安町…).

    Raises AddressError when it does not start with a prefecture, or (with require_municipality)
    when no municipality follows it. Without require_municipality a bare prefecture (東京都) reads
    as an Address with an empty municipality — how rules name a whole prefecture.
    """
    s = _normalise(text)
    prefecture = next((p for p in PREFECTURES if s.startswith(p)), "")
    if not prefecture:
        prefecture = _implied_prefecture(s)
        if not prefecture:
            raise AddressError(
                "住所は都道府県から入力してください (the address must start with the prefecture)"
            )
        stem = prefecture[:-1]
        # 東京千代田区 or 京都府 written 京都: the stem stands for the prefecture; 千葉市… or 横浜市…:
        # a designated city (or a prefecture's namesake city) implies its prefecture.
        s = prefecture + (s[len(stem) :] if s.startswith(stem) and not s.startswith(stem + "市") else s)
    rest = s[len(prefecture) :]
    if not rest:
        if require_municipality:
            raise AddressError("市区町村まで入力してください (the address must name the municipality)")
        return Address(prefecture=prefecture)
    county = ""
    unit = _take_unit(rest, "市区町村郡")
    if unit.endswith("郡"):
        county, rest = unit, rest[len(unit) :]
        unit = _take_unit(rest, "町村")
    if not unit:
        raise AddressError(f"市区町村を読み取れません: {text} (cannot read the municipality)")
    rest = rest[len(unit) :]
    ward = ""
    if unit in DESIGNATED_CITIES:
        ward = _take_unit(rest, "区")
        rest = rest[len(ward) :]
    elif unit.endswith("区") and prefecture != "東京都":
        raise AddressError(f"市区町村を読み取れません: {text} (cannot read the municipality)")
    return Address(prefecture=prefecture, municipality=unit, ward=ward, county=county, rest=rest)


def _matches(address: Address, area: Address) -> bool:
    """An area of the rules (a prefecture, a municipality, or a ward of a designated city)
    covers this address."""
    if address.prefecture != area.prefecture:
        return False
    if area.municipality and address.municipality != area.municipality:
        return False
    return not area.ward or address.ward == area.ward


def _areas(names: Iterable[str]) -> tuple[Address, ...]:
    return tuple(parse_address(n, require_municipality=False) for n in names)


@dataclass(frozen=True)
class RegistrationRules:
    """A library's registration rules (図書館利用規則の登録資格).

    - resident_areas: where residents (在住) live — prefectures, municipalities or wards.
    - commuter_areas: where a workplace or school makes a commuter (在勤・在学); by default the
      resident areas. Empty and `allow_commuters` False: no commuter registration.
    - other_areas: municipalities with a lending agreement (広域利用); their residents register as
      other-area patrons. `allow_anyone`: anyone in Japan may register as other-area.
    - min_online_age: the youngest age at which a person may register online alone; younger
      people register at the desk with a guardian.
    - child_until_school_year_end: children (児童) are people who have not yet finished junior
      high school (the school year that ends in March after their 15th birthday).
    """

    resident_areas: tuple[Address, ...]
    commuter_areas: tuple[Address, ...] = ()
    allow_commuters: bool = True
    other_areas: tuple[Address, ...] = ()
    allow_anyone: bool = False
    min_online_age: int = 15
    max_age: int = 130

    def __post_init__(self) -> None:
        if not self.resident_areas:
            raise ValueError("RESIDENT_AREAS must name at least one area")
        if self.min_online_age < 0:
            raise ValueError("MIN_ONLINE_AGE must not be negative")

    @property
    def effective_commuter_areas(self) -> tuple[Address, ...]:
        if not self.allow_commuters:
            return ()
        return self.commuter_areas or self.resident_areas


DEFAULT_RULES: dict[str, Any] = {
    # The demo library is デモ市立図書館 in 千代田区; its neighbours lend by agreement.
    "RESIDENT_AREAS": ["東京都千代田区"],
    "COMMUTER_AREAS": [],  # empty: the resident areas
    "ALLOW_COMMUTERS": True,
    "OTHER_AREAS": ["東京都中央区", "東京都港区", "東京都新宿区", "東京都文京区", "東京都台東区"],
    "ALLOW_ANYONE": False,
    "MIN_ONLINE_AGE": 15,
}


def rules_from_mapping(config: Mapping[str, Any] | None) -> RegistrationRules:
    """Rules from the TOSHOKAN_REGISTRATION_RULES setting (keys as in DEFAULT_RULES; missing keys
    take the defaults). A misspelt key or an area that is not an address raises ValueError, so a
    wrong setting stops the server at start rather than registering the wrong people."""
    merged = {**DEFAULT_RULES, **(config or {})}
    known = set(DEFAULT_RULES) | _PROVISIONAL_KEYS
    unknown = set(merged) - known
    if unknown:
        raise ValueError(f"TOSHOKAN_REGISTRATION_RULES: unknown key(s) {', '.join(sorted(unknown))}")
    try:
        return RegistrationRules(
            resident_areas=_areas(merged["RESIDENT_AREAS"]),
            commuter_areas=_areas(merged["COMMUTER_AREAS"]),
            allow_commuters=bool(merged["ALLOW_COMMUTERS"]),
            other_areas=_areas(merged["OTHER_AREAS"]),
            allow_anyone=bool(merged["ALLOW_ANYONE"]),
            min_online_age=int(merged["MIN_ONLINE_AGE"]),
        )
    except AddressError as e:
        raise ValueError(f"TOSHOKAN_REGISTRATION_RULES: {e}") from e


# Keys of the same setting that say what a provisional card may do (provisional.py reads them).
_PROVISIONAL_KEYS = {"PROVISIONAL_MAY_HOLD", "PROVISIONAL_MAY_BORROW", "PROVISIONAL_DAYS"}


def age_on(birth_date: date, today: date) -> int:
    """Full years of age on `today` (a person born on 29 February is a year older on 1 March)."""
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


def finishes_junior_high(birth_date: date) -> date:
    """The day after the school year in which the person finishes junior high school (中学校).

    The Japanese school year starts on 1 April; children born from 2 April to 1 April of the next
    year share a year (a 1 April birthday belongs with the earlier year: 年齢計算ニ関スル法律 makes
    them a year older on 31 March). They enter elementary school in the April after turning six and
    leave junior high nine years later.
    """
    year = birth_date.year if (birth_date.month, birth_date.day) >= (4, 2) else birth_date.year - 1
    return date(year + 16, 4, 1)


def category_for(birth_date: date, today: date) -> PatronCategory:
    """児童 until the end of junior high school, then 一般."""
    return PatronCategory.CHILD if today < finishes_junior_high(birth_date) else PatronCategory.ADULT


class Refusal(StrEnum):
    """Why a registration is refused; each has a message for the applicant in both languages."""

    OUTSIDE_AREA = "outside_area"
    WORKPLACE_REQUIRED = "workplace_required"
    WORKPLACE_OUTSIDE_AREA = "workplace_outside_area"
    TOO_YOUNG_ONLINE = "too_young_online"
    BIRTH_DATE_INVALID = "birth_date_invalid"

    @property
    def message_ja(self) -> str:
        return _MESSAGES[self][0]

    @property
    def message_en(self) -> str:
        return _MESSAGES[self][1]


_MESSAGES = {
    Refusal.OUTSIDE_AREA: (
        "お住まいの地域の方は、この図書館に登録できません。",
        "People living in your area cannot register at this library.",
    ),
    Refusal.WORKPLACE_REQUIRED: (
        "市外にお住まいの方は、市内の勤務先または学校の名称と所在地を入力してください。",
        "If you live outside the area, give the name and address of your workplace or school in the area.",
    ),
    Refusal.WORKPLACE_OUTSIDE_AREA: (
        "勤務先・学校の所在地が登録できる地域の外です。",
        "Your workplace or school is outside the area this library serves.",
    ),
    Refusal.TOO_YOUNG_ONLINE: (
        "この年齢の方のオンライン登録はできません。保護者の方と一緒にカウンターでお申し込みください。",
        "At your age, please register at the library counter with a parent or guardian.",
    ),
    Refusal.BIRTH_DATE_INVALID: (
        "生年月日が正しくありません。",
        "The date of birth is not valid.",
    ),
}


@dataclass(frozen=True)
class Eligibility:
    """The answer of `decide`: whether the rules allow this registration, and if so as what.

    `residency` and `category` are filled in even when refused (what the person would be);
    `refusals` is empty exactly when `allowed`.
    """

    residency: Residency
    category: PatronCategory
    age: int
    address: Address
    refusals: tuple[Refusal, ...] = field(default=())

    @property
    def allowed(self) -> bool:
        return not self.refusals


def decide(
    *,
    address: Address,
    birth_date: date,
    today: date,
    rules: RegistrationRules,
    workplace_address: Address | None = None,
    online: bool = True,
) -> Eligibility:
    """Whether a person living at `address`, born on `birth_date`, may register on `today`.

    A resident area makes a resident; otherwise a workplace or school (`workplace_address`) in a
    commuter area makes a commuter; otherwise an agreement area (or `allow_anyone`) makes an
    other-area patron. `online` applies the minimum age for registering alone (the desk, where a
    guardian signs, has none).
    """
    age = age_on(birth_date, today)
    category = category_for(birth_date, today)
    refusals: list[Refusal] = []
    if birth_date > today or age > rules.max_age:
        refusals.append(Refusal.BIRTH_DATE_INVALID)
    elif online and age < rules.min_online_age:
        refusals.append(Refusal.TOO_YOUNG_ONLINE)

    if any(_matches(address, a) for a in rules.resident_areas):
        residency = Residency.RESIDENT
    elif workplace_address is not None and any(
        _matches(workplace_address, a) for a in rules.effective_commuter_areas
    ):
        residency = Residency.COMMUTER
    elif rules.allow_anyone or any(_matches(address, a) for a in rules.other_areas):
        residency = Residency.OTHER_AREA
    else:
        residency = Residency.OTHER_AREA
        if workplace_address is not None:
            refusals.append(Refusal.WORKPLACE_OUTSIDE_AREA)
        elif rules.effective_commuter_areas:
            refusals.append(Refusal.WORKPLACE_REQUIRED)
        else:
            refusals.append(Refusal.OUTSIDE_AREA)
    return Eligibility(
        residency=residency, category=category, age=age, address=address, refusals=tuple(refusals)
    )
