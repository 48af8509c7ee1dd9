"""TOTP secrets at rest: encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from `cryptography`)
under a key derived by HKDF from SECRET_KEY, so a copy of the database alone does not give the
codes. SECRET_KEY_FALLBACKS are tried for decryption, so a key rotation keeps enrolments working
while the old key is listed there (docs/staff-accounts.md).
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

INFO = b"toshokan.staff.totp-secret.v1"


def _fernet(secret_key: str) -> Fernet:
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=INFO).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _keys() -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet(k) for k in keys])


def encrypt(secret: str) -> str:
    return _keys().encrypt(secret.encode()).decode()


def decrypt(token: str) -> str:
    return _keys().decrypt(token.encode()).decode()
