"""A software WebAuthn authenticator for the service tests: EC P-256 keys from `cryptography`,
"none" attestations and assertions built byte by byte as Web Authentication Level 3 §6.1 (authenticator
data), §6.5.4 ("none" attestation) and §6.3.3 (assertion signature) lay them out, answering the options
toshokan sends as a browser would (PublicKeyCredential.toJSON()).

It is deliberately not py_webauthn: the bytes are made here and checked there, so a test fails when
either side gets the format wrong. Flags can be turned off (`user_verified=False`) to make the
answers a careless or hostile authenticator would give.
"""

from __future__ import annotations

import hashlib
import json
import os
import struct
from base64 import urlsafe_b64decode, urlsafe_b64encode
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

UP, UV, BE, BS, AT = 0x01, 0x04, 0x08, 0x10, 0x40
AAGUID = bytes.fromhex("01020304050607080910111213141516")


def b64url(data: bytes) -> str:
    return urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Credential:
    id: bytes
    key: ec.EllipticCurvePrivateKey
    rp_id: str
    user_handle: bytes
    sign_count: int = 0

    def cose_public_key(self) -> bytes:
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps(
            {1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")}
        )


@dataclass
class SoftAuthenticator:
    origin: str = "http://localhost:8000"
    user_verified: bool = True
    counts_signatures: bool = True  # False: a synced passkey, whose counter stays 0
    backup_eligible: bool = False
    credentials: list[Credential] = field(default_factory=list)

    def _flags(self, extra: int = 0) -> int:
        flags = UP | extra
        if self.user_verified:
            flags |= UV
        if self.backup_eligible:
            flags |= BE | BS
        return flags

    @staticmethod
    def _client_data(kind: str, challenge: str, origin: str) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False},
            separators=(",", ":"),
        ).encode()

    def create(self, options: dict[str, Any], *, origin: str | None = None) -> dict[str, Any]:
        """Answer PublicKeyCredentialCreationOptionsJSON with a new credential ("none" attestation)."""
        rp_id = options["rp"]["id"]
        excluded = {d["id"] for d in options.get("excludeCredentials", [])}
        if any(b64url(c.id) in excluded for c in self.credentials if c.rp_id == rp_id):
            raise RuntimeError("InvalidStateError: this authenticator already holds an excluded credential")
        credential = Credential(
            id=os.urandom(32),
            key=ec.generate_private_key(ec.SECP256R1()),
            rp_id=rp_id,
            user_handle=unb64url(options["user"]["id"]),
        )
        self.credentials.append(credential)
        attested = (
            AAGUID + struct.pack(">H", len(credential.id)) + credential.id + credential.cose_public_key()
        )
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([self._flags(AT)])
            + struct.pack(">I", credential.sign_count)
            + attested
        )
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})
        client_data = self._client_data("webauthn.create", options["challenge"], origin or self.origin)
        return {
            "id": b64url(credential.id),
            "rawId": b64url(credential.id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": ["internal", "hybrid"],
            },
            "clientExtensionResults": {},
        }

    def get(
        self,
        options: dict[str, Any],
        *,
        credential: Credential | None = None,
        origin: str | None = None,
        sign_count: int | None = None,
    ) -> dict[str, Any]:
        """Answer PublicKeyCredentialRequestOptionsJSON with an assertion by `credential` (or the
        first credential for the RP that the options allow)."""
        rp_id = options["rpId"]
        if credential is None:
            allowed = {d["id"] for d in options.get("allowCredentials", [])}
            credential = next(
                c for c in self.credentials if c.rp_id == rp_id and (not allowed or b64url(c.id) in allowed)
            )
        if sign_count is not None:
            credential.sign_count = sign_count
        elif self.counts_signatures:
            credential.sign_count += 1
        auth_data = (
            hashlib.sha256(rp_id.encode()).digest()
            + bytes([self._flags()])
            + struct.pack(">I", credential.sign_count)
        )
        client_data = self._client_data("webauthn.get", options["challenge"], origin or self.origin)
        signature = credential.key.sign(
            auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        return {
            "id": b64url(credential.id),
            "rawId": b64url(credential.id),
            "type": "public-key",
            "authenticatorAttachment": "platform",
            "response": {
                "clientDataJSON": b64url(client_data),
                "authenticatorData": b64url(auth_data),
                "signature": b64url(signature),
                "userHandle": b64url(credential.user_handle),
            },
            "clientExtensionResults": {},
        }
