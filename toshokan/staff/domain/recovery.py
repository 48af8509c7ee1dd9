"""Single-use recovery codes: the way in when the authenticator is lost.

Ten codes of ten characters from a 32-letter alphabet without look-alikes (50 bits each), shown
once and kept only as SHA-256 digests. A slow password hash is not needed for secrets this long
(nobody can try 2^50 guesses against a digest, and the sign-in lockout stops guessing online).
"""

from __future__ import annotations

import hashlib
import secrets

ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no i, l, o, 0, 1
LENGTH = 10


def new_codes(count: int) -> list[str]:
    return [_format("".join(secrets.choice(ALPHABET) for _ in range(LENGTH))) for _ in range(count)]


def _format(raw: str) -> str:
    return f"{raw[:5]}-{raw[5:]}"


def normalise(code: str) -> str:
    """Lower case, without spaces or hyphens, full-width letters folded (an IME may send them)."""
    folded = "".join(chr(ord(c) - 0xFEE0) if "！" <= c <= "～" else c for c in code)
    return "".join(c for c in folded.lower() if c.isalnum())


def digest(code: str) -> str:
    return hashlib.sha256(normalise(code).encode()).hexdigest()


def looks_like_code(code: str) -> bool:
    typed = normalise(code)
    return len(typed) == LENGTH and all(c in ALPHABET for c in typed)
