"""A test JPKI built with `cryptography`: J-LIS's CAs and My Number card certificates, as the profile shows.

Real J-LIS certificates and keys cannot be had here, so this makes look-alikes that follow what public
copies of the profile show (docs/jpki.md): self-signed CAs named C=JP, O=JPKI, OU=JPKI for digital
signature / user authentication, OU=Japan Agency for Local Authority Information Systems; RSA-2048 with
sha256WithRSAEncryption; critical keyUsage (digitalSignature + nonRepudiation for 署名用, digitalSignature
for 利用者証明用); certificatePolicies under 1.2.392.200149.8.5.1.1 / .1.3; the 基本4情報 as
UTF8String otherNames under 1.2.392.200149.8.5.5; a CRL distribution point as a directoryName; CRLs v2.

J-LIS issues card certificates straight from its self-signed CA; `link` makes a CA certificate issued by
another root (as J-LIS's link certificates between CA generations are) to exercise longer chains.
Keys are made once per process: RSA-2048 generation is the slow part.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from toshokan.identity.domain import jpki

NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)

SIGNING_OU = "JPKI for digital signature"
AUTH_OU = "JPKI for user authentication"
JLIS_OU = "Japan Agency for Local Authority Information Systems"

SIGNING_POLICY = x509.ObjectIdentifier(jpki.POLICY_ARC_SIGNING + ".20")
AUTH_POLICY = x509.ObjectIdentifier(jpki.POLICY_ARC_AUTH + ".30")

SIGNING_USAGE = dict(digital_signature=True, content_commitment=True)
AUTH_USAGE = dict(digital_signature=True, content_commitment=False)


def key(label: str, bits: int = 2048) -> rsa.RSAPrivateKey:
    """One RSA key per label and size for the whole test run."""
    return _key(label, bits)


@functools.cache
def _key(label: str, bits: int) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=bits)


def ca_name(ou: str = SIGNING_OU, *, org: str = "JPKI") -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, JLIS_OU),
        ]
    )


@dataclass(frozen=True)
class Ca:
    cert: x509.Certificate
    key: rsa.RSAPrivateKey

    @property
    def name(self) -> x509.Name:
        return self.cert.subject


def _usage(**on: bool) -> x509.KeyUsage:
    flags = dict(
        digital_signature=False,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=False,
        crl_sign=False,
        encipher_only=False,
        decipher_only=False,
    )
    flags.update(on)
    return x509.KeyUsage(**flags)


def _ca_builder(
    name: x509.Name, issuer: x509.Name, public: rsa.RSAPublicKey, before: datetime
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(before)
        .not_valid_after(before + timedelta(days=365 * 12))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
    )


def root(label: str = "sign-ca", ou: str = SIGNING_OU, *, org: str = "JPKI") -> Ca:
    """A self-signed J-LIS-like CA (the trust anchor a library configures)."""
    return _root(label, ou, org)


@functools.cache
def _root(label: str, ou: str, org: str) -> Ca:
    k = key(label)
    name = ca_name(ou, org=org)
    cert = _ca_builder(name, name, k.public_key(), NOW - timedelta(days=365 * 3)).sign(k, hashes.SHA256())
    return Ca(cert, k)


def link(new_label: str, issuer: Ca, ou: str = SIGNING_OU) -> Ca:
    """A CA certificate for a new CA key, issued by `issuer` (a link certificate between generations)."""
    k = key(new_label)
    name = ca_name(ou + " 2")
    cert = _ca_builder(name, issuer.name, k.public_key(), NOW - timedelta(days=365)).sign(
        issuer.key, hashes.SHA256()
    )
    return Ca(cert, k)


def basic_four_names(
    *,
    name: str = "図書 花子",
    name_alt: str | None = None,
    address: str = "東京都千代田区永田町一丁目10番1号",
    date_of_birth: str = "419900102",
    sex: str = "2",
    omit: tuple[x509.ObjectIdentifier, ...] = (),
) -> list[x509.GeneralName]:
    """The 基本4情報 otherNames, each value a DER UTF8String (the date of birth as 元号 digit + YYYYMMDD)."""
    values = {
        jpki.OID_NAME: name,
        jpki.OID_NAME_ALT: name_alt,
        jpki.OID_SEX: sex,
        jpki.OID_DATE_OF_BIRTH: date_of_birth,
        jpki.OID_ADDRESS: address,
    }
    return [x509.OtherName(oid, utf8(v)) for oid, v in values.items() if v is not None and oid not in omit]


def utf8(text: str) -> bytes:
    raw = text.encode("utf-8")
    n = len(raw)
    length = (
        bytes([n])
        if n < 0x80
        else bytes([0x80 | ((n.bit_length() + 7) // 8)]) + n.to_bytes((n.bit_length() + 7) // 8, "big")
    )
    return b"\x0c" + length + raw


def card_certificate(
    issuer: Ca,
    *,
    signing: bool = True,
    holder: str = "card-1",
    serial: int | None = None,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    usage: dict[str, bool] | None = None,
    policy: x509.ObjectIdentifier | None = None,
    san: list[x509.GeneralName] | None = None,
    bits: int = 2048,
    extra: Sequence[x509.ExtensionType] = (),
) -> x509.Certificate:
    """A card's 署名用 (signing=True) or 利用者証明用 certificate issued by `issuer`."""
    k = key(holder, bits)
    before = not_before or NOW - timedelta(days=30)
    subject = [x509.NameAttribute(NameOID.COUNTRY_NAME, "JP")]
    if signing:  # only the signing certificate names where the holder lives
        subject += [
            x509.NameAttribute(NameOID.LOCALITY_NAME, "Tokyo-to"),
            x509.NameAttribute(NameOID.LOCALITY_NAME, "Chiyoda-ku"),
        ]
    subject.append(x509.NameAttribute(NameOID.COMMON_NAME, f"{holder.upper()}TESTSERIAL"))
    ou = SIGNING_OU if signing else AUTH_OU
    crl_dp = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "JPKI"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, ou),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "CRL Distribution Points"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Tokyo-to"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Chiyoda-ku"),
        ]
    )
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name(subject))
        .issuer_name(issuer.name)
        .public_key(k.public_key())
        .serial_number(serial if serial is not None else x509.random_serial_number())
        .not_valid_before(before)
        .not_valid_after(not_after or before + timedelta(days=5 * 365))
        .add_extension(_usage(**(usage or (SIGNING_USAGE if signing else AUTH_USAGE))), critical=True)
        .add_extension(
            x509.CertificatePolicies(
                [x509.PolicyInformation(policy or (SIGNING_POLICY if signing else AUTH_POLICY), None)]
            ),
            critical=True,
        )
        .add_extension(
            x509.CRLDistributionPoints(
                [x509.DistributionPoint([x509.DirectoryName(crl_dp)], None, None, None)]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(k.public_key()), critical=False)
    )
    if san is None and signing:
        san = basic_four_names()
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
    for extension in extra:  # extra extensions are marked critical, to test RFC 5280 §4.2
        builder = builder.add_extension(extension, critical=True)
    return builder.sign(issuer.key, hashes.SHA256())


def crl(
    issuer: Ca, revoked: tuple[int, ...] = (), *, last: datetime | None = None, days: int = 2
) -> x509.CertificateRevocationList:
    """A v2 CRL from `issuer` listing `revoked` serials, current at NOW unless told otherwise."""
    last = last or NOW - timedelta(hours=6)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.name)
        .last_update(last)
        .next_update(last + timedelta(days=days))
    )
    for serial in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(serial)
            .revocation_date(last - timedelta(days=1))
            .build()
        )
    builder = builder.add_extension(x509.CRLNumber(1), critical=False)
    return builder.sign(issuer.key, hashes.SHA256())


def sign_nonce(holder: str, nonce: bytes) -> bytes:
    """What the card's JPKI-AP returns: RSA PKCS#1 v1.5 over SHA-256 of the nonce."""
    return key(holder).sign(nonce, padding.PKCS1v15(), hashes.SHA256())


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def der(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.DER)


BIRTHDAY = date(1990, 1, 2)
