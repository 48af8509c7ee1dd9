"""Romaji: Hepburn romanisation of kana readings, and a folded key that forgives how people type romaji.

People type romaji in many ways for one reading: with or without spaces, with macrons or doubled
vowels or neither (Sōseki, Souseki, Soseki), in Hepburn or Kunrei-shiki (shi/si, tsu/tu, fu/hu,
ji/zi, cha/tya), particles as pronounced or as written (wa/ha, e/he, o/wo), ん as n, nn or n',
m before b/p/m (shimbun/shinbun). `romaji_key()` maps all of these to one key; a reading is
romanised (`kana_to_romaji`) and then keyed the same way, so a typed query meets the catalogue's
readings whichever spelling it uses.

The key is for matching only: it merges a few distinct syllables (わ/は, え/へ, お/を, long and
short vowels), which costs a little precision and is the price of meeting every spelling.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from .normalize import nfkc

# Applied in order; each rewrites one spelling family into the key's single form. Plain string
# replacements (C speed): the key is computed for every romanisation at indexing time.
_REPLACEMENTS = (
    ("tch", "tty"),  # っち: Hepburn "tchi"
    ("cch", "tty"),  # っち typed "cchi"
    ("sh", "sy"),  # shi/si, sha/sya
    ("ch", "ty"),  # chi/ti, cha/tya
    ("ts", "t"),  # tsu/tu
    ("dz", "z"),  # dzu/zu
    ("j", "zy"),  # ji/zi, ja/zya
    ("syi", "si"),  # the "y" left over by shi/chi/ji
    ("tyi", "ti"),
    ("zyi", "zi"),
    ("di", "zi"),  # ぢ/じ
    ("du", "zu"),  # づ/ず
    ("f", "h"),  # fu/hu
    ("l", "r"),
    ("v", "b"),  # ヴ
    ("mb", "nb"),  # shimbun/shinbun
    ("mp", "np"),
    ("mm", "nm"),
)
_PARTICLES = (("wo", "o"), ("wa", "ha"), ("he", "e"))  # を, は and へ as pronounced or as written
_OH = re.compile(r"oh(?=[^aeiou]|$)")  # long o written oh (Ohno)
# Long vowels doubled (or, after NFKD, written with a macron) become one vowel, and ん typed n or
# nn becomes n: by repeated str.replace, which is many times quicker here than re.sub with a
# group reference (a million records at indexing time).
_DOUBLES = tuple((c + c, c) for c in "aeiou")
_NOT_ALNUM = re.compile(r"[^a-z0-9]+")


@lru_cache(maxsize=65536)
def romaji_key(text: str) -> str:
    """The folded romaji key of Latin text: 'Wagahai wa Neko de Aru' and 'wagahaihanekodearu' meet."""
    if not text:
        return ""
    if text.isascii():
        key = text.lower()
    else:
        # NFKD splits ō into o + macron; dropping the combining mark leaves the bare vowel
        # (a macron means a long vowel, so ō, oo and ou all end as "o").
        decomposed = unicodedata.normalize("NFKD", nfkc(text).casefold())
        key = "".join(c for c in decomposed if not unicodedata.combining(c))
    key = _NOT_ALNUM.sub("", key)
    for old, new in _REPLACEMENTS:
        if old in key:
            key = key.replace(old, new)
    while "nn" in key:
        key = key.replace("nn", "n")
    for old, new in _PARTICLES:
        if old in key:
            key = key.replace(old, new)
    key = key.replace("ou", "o")
    if "oh" in key:
        key = _OH.sub("o", key)
    for double, single in _DOUBLES:
        while double in key:
            key = key.replace(double, single)
    return key


_MONO = dict(
    zip(
        "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわゐゑをん"
        "がぎぐげござじずぜぞだぢづでどばびぶべぼぱぴぷぺぽゔぁぃぅぇぉゃゅょゎ",
        [
            "a",
            "i",
            "u",
            "e",
            "o",
            "ka",
            "ki",
            "ku",
            "ke",
            "ko",
            "sa",
            "shi",
            "su",
            "se",
            "so",
            "ta",
            "chi",
            "tsu",
            "te",
            "to",
            "na",
            "ni",
            "nu",
            "ne",
            "no",
            "ha",
            "hi",
            "fu",
            "he",
            "ho",
            "ma",
            "mi",
            "mu",
            "me",
            "mo",
            "ya",
            "yu",
            "yo",
            "ra",
            "ri",
            "ru",
            "re",
            "ro",
            "wa",
            "i",
            "e",
            "o",
            "n",
            "ga",
            "gi",
            "gu",
            "ge",
            "go",
            "za",
            "ji",
            "zu",
            "ze",
            "zo",
            "da",
            "ji",
            "zu",
            "de",
            "do",
            "ba",
            "bi",
            "bu",
            "be",
            "bo",
            "pa",
            "pi",
            "pu",
            "pe",
            "po",
            "vu",
            "a",
            "i",
            "u",
            "e",
            "o",
            "ya",
            "yu",
            "yo",
            "wa",
        ],
        strict=True,
    )
)
_YOON = {"ゃ": "a", "ゅ": "u", "ょ": "o"}
_DIGRAPHS: dict[str, str] = {}
for _kana, _head in zip(
    "きぎしじちにひびぴみり", ("ky", "gy", "sh", "j", "ch", "ny", "hy", "by", "py", "my", "ry"), strict=True
):
    for _small, _vowel in _YOON.items():
        _DIGRAPHS[_kana + _small] = _head + _vowel
_DIGRAPHS.update(
    {
        "ふぁ": "fa",
        "ふぃ": "fi",
        "ふぇ": "fe",
        "ふぉ": "fo",
        "ゔぁ": "va",
        "ゔぃ": "vi",
        "ゔぇ": "ve",
        "ゔぉ": "vo",
    }
)
_MONO_TABLE = str.maketrans(_MONO)
_SMALL = frozenset("ゃゅょぁぃぅぇぉ")
_SOKUON = re.compile(r"っ+([a-z])")


def _double_next(match: re.Match[str]) -> str:
    # A function, not the template r"\1\1": re expands templates slowly.
    c = match.group(1)
    return c + c


_LEFTOVER = re.compile(r"[^a-z0-9 ]+")
_KATAKANA = {code: code - 0x60 for code in range(0x30A1, 0x30F7)}


def kana_to_romaji(reading: str) -> str:
    """Hepburn romaji of a kana reading (katakana or hiragana; other characters are left out).

    Written out here rather than taken from a converter because it runs for every reading at
    indexing time: the digraphs (きゃ, しゅ …) first, then one table lookup per kana. A small
    vowel after a full-size kana is read full size (ティ → tei), which the romaji key folds anyway.
    """
    hira = nfkc(reading).translate(_KATAKANA).replace("ー", "")
    if not _SMALL.isdisjoint(hira):
        for kana, romaji in _DIGRAPHS.items():
            if kana in hira:
                hira = hira.replace(kana, romaji)
    romaji = hira.translate(_MONO_TABLE)
    if "っ" in romaji:
        romaji = _SOKUON.sub(_double_next, romaji).replace("っ", "")
    return _LEFTOVER.sub(" ", romaji).strip()
