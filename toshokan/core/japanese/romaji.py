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

import jaconv

from .normalize import _KANA_FOLD, nfkc

# Applied in order. Each rewrites one spelling family into the key's single form.
_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"[^a-z0-9]+", ""),  # spaces, apostrophes (shin'ichi), hyphens
        (r"tch", "tty"),  # っち: Hepburn "tchi"
        (r"cch", "tty"),  # っち typed "cchi"
        (r"sh", "sy"),  # shi/si, sha/sya
        (r"ch", "ty"),  # chi/ti, cha/tya
        (r"ts", "t"),  # tsu/tu
        (r"dz", "z"),  # dzu/zu
        (r"j", "zy"),  # ji/zi, ja/zya
        (r"([stz])yi", r"\1i"),  # the "y" left over by shi/chi/ji
        (r"d([iu])", r"z\1"),  # ぢ/じ, づ/ず
        (r"f", "h"),  # fu/hu
        (r"l", "r"),
        (r"v", "b"),  # ヴ
        (r"m([bpm])", r"n\1"),  # shimbun/shinbun
        (r"n+", "n"),  # ん as n or nn
        (r"wo", "o"),  # を
        (r"wa", "ha"),  # は as a particle
        (r"he", "e"),  # へ as a particle
        (r"ou", "o"),  # long o written ou
        (r"oh(?=[^aeiou]|$)", "o"),  # long o written oh (Ohno)
        (r"([aeiou])\1+", r"\1"),  # long vowels doubled or (after NFKD) written with a macron
    )
)


def romaji_key(text: str) -> str:
    """The folded romaji key of Latin text: 'Wagahai wa Neko de Aru' and 'wagahaihanekodearu' meet."""
    if not text:
        return ""
    # NFKD splits ō into o + macron; dropping the combining marks leaves the bare vowel.
    # A macron means a long vowel, so ō and oo and ou all end as "o".
    decomposed = unicodedata.normalize("NFKD", nfkc(text).casefold())
    key = "".join(c for c in decomposed if not unicodedata.combining(c))
    for pattern, replacement in _RULES:
        key = pattern.sub(replacement, key)
    return key


# Small vowels after a full-size kana are read full size (ティ → tei); ゃゅょ stay (きゅ → kyu).
_SMALL_TO_LARGE = str.maketrans({k: v for k, v in _KANA_FOLD.items() if k in "ぁぃぅぇぉゎゕゖ"})
_SOKUON = re.compile(r"っ([bcdfghjkmnprstvwz])")
_LEFTOVER = re.compile(r"[^a-z0-9 ]+")


def kana_to_romaji(reading: str) -> str:
    """Hepburn romaji of a kana reading (katakana or hiragana; other characters are left out).

    Small vowels after a full-size kana are read as full size (ティ → tei), which the key folds anyway.
    """
    hira = jaconv.kata2hira(nfkc(reading))
    hira = hira.translate(_SMALL_TO_LARGE).replace("ー", "")
    # っ before a consonant doubles it; jaconv does this for most, the rest by hand.
    romaji = jaconv.kana2alphabet(hira)
    romaji = _SOKUON.sub(lambda m: m.group(1) * 2, romaji).replace("xtsu", "").replace("っ", "")
    return _LEFTOVER.sub(" ", romaji).strip()
