"""Romaji keys: every common way of typing a reading meets the catalogue's reading."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from toshokan.core.japanese.romaji import kana_to_romaji, romaji_key


@pytest.mark.parametrize(
    ("typed", "reading"),
    [
        ("wagahai wa neko de aru", "わがはいはねこである"),  # particles as pronounced
        ("wagahaihanekodearu", "わがはいはねこである"),  # as written, no spaces
        ("Sōseki", "そうせき"),  # macron
        ("souseki", "そうせき"),  # ou
        ("soseki", "そうせき"),  # long vowel unmarked
        ("kyuukanteki shuukan", "きゅうかんてきしゅうかん"),
        ("kyukanteki syukan", "きゅうかんてきしゅうかん"),  # Kunrei-shiki
        ("osekku", "おせっく"),
        ("shin'ichi", "しんいち"),
        ("shimbun", "しんぶん"),  # m before b
        ("matcha", "まっちゃ"),
        ("maccha", "まっちゃ"),
        ("kotan no fuukaku wo haisu", "こたんのふうかくをはいす"),
        ("tsuzuki", "つづき"),
        ("tuduki", "つづき"),
        ("Ohno", "おおの"),
        ("vaiorin", "ヴァイオリン"),
        ("baiorin", "ヴァイオリン"),
    ],
)
def test_ways_of_typing_meet_the_reading(typed, reading):
    assert romaji_key(typed) == romaji_key(kana_to_romaji(reading))


@pytest.mark.parametrize(
    ("reading", "hepburn"),
    [
        ("きゅうかんてき", "kyuukanteki"),
        ("しゃしん", "shashin"),
        ("ちゃわん", "chawan"),
        ("じゃんけん", "janken"),
        ("ゼニガタヘイジ", "zenigataheiji"),
        ("ふぁいる", "fairu"),
        ("がっこう", "gakkou"),
        ("つづき", "tsuzuki"),
    ],
)
def test_kana_to_hepburn(reading, hepburn):
    assert kana_to_romaji(reading) == hepburn


@given(
    st.text(
        alphabet="あいうえおかきくけこさしすせそたちつてとなにのはひふへほまみむめもやゆよらりるれろわをんがぎぐげござじずぜぞだでどばびぶべぼぱぴぷぺぽっゃゅょー",
        max_size=20,
    )
)
def test_every_reading_romanises_to_plain_ascii(reading):
    romaji = kana_to_romaji(reading)
    assert romaji.isascii()
    assert romaji_key(romaji).isalnum() or romaji_key(romaji) == ""
