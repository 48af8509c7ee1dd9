"""Fixtures for the JPKI services, API and pages: the test PKI configured as the library's trust.

`jpki` writes the test J-LIS roots and their CRLs to files and points TOSHOKAN_JPKI at them;
`peers` starts the loopback HTTP server (CRLs over http, an OCSP responder) from tests/pki.py.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509

from toshokan.catalog.tests import factories as catalog_factories
from toshokan.identity import services, trust
from toshokan.identity.models import CertificateLink, ChallengePurpose
from toshokan.identity.tests import pki
from toshokan.patrons.models import CardSequence, Patron

NOW = pki.NOW


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@dataclass
class Card:
    """One test My Number card: a signing and an authentication certificate and their keys."""

    holder: str
    sign: x509.Certificate
    auth: x509.Certificate

    def bundle(self, nonce: str, *, signing: bool = True, auth: bool = True, **extra: Any) -> dict[str, Any]:
        out: dict[str, Any] = {"nonce": nonce}
        if signing:
            out["signing_certificate"] = b64(pki.der(self.sign))
            out["signature"] = b64(pki.sign_nonce(self.holder, nonce.encode()))
        if auth:
            out["auth_certificate"] = b64(pki.der(self.auth))
            out["auth_signature"] = b64(pki.sign_nonce(self.holder + "-auth", nonce.encode()))
        out.update(extra)
        return out


@dataclass
class Jpki:
    """The library's JPKI trust as the tests set it: files under tmp_path, revocations by serial."""

    folder: Path
    settings: Any
    revoked_sign: list[int] = field(default_factory=list)
    revoked_auth: list[int] = field(default_factory=list)

    sign_ca: pki.Ca = field(default_factory=pki.root)
    auth_ca: pki.Ca = field(default_factory=lambda: pki.root("auth-ca", pki.AUTH_OU))

    def write(self, **conf: Any) -> None:
        (self.folder / "sign-ca.pem").write_bytes(pki.pem(self.sign_ca.cert))
        (self.folder / "auth-ca.pem").write_bytes(pki.pem(self.auth_ca.cert))
        self.publish()
        self.settings.TOSHOKAN_JPKI = {
            "ROOTS": [str(self.folder / "sign-ca.pem"), str(self.folder / "auth-ca.pem")],
            "CRLS": [str(self.folder / "sign.crl"), str(self.folder / "auth.crl")],
            **conf,
        }

    def publish(self) -> None:
        from cryptography.hazmat.primitives import serialization

        for name, ca, revoked in (
            ("sign.crl", self.sign_ca, self.revoked_sign),
            ("auth.crl", self.auth_ca, self.revoked_auth),
        ):
            crl = pki.crl(ca, revoked=tuple(revoked))
            (self.folder / name).write_bytes(crl.public_bytes(serialization.Encoding.DER))
        trust.forget_crls()

    def revoke(self, cert: x509.Certificate) -> None:
        (self.revoked_sign if cert.issuer == self.sign_ca.name else self.revoked_auth).append(
            cert.serial_number
        )
        self.publish()

    def card(
        self,
        holder: str = "card-1",
        *,
        name: str = "図書 花子",
        address: str = "東京都千代田区永田町一丁目10番1号",
        date_of_birth: str = "419900102",
        **kwargs: Any,
    ) -> Card:
        san = pki.basic_four_names(name=name, address=address, date_of_birth=date_of_birth)
        sign = pki.card_certificate(self.sign_ca, holder=holder, san=san, **kwargs)
        auth = pki.card_certificate(self.auth_ca, signing=False, holder=holder + "-auth")
        return Card(holder, sign, auth)

    def challenge(self, purpose: ChallengePurpose = ChallengePurpose.REGISTER, *, now: datetime = NOW) -> str:
        return services.issue_challenge(purpose=purpose, now=now).nonce


@pytest.fixture
def jpki(settings: Any, tmp_path: Path, db: Any) -> Iterator[Jpki]:
    catalog_factories.branch("central")
    library = Jpki(folder=tmp_path, settings=settings)
    library.write()
    yield library
    trust.forget_crls()


@pytest.fixture
def peers(jpki: Jpki) -> Iterator[pki.Peers]:
    server = pki.Peers([jpki.sign_ca, jpki.auth_ca])
    yield server
    server.close()


def register(card_bundle: dict[str, Any], *, now: datetime = NOW, **kwargs: Any) -> services.Registration:
    return services.register_with_card(
        bundle=services.parse_bundle(card_bundle, signing=True, auth=False), now=now, **kwargs
    )


def snapshot() -> tuple[int, int, list[tuple[str, int]]]:
    """What a refusal must leave unchanged: patrons, certificate links and the card sequences."""
    return (
        Patron.objects.count(),
        CertificateLink.objects.count(),
        sorted(CardSequence.objects.values_list("prefix", "last")),
    )


LATER = NOW + timedelta(seconds=1)
