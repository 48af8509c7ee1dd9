"""Readings and romaji for text that carries none, from a morphological analyser.

A record from the Aozora catalogue or NDL carries its own readings (よみ) and those always win.
MARC records and records typed in by hand often do not: for them MeCab (through fugashi) with the
UniDic-lite dictionary, which ships inside its PyPI package, gives each word's reading, and cutlet
turns the same analysis into Hepburn romaji with particles as pronounced (吾輩は猫である →
Wagahai wa neko de aru). The analyser is loaded once per process, on first use (about 1 s).
"""

from __future__ import annotations

import threading
from functools import cache
from typing import Any

from .normalize import to_hiragana

_lock = threading.Lock()


@cache
def _tagger() -> Any:
    import fugashi

    return fugashi.Tagger()


@cache
def _cutlet() -> Any:
    import cutlet

    romaniser = cutlet.Cutlet("hepburn")
    # Romanise loanwords by their kana (ヴァイオリン → vaiorin), as people read a title aloud,
    # not by guessing the source-language spelling.
    romaniser.use_foreign_spelling = False
    return romaniser


def reading(text: str) -> str:
    """The reading of `text` in hiragana; words the dictionary lacks (Latin, digits) are kept as written."""
    if not text:
        return ""
    parts: list[str] = []
    with _lock:  # MeCab taggers are not safe to share between threads
        words = list(_tagger()(text))
        for word in words:
            if word.white_space and parts:  # the space that stood *before* this word
                parts.append(" ")
            kana = getattr(word.feature, "kana", None)
            parts.append(kana if kana and kana != "*" else word.surface)
    return to_hiragana("".join(parts)).strip()


def romanize(text: str) -> str:
    """Hepburn romaji of Japanese text, words separated by spaces (夏目漱石 → Natsume Souseki)."""
    if not text:
        return ""
    with _lock:
        return str(_cutlet().romaji(text))
