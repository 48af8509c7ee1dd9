"""Time-based one-time passwords (RFC 6238) as staff second factor.

The codes are pyotp's (HMAC-SHA1, 6 digits, 30-second steps, as every authenticator app makes
them). What pyotp leaves to its caller is written here: a code is accepted within one step either
side of now (RFC 6238 §5.2 recommends at most one step of allowed network delay), and only for a
step later than the last accepted one, so a code seen over someone's shoulder or in a proxy log
cannot be used again in its window (§5.2: "the verifier MUST NOT accept the second attempt of the
same OTP").
"""

from __future__ import annotations

import hmac

import pyotp

STEP_S = 30
DIGITS = 6
WINDOW = 1  # steps either side of now


def new_secret() -> str:
    """A fresh 160-bit secret, base32 as authenticator apps take it (RFC 4226 §4 asks for ≥128)."""
    return pyotp.random_base32(length=32)


def normalise_code(code: str) -> str:
    """What people type: '123 456', '１２３４５６' (full-width digits from a Japanese IME)."""
    return "".join(str(int(ch)) for ch in code if ch.isdigit())


def matching_step(secret: str, code: str, *, now: float, after_step: int) -> int | None:
    """The time step whose code `code` is, within WINDOW of `now` and later than `after_step`."""
    typed = normalise_code(code)
    if len(typed) != DIGITS:
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_S)
    current = int(now) // STEP_S
    found = None
    for step in range(current - WINDOW, current + WINDOW + 1):
        # Every candidate is compared (no early exit), in constant time.
        if hmac.compare_digest(totp.generate_otp(step), typed) and step > after_step and found is None:
            found = step
    return found


def provisioning_uri(secret: str, *, account: str, issuer: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_S).provisioning_uri(
        name=account, issuer_name=issuer
    )


def grouped(secret: str) -> str:
    """The secret in groups of four, for typing it in by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
