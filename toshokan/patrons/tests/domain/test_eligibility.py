"""Registration eligibility: reading addresses, school-year categories, and the library's rules."""

from __future__ import annotations

from datetime import date

import pytest

from toshokan.patrons.domain.eligibility import (
    DEFAULT_RULES,
    Address,
    AddressError,
    Refusal,
    category_for,
    decide,
    finishes_junior_high,
    parse_address,
    rules_from_mapping,
)
from toshokan.patrons.domain.enums import PatronCategory, Residency
from toshokan.patrons.domain.provisional import ProvisionalRules, provisional_rules_from_mapping


@pytest.mark.parametrize(
    ("text", "prefecture", "municipality", "ward", "county", "rest"),
    [
        ("東京都千代田区丸の内1-1", "東京都", "千代田区", "", "", "丸の内1-1"),
        ("東京都 千代田区 神田１−２", "東京都", "千代田区", "", "", "神田1−2"),
        ("大阪府大阪市北区梅田1丁目", "大阪府", "大阪市", "北区", "", "梅田1丁目"),
        ("京都府京都市中京区河原町通三条上る", "京都府", "京都市", "中京区", "", "河原町通三条上る"),
        ("北海道札幌市中央区北1条西2丁目", "北海道", "札幌市", "中央区", "", "北1条西2丁目"),
        ("北海道虻田郡倶知安町北1条", "北海道", "倶知安町", "", "虻田郡", "北1条"),
        ("北海道余市郡余市町黒川町", "北海道", "余市町", "", "余市郡", "黒川町"),
        ("神奈川県横浜市西区みなとみらい", "神奈川県", "横浜市", "西区", "", "みなとみらい"),
        ("埼玉県さいたま市浦和区高砂", "埼玉県", "さいたま市", "浦和区", "", "高砂"),
        ("東京都町田市森野", "東京都", "町田市", "", "", "森野"),
        ("東京都東村山市本町", "東京都", "東村山市", "", "", "本町"),
        ("三重県四日市市諏訪町", "三重県", "四日市市", "", "", "諏訪町"),
        ("広島県廿日市市下平良", "広島県", "廿日市市", "", "", "下平良"),
        ("福島県郡山市朝日", "福島県", "郡山市", "", "", "朝日"),
        ("富山県中新川郡上市町横法音寺", "富山県", "上市町", "", "中新川郡", "横法音寺"),
        ("千葉県市川市八幡", "千葉県", "市川市", "", "", "八幡"),
        ("茨城県龍ヶ崎市3710", "茨城県", "龍ケ崎市", "", "", "3710"),
        ("東京都府中市宮西町", "東京都", "府中市", "", "", "宮西町"),
        ("東京都西多摩郡瑞穂町箱根ケ崎", "東京都", "瑞穂町", "", "西多摩郡", "箱根ケ崎"),
        # A prefecture written without its 府/県, or implied by a designated city.
        ("京都市左京区吉田本町", "京都府", "京都市", "左京区", "", "吉田本町"),
        ("横浜市中区日本大通", "神奈川県", "横浜市", "中区", "", "日本大通"),
        ("大阪市北区中之島", "大阪府", "大阪市", "北区", "", "中之島"),
        ("東京千代田区永田町", "東京都", "千代田区", "", "", "永田町"),
    ],
)
def test_addresses_are_read_into_prefecture_municipality_and_ward(
    text, prefecture, municipality, ward, county, rest
):
    assert parse_address(text) == Address(prefecture, municipality, ward, county, rest)


@pytest.mark.parametrize("text", ["", "千代田区丸の内", "東京都", "丸の内1-1", "大阪府北区梅田"])
def test_an_address_without_a_prefecture_and_municipality_is_refused_with_a_message(text):
    with pytest.raises(AddressError, match=r"都道府県|市区町村"):
        parse_address(text)


def test_a_bare_prefecture_is_an_area_when_no_municipality_is_required():
    assert parse_address("東京都", require_municipality=False) == Address("東京都")
    assert parse_address("大阪府大阪市北区", require_municipality=False).area == "大阪府大阪市北区"


@pytest.mark.parametrize(
    ("born", "today", "category"),
    [
        (date(2011, 4, 2), date(2027, 3, 31), PatronCategory.CHILD),  # 中3 until the end of March
        (date(2011, 4, 2), date(2027, 4, 1), PatronCategory.ADULT),
        (date(2011, 4, 1), date(2026, 3, 31), PatronCategory.CHILD),  # 早生まれ: a year earlier
        (date(2011, 4, 1), date(2026, 4, 1), PatronCategory.ADULT),
        (date(2020, 1, 1), date(2026, 11, 26), PatronCategory.CHILD),
        (date(1980, 6, 1), date(2026, 11, 26), PatronCategory.ADULT),
    ],
)
def test_children_are_children_until_the_school_year_they_finish_junior_high_ends(born, today, category):
    assert category_for(born, today) == category


def test_the_school_year_boundary_is_the_first_of_april():
    assert finishes_junior_high(date(2011, 4, 2)) == date(2027, 4, 1)
    assert finishes_junior_high(date(2012, 4, 1)) == date(2027, 4, 1)


RULES = rules_from_mapping(
    {
        "RESIDENT_AREAS": ["東京都千代田区", "大阪府大阪市北区"],
        "OTHER_AREAS": ["東京都中央区"],
        "MIN_ONLINE_AGE": 15,
    }
)
TODAY = date(2026, 11, 26)
ADULT = date(1990, 5, 5)


