"""What a passkey may be called: the owner's own name for it ("iPhone", "職場のPC"), shown in their list.

Stored as typed (NFC, spaces at the ends trimmed), at most MAX_LENGTH characters, no control
characters and no bidirectional overrides (they would not show, or would make a name read
otherwise than it is stored). Joiners stay, for emoji such as 👨‍💻.
"""

from __future__ import annotations

import unicodedata

MAX_LENGTH = 64
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class InvalidName(ValueError):
    pass


def clean_name(text: str) -> str:
    name = unicodedata.normalize("NFC", text).strip()
    if not name:
        raise InvalidName("パスキーの名前を入力してください (give the passkey a name)")
    if len(name) > MAX_LENGTH:
        raise InvalidName(f"パスキーの名前は{MAX_LENGTH}文字までです (at most {MAX_LENGTH} characters)")
    if any(unicodedata.category(ch) == "Cc" or ch in _BIDI_CONTROLS for ch in name):
        raise InvalidName("パスキーの名前に使えない文字が含まれています (the name has control characters)")
    return name


def default_name(taken: int) -> str:
    """The name of a passkey added without one: パスキー 1, パスキー 2, …"""
    return f"パスキー {taken + 1}"
