"""The demo My Number card: a made-up CA pair and cards, on disk, so a person can try the flow.

`manage.py jpki_demo_card` plays the card's part: it keeps a demo signing CA and authentication CA
(RSA-2048, the JPKI certificate profile as toshokan matches it, docs/jpki.md) and cards for made-up
residents under `var/jpki-demo/`, signs a nonce and writes the bundle the card reader software
would send. The CAs are named "toshokan DEMO — NOT J-LIS" so no one can take them for J-LIS's.

toshokan trusts them only when TOSHOKAN_JPKI["DEMO"] is on and DEBUG is on (trust.demo_enabled):
the development settings turn DEMO on, the production settings run with DEBUG off, and
`check --deploy` refuses DEMO — the demo's residents can never become members of a real library.

Written out here rather than shared with the test PKI (tests/pki.py) because this one persists its
keys between runs and must not depend on test code.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from django.conf import settings

from .domain import jpki

DEMO_ORG = "toshokan DEMO - NOT J-LIS"
SIGN_OU = "JPKI for digital signature"
AUTH_OU = "JPKI for user authentication"
SIGN_POLICY = x509.ObjectIdentifier(jpki.POLICY_ARC_SIGNING + ".20")
AUTH_POLICY = x509.ObjectIdentifier(jpki.POLICY_ARC_AUTH + ".30")
CRL_DAYS = 30


def directory() -> Path:
    configured = getattr(settings, "TOSHOKAN_JPKI_DEMO_DIR", None)
    return Path(configured) if configured else Path(settings.VAR_DIR) / "jpki-demo"


def roots() -> list[x509.Certificate]:
    found = []
    for name in ("sign-ca.pem", "auth-ca.pem"):
        path = directory() / name
        if path.exists():
            found.append(x509.load_pem_x509_certificate(path.read_bytes()))
    return found


def crl_paths() -> list[Path]:
    return [p for p in (directory() / "sign.crl", directory() / "auth.crl") if p.exists()]


def _save_key(path: Path, key: rsa.RSAPrivateKey) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    path.chmod(0o600)


def _load_or_make_key(path: Path) -> rsa.RSAPrivateKey:
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        return key
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    _save_key(path, key)
    return key


def _usage(**on: bool) -> x509.KeyUsage:
    flags = dict.fromkeys(
        (
            "digital_signature",
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "key_cert_sign",
            "crl_sign",
            "encipher_only",
            "decipher_only",
        ),
        False,
    )
    flags.update(on)
    return x509.KeyUsage(**flags)


@dataclass(frozen=True)
class DemoCa:
    cert: x509.Certificate
    key: rsa.RSAPrivateKey
    label: str  # "sign" or "auth"


def ca(label: str, *, now: datetime) -> DemoCa:
    """The demo CA `label` ("sign" or "auth"), made on first use."""
    key = _load_or_make_key(directory() / f"{label}-ca.key")
    path = directory() / f"{label}-ca.pem"
    if path.exists():
        return DemoCa(x509.load_pem_x509_certificate(path.read_bytes()), key, label)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, DEMO_ORG),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, SIGN_OU if label == "sign" else AUTH_OU),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=365 * 10))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return DemoCa(cert, key, label)


def _utf8(text: str) -> bytes:
    raw = text.encode("utf-8")
    n = len(raw)
    if n < 0x80:
        return b"\x0c" + bytes([n]) + raw
    size = (n.bit_length() + 7) // 8
    return b"\x0c" + bytes([0x80 | size]) + n.to_bytes(size, "big") + raw


@dataclass(frozen=True)
class Resident:
    name: str
    address: str
    date_of_birth: date
    sex: str  # "1" or "2"


def issue(
    issuer: DemoCa, card_key: rsa.RSAPrivateKey, *, resident: Resident | None, now: datetime
) -> x509.Certificate:
    """A card certificate: 署名用 with the 基本4情報 when `resident` is given, else 利用者証明用."""
    signing = resident is not None
    builder = (
        x509.CertificateBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
                    x509.NameAttribute(
                        NameOID.COMMON_NAME, f"DEMO{x509.random_serial_number() % 10**12:012d}"
                    ),
                ]
            )
        )
        .issuer_name(issuer.cert.subject)
        .public_key(card_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=5 * 365))
        .add_extension(_usage(digital_signature=True, content_commitment=signing), critical=True)
        .add_extension(
            x509.CertificatePolicies([x509.PolicyInformation(SIGN_POLICY if signing else AUTH_POLICY, None)]),
            critical=True,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False
        )
    )
    if resident is not None:
        values = {
            jpki.OID_NAME: resident.name,
            jpki.OID_SEX: resident.sex,
            jpki.OID_DATE_OF_BIRTH: "4" + resident.date_of_birth.strftime("%Y%m%d"),
            jpki.OID_ADDRESS: resident.address,
        }
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.OtherName(oid, _utf8(v)) for oid, v in values.items()]),
            critical=False,
        )
    return builder.sign(issuer.key, hashes.SHA256())


def _revoked_path() -> Path:
    return directory() / "revoked.json"


def _revoked() -> dict[str, list[int]]:
    path = _revoked_path()
    return json.loads(path.read_text()) if path.exists() else {"sign": [], "auth": []}


def revoke(label: str, serial: int, *, now: datetime) -> None:
    revoked = _revoked()
    revoked.setdefault(label, []).append(serial)
    _revoked_path().write_text(json.dumps(revoked))
    publish_crls(now=now)


def publish_crls(*, now: datetime) -> None:
    """Fresh CRLs for both demo CAs (valid CRL_DAYS), listing the serials revoked so far."""
    revoked = _revoked()
    for label in ("sign", "auth"):
        issuer = ca(label, now=now)
        builder = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(issuer.cert.subject)
            .last_update(now - timedelta(minutes=5))
            .next_update(now + timedelta(days=CRL_DAYS))
            .add_extension(x509.CRLNumber(int(now.timestamp())), critical=False)
        )
        for serial in revoked.get(label, []):
            builder = builder.add_revoked_certificate(
                x509.RevokedCertificateBuilder()
                .serial_number(serial)
                .revocation_date(now - timedelta(minutes=1))
                .build()
            )
        crl = builder.sign(issuer.key, hashes.SHA256())
        (directory() / f"{label}.crl").write_bytes(crl.public_bytes(serialization.Encoding.DER))


@dataclass(frozen=True)
class Card:
    """A demo card on disk: its two keys and current certificates, and who it belongs to."""

    card_id: str
    resident: Resident
    sign_key: rsa.RSAPrivateKey
    auth_key: rsa.RSAPrivateKey
    sign_cert: x509.Certificate
    auth_cert: x509.Certificate


def _card_dir(card_id: str) -> Path:
    if not card_id.isalnum():
        raise ValueError("a demo card id is letters and digits")
    return directory() / "cards" / card_id


def make_card(card_id: str, resident: Resident, *, now: datetime | None = None) -> Card:
    """A new card (or the card `card_id` renewed): new keys and certificates; the old ones revoked."""
    now = now or datetime.now(UTC)
    folder = _card_dir(card_id)
    old = load_card(card_id) if (folder / "card.json").exists() else None
    sign_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    auth_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    sign_cert = issue(ca("sign", now=now), sign_key, resident=resident, now=now)
    auth_cert = issue(ca("auth", now=now), auth_key, resident=None, now=now)
    folder.mkdir(parents=True, exist_ok=True)
    _save_key(folder / "sign.key", sign_key)
    _save_key(folder / "auth.key", auth_key)
    (folder / "sign.pem").write_bytes(sign_cert.public_bytes(serialization.Encoding.PEM))
    (folder / "auth.pem").write_bytes(auth_cert.public_bytes(serialization.Encoding.PEM))
    (folder / "card.json").write_text(
        json.dumps(
            {
                "name": resident.name,
                "address": resident.address,
                "date_of_birth": resident.date_of_birth.isoformat(),
                "sex": resident.sex,
            },
            ensure_ascii=False,
        )
    )
    if old is not None:  # J-LIS revokes the old certificates when a card is reissued
        revoke("sign", old.sign_cert.serial_number, now=now)
        revoke("auth", old.auth_cert.serial_number, now=now)
    else:
        publish_crls(now=now)
    return load_card(card_id)


def load_card(card_id: str) -> Card:
    folder = _card_dir(card_id)
    if not (folder / "card.json").exists():
        raise FileNotFoundError(f"no demo card {card_id!r} under {directory()}")
    data = json.loads((folder / "card.json").read_text())
    keys = []
    for name in ("sign.key", "auth.key"):
        key = serialization.load_pem_private_key((folder / name).read_bytes(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        keys.append(key)
    return Card(
        card_id=card_id,
        resident=Resident(
            name=data["name"],
            address=data["address"],
            date_of_birth=date.fromisoformat(data["date_of_birth"]),
            sex=data["sex"],
        ),
        sign_key=keys[0],
        auth_key=keys[1],
        sign_cert=x509.load_pem_x509_certificate((folder / "sign.pem").read_bytes()),
        auth_cert=x509.load_pem_x509_certificate((folder / "auth.pem").read_bytes()),
    )


def _sign(key: rsa.RSAPrivateKey, nonce: str) -> str:
    return base64.b64encode(key.sign(nonce.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())).decode()


def _der64(cert: x509.Certificate) -> str:
    return base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()


def bundle(card: Card, nonce: str, *, signing: bool = True, auth: bool = True) -> dict[str, Any]:
    """What the card reader software sends: the nonce, the certificates (base64 DER), the signatures."""
    out: dict[str, Any] = {"nonce": nonce}
    if signing:
        out["signing_certificate"] = _der64(card.sign_cert)
        out["signature"] = _sign(card.sign_key, nonce)
    if auth:
        out["auth_certificate"] = _der64(card.auth_cert)
        out["auth_signature"] = _sign(card.auth_key, nonce)
    return out