def _decide(address: str, *, born: date = ADULT, workplace: str | None = None, rules=RULES, online=True):
    return decide(
        address=parse_address(address),
        birth_date=born,
        today=TODAY,
        rules=rules,
        workplace_address=parse_address(workplace) if workplace else None,
        online=online,
    )


@pytest.mark.parametrize(
    ("address", "workplace", "residency", "refusals"),
    [
        ("東京都千代田区丸の内1-1", None, Residency.RESIDENT, ()),
        ("大阪府大阪市北区梅田1", None, Residency.RESIDENT, ()),  # one ward of a designated city
        ("大阪府大阪市中央区本町1", None, Residency.OTHER_AREA, (Refusal.WORKPLACE_REQUIRED,)),
        ("埼玉県さいたま市浦和区高砂1", "東京都千代田区霞が関1-1", Residency.COMMUTER, ()),
        (
            "埼玉県さいたま市浦和区高砂1",
            "東京都新宿区西新宿2-8-1",
            Residency.OTHER_AREA,
            (Refusal.WORKPLACE_OUTSIDE_AREA,),
        ),
        ("東京都中央区銀座1", None, Residency.OTHER_AREA, ()),  # an agreement area (広域利用)
        ("東京都千代田区丸の内1-1", "東京都新宿区西新宿2-8-1", Residency.RESIDENT, ()),  # residence first
    ],
)
def test_residency_comes_from_the_address_then_the_workplace_then_the_agreement_areas(
    address, workplace, residency, refusals
):
    answer = _decide(address, workplace=workplace)
    assert (answer.residency, answer.refusals, answer.allowed) == (residency, refusals, not refusals)


def test_without_commuter_registration_an_outsider_is_simply_outside_the_area():
    rules = rules_from_mapping(
        {"RESIDENT_AREAS": ["東京都千代田区"], "OTHER_AREAS": [], "ALLOW_COMMUTERS": False}
    )
    answer = _decide("東京都新宿区西新宿2-8-1", workplace="東京都千代田区霞が関1-1", rules=rules)
    assert answer.refusals == (Refusal.WORKPLACE_OUTSIDE_AREA,)
    assert _decide("東京都新宿区西新宿2-8-1", rules=rules).refusals == (Refusal.OUTSIDE_AREA,)


def test_a_library_open_to_anyone_registers_outsiders_as_other_area():
    rules = rules_from_mapping({"RESIDENT_AREAS": ["東京都"], "ALLOW_ANYONE": True})
    assert (
        _decide("東京都八王子市元本郷町", rules=rules).residency == Residency.RESIDENT
    )  # a whole prefecture
    answer = _decide("沖縄県那覇市泉崎1-2-2", rules=rules)
    assert (answer.residency, answer.allowed) == (Residency.OTHER_AREA, True)


def test_the_young_register_online_only_from_the_minimum_age_but_at_the_desk_at_any_age():
    ten = date(2016, 6, 1)
    online = _decide("東京都千代田区丸の内1-1", born=ten)
    assert online.refusals == (Refusal.TOO_YOUNG_ONLINE,)
    assert (online.category, online.age) == (PatronCategory.CHILD, 10)
    assert _decide("東京都千代田区丸の内1-1", born=ten, online=False).allowed
    fifteen = _decide("東京都千代田区丸の内1-1", born=date(2011, 11, 26))
    assert (fifteen.allowed, fifteen.category, fifteen.age) == (True, PatronCategory.CHILD, 15)


@pytest.mark.parametrize("born", [date(2026, 11, 27), date(1890, 1, 1)])
def test_an_impossible_date_of_birth_is_refused(born):
    assert _decide("東京都千代田区丸の内1-1", born=born).refusals == (Refusal.BIRTH_DATE_INVALID,)


def test_every_refusal_has_a_message_in_both_languages():
    for refusal in Refusal:
        assert refusal.message_ja and refusal.message_en


def test_the_default_rules_are_the_demo_librarys_municipality():
    rules = rules_from_mapping(None)
    assert [a.area for a in rules.resident_areas] == DEFAULT_RULES["RESIDENT_AREAS"] == ["東京都千代田区"]


@pytest.mark.parametrize(
    "config",
    [{"RESIDENT_AREA": ["東京都千代田区"]}, {"RESIDENT_AREAS": []}, {"OTHER_AREAS": ["千代田区"]}],
)
def test_a_wrong_setting_is_refused_rather_than_registering_the_wrong_people(config):
    with pytest.raises(ValueError, match=r"RESIDENT_AREAS|TOSHOKAN_REGISTRATION_RULES"):
        rules_from_mapping(config)


def test_provisional_cards_may_hold_but_not_borrow_by_default():
    assert provisional_rules_from_mapping(None) == ProvisionalRules(may_hold=True, may_borrow=False, days=30)
    assert provisional_rules_from_mapping({"PROVISIONAL_MAY_BORROW": True, "PROVISIONAL_DAYS": 14}).may_borrow
    with pytest.raises(ValueError):
        provisional_rules_from_mapping({"PROVISIONAL_DAYS": 0})


def test_a_wrong_setting_fails_the_system_check(settings):
    from toshokan.patrons.checks import registration_rules

    assert registration_rules() == []
    settings.TOSHOKAN_REGISTRATION_RULES = {"RESIDENT_AREAS": ["千代田区"]}
    (error,) = registration_rules()
    assert error.id == "patrons.E001" and "都道府県" in error.msg
