"""Verifying My Number card certificates (公的個人認証サービス, JPKI) and reading the 基本4情報.

The rules come from the J-LIS 署名用電子証明書及び利用者証明用電子証明書のプロファイル仕様書 (profile
specification, v3.x) as far as public copies and public implementations of it show; docs/jpki.md lists
what was matched, where it was found, and what could not be confirmed.

- The 署名用電子証明書 (signing certificate) carries the 基本4情報 as subjectAltName otherName entries
  under the arc 1.2.392.200149.8.5.5 (氏名 .1, 氏名代替文字 .2, 性別 .3, 生年月日 .4, 住所 .5,
  住所代替文字 .6). Its key usage is digitalSignature + nonRepudiation.
- The 利用者証明用電子証明書 (user-authentication certificate) carries no personal data at all: toshokan
  knows it only by its issuer and serial number. Its key usage is digitalSignature.
- Both are RSA-2048 keys certified with sha256WithRSAEncryption; a card signs with RSA PKCS#1 v1.5 over a
  SHA-256 DigestInfo, so a nonce signature is checked with PKCS1v15 + SHA-256.

The 12-digit Individual Number (個人番号) is in neither certificate: it lives in the card's 券面AP and
券面事項入力補助AP, behind their own PINs. toshokan never asks for it, never reads those applications and
has no field to keep it in.

Path validation is written here rather than through `cryptography.x509.verification`, whose verifier
enforces the Web PKI (CA/Browser Forum) profile that JPKI certificates do not follow (no DNS names,
otherName SANs, JPKI's own policies). What it checks is RFC 5280 §6.1 reduced to what JPKI needs:
issuer/subject name chaining, each signature, each validity period, basicConstraints and keyCertSign
on every CA, revocation of the end-entity certificate against its issuer's CRL (RFC 5280 §6.3), and
of every CA certificate below the root against its issuer's authority revocation list (ARL) when one
is given. OCSP (J-LIS runs a responder for platform operators) is in `domain/ocsp.py`; the service
asks the responder once the path is known (`certification_path`).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtensionOID

from toshokan.core.domain import DomainError

# The JPKI personal-data arc (jpki-personalData) and its members, as given by the profile.
OID_NAME = x509.ObjectIdentifier("1.2.392.200149.8.5.5.1")
OID_NAME_ALT = x509.ObjectIdentifier("1.2.392.200149.8.5.5.2")
OID_SEX = x509.ObjectIdentifier("1.2.392.200149.8.5.5.3")
OID_DATE_OF_BIRTH = x509.ObjectIdentifier("1.2.392.200149.8.5.5.4")
OID_ADDRESS = x509.ObjectIdentifier("1.2.392.200149.8.5.5.5")
OID_ADDRESS_ALT = x509.ObjectIdentifier("1.2.392.200149.8.5.5.6")

# Certificate policy arcs: 1.2.392.200149.8.5.1.1 for the signing CA's policies, .1.3 for the
# user-authentication CA's. Real certificates carry a leaf under each (e.g. .1.1.20, .1.3.30 in
# one public registry); the exact leaf may change between CA generations, so the arc is checked.
POLICY_ARC_SIGNING = "1.2.392.200149.8.5.1.1"
POLICY_ARC_AUTH = "1.2.392.200149.8.5.1.3"

MIN_RSA_BITS = 2048

# The extensions whose meaning these checks know (RFC 5280 §4.2.1); any other marked critical is refused.
_UNDERSTOOD_EXTENSIONS = frozenset(
    {
        ExtensionOID.BASIC_CONSTRAINTS,
        ExtensionOID.KEY_USAGE,
        ExtensionOID.EXTENDED_KEY_USAGE,
        ExtensionOID.CERTIFICATE_POLICIES,
        ExtensionOID.SUBJECT_ALTERNATIVE_NAME,
        ExtensionOID.ISSUER_ALTERNATIVE_NAME,
        ExtensionOID.CRL_DISTRIBUTION_POINTS,
        ExtensionOID.AUTHORITY_KEY_IDENTIFIER,
        ExtensionOID.SUBJECT_KEY_IDENTIFIER,
        ExtensionOID.AUTHORITY_INFORMATION_ACCESS,
    }
)


class RefusalReason(StrEnum):
    """Why a card's certificate or signature was not accepted; stable codes for the API and logs."""

    MALFORMED = "malformed"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    UNKNOWN_ISSUER = "unknown_issuer"
    BAD_CHAIN_SIGNATURE = "bad_chain_signature"
    REVOKED = "revoked"
    REVOCATION_UNKNOWN = "revocation_unknown"
    WRONG_KEY_USAGE = "wrong_key_usage"
    WRONG_POLICY = "wrong_policy"
    WEAK_KEY = "weak_key"
    MISSING_BASIC_FOUR = "missing_basic_four"
    BAD_SIGNATURE = "bad_signature"


class JpkiRefused(DomainError):
    """The card's certificate or its signature was refused; `reason` says which check failed."""

    code = "jpki_refused"

    def __init__(self, reason: RefusalReason, detail: str = "") -> None:
        super().__init__(f"{reason.value}: {detail}" if detail else reason.value)
        self.reason = reason


class Sex(StrEnum):
    """性別 as coded in the certificate (1 男, 2 女 as in the 住民基本台帳; 3 not confirmed)."""

    MALE = "1"
    FEMALE = "2"
    UNSPECIFIED = "3"


@dataclass(frozen=True, slots=True)
class BasicFour:
    """The 基本4情報 from a signing certificate, exactly as J-LIS wrote them.

    `name_alt` and `address_alt` are the 代替文字 versions, present only when the 住民票 uses characters
    outside the certificate's character set (the profile leaves them out otherwise).
    """

    name: str
    name_alt: str | None
    address: str
    address_alt: str | None
    date_of_birth: date
    sex: Sex


@dataclass(frozen=True, slots=True)
class CertificateRef:
    """What identifies one JPKI certificate: its issuer and serial number (and a fingerprint to compare)."""

    issuer: str
    serial: int
    not_after: datetime
    sha256: str


@dataclass(frozen=True, slots=True)
class SigningIdentity:
    """A verified 署名用電子証明書: who it certifies and which certificate it was."""

    basic_four: BasicFour
    certificate: CertificateRef


@dataclass(frozen=True, slots=True)
class AuthIdentity:
    """A verified 利用者証明用電子証明書: no personal data, only the certificate's identity."""

    certificate: CertificateRef


CertInput = bytes | x509.Certificate


def load_certificate(data: CertInput) -> x509.Certificate:
    """A certificate from PEM or DER bytes (or one already parsed); MALFORMED if it is neither."""
    try:
        if isinstance(data, x509.Certificate):
            cert = data
        elif data.lstrip().startswith(b"-----BEGIN"):
            cert = x509.load_pem_x509_certificate(data)
        else:
            cert = x509.load_der_x509_certificate(data)
        # Extensions are parsed lazily; a duplicate or undecodable one is refused here, not mid-check.
        extensions = cert.extensions
    except (ValueError, x509.DuplicateExtension, x509.UnsupportedGeneralNameType) as exc:
        raise JpkiRefused(RefusalReason.MALFORMED, "not a well-formed X.509 certificate") from exc
    unknown = [e.oid.dotted_string for e in extensions if e.critical and e.oid not in _UNDERSTOOD_EXTENSIONS]
    if unknown:
        # RFC 5280 §4.2: a certificate with a critical extension the relying party does not process
        # must be rejected.
        raise JpkiRefused(RefusalReason.MALFORMED, "unrecognised critical extension " + ", ".join(unknown))
    return cert


def verify_signing_certificate(
    cert_pem_or_der: CertInput,
    chain: Sequence[CertInput],
    *,
    roots: Sequence[x509.Certificate],
    crls: Sequence[x509.CertificateRevocationList],
    now: datetime,
    require_crl: bool = True,
) -> SigningIdentity:
    """Verify a 署名用電子証明書 against the configured J-LIS roots and return its 基本4情報.

    Checks, in order: the path to a root (names, signatures, validity, CA constraints), the end-entity's
    validity, key usage (digitalSignature and nonRepudiation), policy (under the signing arc), key size,
    revocation on the issuer's CRL, and the presence of the 基本4情報. Raises JpkiRefused on the first
    failure. `require_crl=False` is for a library that checks revocation by OCSP only: a CRL that is
    given is still consulted, but its absence is not a refusal (the caller must then ask OCSP).
    """
    cert = load_certificate(cert_pem_or_der)
    _verify_end_entity(
        cert, chain, roots=roots, crls=crls, now=now, policy_arc=POLICY_ARC_SIGNING, require_crl=require_crl
    )
    _require_key_usage(cert, signing=True)
    return SigningIdentity(basic_four=read_basic_four(cert), certificate=certificate_ref(cert))


def verify_auth_certificate(
    cert_pem_or_der: CertInput,
    chain: Sequence[CertInput],
    *,
    roots: Sequence[x509.Certificate],
    crls: Sequence[x509.CertificateRevocationList],
    now: datetime,
    require_crl: bool = True,
) -> AuthIdentity:
    """Verify a 利用者証明用電子証明書 (later logins) and return its issuer and serial.

    The same path and revocation checks as the signing certificate, with key usage digitalSignature
    only and a policy under the user-authentication arc. It carries no 基本4情報; a patron is linked to
    it at registration, by serial, after the signing certificate has been verified in the same session.
    """
    cert = load_certificate(cert_pem_or_der)
    _verify_end_entity(
        cert, chain, roots=roots, crls=crls, now=now, policy_arc=POLICY_ARC_AUTH, require_crl=require_crl
    )
    _require_key_usage(cert, signing=False)
    return AuthIdentity(certificate=certificate_ref(cert))


def verify_nonce_signature(cert: x509.Certificate, nonce: bytes, signature: bytes) -> None:
    """Check that the card signed exactly `nonce`: RSA PKCS#1 v1.5 over SHA-256, as the JPKI-AP does.

    The card's COMPUTE DIGITAL SIGNATURE takes a DigestInfo the client built from SHA-256 and pads it
    with PKCS#1 v1.5, which is what `PKCS1v15()` with SHA256 verifies. BAD_SIGNATURE on any mismatch.
    """
    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise JpkiRefused(RefusalReason.WEAK_KEY, "not an RSA key")
    if not nonce:
        raise JpkiRefused(RefusalReason.BAD_SIGNATURE, "empty nonce")
    try:
        key.verify(signature, nonce, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature as exc:
        raise JpkiRefused(RefusalReason.BAD_SIGNATURE, "the nonce signature does not verify") from exc


def read_basic_four(cert: x509.Certificate) -> BasicFour:
    """The 基本4情報 from the subjectAltName otherName entries; MISSING_BASIC_FOUR if one is absent.

    Values are DER strings (UTF8String for name and address per the profile; sex and date of birth are
    ASCII digits, accepted as UTF8String or PrintableString). 生年月日 is either YYYYMMDD or one 元号 code
    digit followed by the Gregorian YYYYMMDD (the form seen in public implementations); the era digit
    is redundant and ignored. Each OID must appear at most once.
    """
    try:
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound as exc:
        raise JpkiRefused(RefusalReason.MISSING_BASIC_FOUR, "no subjectAltName") from exc
    except ValueError as exc:
        raise JpkiRefused(RefusalReason.MALFORMED, "unreadable extensions") from exc
    values: dict[x509.ObjectIdentifier, str] = {}
    for other in san.get_values_for_type(x509.OtherName):
        if other.type_id in values:
            raise JpkiRefused(RefusalReason.MALFORMED, f"{other.type_id.dotted_string} appears twice")
        values[other.type_id] = _der_string(other.value)
    missing = [
        oid.dotted_string
        for oid in (OID_NAME, OID_SEX, OID_DATE_OF_BIRTH, OID_ADDRESS)
        if not values.get(oid)
    ]
    if missing:
        raise JpkiRefused(RefusalReason.MISSING_BASIC_FOUR, "missing " + ", ".join(missing))
    try:
        sex = Sex(values[OID_SEX])
    except ValueError as exc:
        raise JpkiRefused(RefusalReason.MALFORMED, "unknown sex code") from exc
    return BasicFour(
        name=values[OID_NAME],
        name_alt=values.get(OID_NAME_ALT) or None,
        address=values[OID_ADDRESS],
        address_alt=values.get(OID_ADDRESS_ALT) or None,
        date_of_birth=_parse_date_of_birth(values[OID_DATE_OF_BIRTH]),
        sex=sex,
    )


def certificate_ref(cert: x509.Certificate) -> CertificateRef:
    """Issuer, serial, expiry and SHA-256 fingerprint: enough to link and later recognise a certificate."""
    return CertificateRef(
        issuer=cert.issuer.rfc4514_string(),
        serial=cert.serial_number,
        not_after=cert.not_valid_after_utc,
        sha256=cert.fingerprint(hashes.SHA256()).hex(),
    )


def _verify_end_entity(
    cert: x509.Certificate,
    chain: Sequence[CertInput],
    *,
    roots: Sequence[x509.Certificate],
    crls: Sequence[x509.CertificateRevocationList],
    now: datetime,
    policy_arc: str,
    require_crl: bool,
) -> None:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    intermediates = [load_certificate(c) for c in chain]
    path = _build_path(cert, intermediates, roots)
    _check_validity(cert, now)
    for ca in path[1:]:
        _check_validity(ca, now)
        _require_ca(ca)
    for child, parent in itertools.pairwise(path):
        try:
            child.verify_directly_issued_by(parent)
        except (InvalidSignature, ValueError, TypeError) as exc:
            raise JpkiRefused(RefusalReason.BAD_CHAIN_SIGNATURE, child.subject.rfc4514_string()) from exc
    _require_end_entity(cert)
    _require_policy(cert, policy_arc)
    _require_rsa(cert)
    _check_revocation(path, crls, now, require_crl=require_crl)


def certification_path(
    cert_pem_or_der: CertInput, chain: Sequence[CertInput], *, roots: Sequence[x509.Certificate]
) -> list[x509.Certificate]:
    """The certificate, then its issuers up to a configured root (names only: call after verifying).

    The OCSP request needs the issuer's name and key, so the service looks the issuer up here.
    """
    cert = load_certificate(cert_pem_or_der)
    return _build_path(cert, [load_certificate(c) for c in chain], roots)


def _build_path(
    cert: x509.Certificate, intermediates: Sequence[x509.Certificate], roots: Sequence[x509.Certificate]
) -> list[x509.Certificate]:
    """The path from `cert` up to one of `roots`, by issuer/subject names (signatures checked after)."""
    path = [cert]
    current = cert
    for _ in range(len(intermediates) + 1):
        root = _find_issuer(current, roots)
        if root is not None:
            path.append(root)
            return path
        parent = _find_issuer(current, intermediates)
        if parent is None or parent in path:
            break
        path.append(parent)
        current = parent
    raise JpkiRefused(RefusalReason.UNKNOWN_ISSUER, cert.issuer.rfc4514_string())


def _find_issuer(cert: x509.Certificate, candidates: Iterable[x509.Certificate]) -> x509.Certificate | None:
    # Two CA generations can share a name (J-LIS renews its CAs), so a name match is tried against the
    # signature before it is taken; if none verifies, the first name match is returned and the
    # signature check then refuses with BAD_CHAIN_SIGNATURE.
    named = [c for c in candidates if c.subject == cert.issuer]
    for candidate in named:
        try:
            cert.verify_directly_issued_by(candidate)
        except (InvalidSignature, ValueError, TypeError):
            continue
        return candidate
    return named[0] if named else None


def _check_validity(cert: x509.Certificate, now: datetime) -> None:
    if now < cert.not_valid_before_utc:
        raise JpkiRefused(RefusalReason.NOT_YET_VALID, cert.subject.rfc4514_string())
    if now > cert.not_valid_after_utc:
        raise JpkiRefused(RefusalReason.EXPIRED, cert.subject.rfc4514_string())


def _require_ca(cert: x509.Certificate) -> None:
    try:
        bc = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound as exc:
        raise JpkiRefused(RefusalReason.UNKNOWN_ISSUER, "issuer is not a CA") from exc
    if not bc.ca or not ku.key_cert_sign:
        raise JpkiRefused(RefusalReason.UNKNOWN_ISSUER, "issuer is not a CA")


def _require_end_entity(cert: x509.Certificate) -> None:
    try:
        bc = cert.extensions.get_extension_for_class(x509.BasicConstraints).value
    except x509.ExtensionNotFound:
        return
    if bc.ca:
        raise JpkiRefused(RefusalReason.WRONG_KEY_USAGE, "a CA certificate is not a card certificate")


def _require_key_usage(cert: x509.Certificate, *, signing: bool) -> None:
    """署名用: digitalSignature + nonRepudiation; 利用者証明用: digitalSignature without nonRepudiation."""
    try:
        ku = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound as exc:
        raise JpkiRefused(RefusalReason.WRONG_KEY_USAGE, "no keyUsage") from exc
    if not ku.digital_signature or ku.key_cert_sign or ku.crl_sign:
        raise JpkiRefused(RefusalReason.WRONG_KEY_USAGE, "not a card signing key")
    if ku.content_commitment != signing:
        which = "署名用" if signing else "利用者証明用"
        raise JpkiRefused(RefusalReason.WRONG_KEY_USAGE, f"not a {which} key usage")


def _require_policy(cert: x509.Certificate, arc: str) -> None:
    try:
        policies = cert.extensions.get_extension_for_class(x509.CertificatePolicies).value
    except x509.ExtensionNotFound as exc:
        raise JpkiRefused(RefusalReason.WRONG_POLICY, "no certificatePolicies") from exc
    if not any(p.policy_identifier.dotted_string.startswith(arc + ".") for p in policies):
        raise JpkiRefused(RefusalReason.WRONG_POLICY, f"no policy under {arc}")


def _require_rsa(cert: x509.Certificate) -> None:
    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey) or key.key_size < MIN_RSA_BITS:
        raise JpkiRefused(RefusalReason.WEAK_KEY, f"RSA {MIN_RSA_BITS} bits or more required")


def _current_crls(
    issuer: x509.Certificate, crls: Sequence[x509.CertificateRevocationList], now: datetime
) -> list[x509.CertificateRevocationList]:
    """The CRLs issued by `issuer` (name and signature) that are current at `now`."""
    return [
        crl
        for crl in crls
        if crl.issuer == issuer.subject
        and crl.is_signature_valid(issuer.public_key())  # type: ignore[arg-type]
        and crl.last_update_utc <= now
        and (crl.next_update_utc is None or now <= crl.next_update_utc)
    ]


def _check_revocation(
    path: Sequence[x509.Certificate],
    crls: Sequence[x509.CertificateRevocationList],
    now: datetime,
    *,
    require_crl: bool = True,
) -> None:
    """RFC 5280 §6.3: a current CRL signed by the end entity's issuer must not list it, and no
    current ARL from a CA's issuer may list a CA certificate on the path (a revoked link certificate).

    The end entity's CRL is required (unless `require_crl` is off for OCSP-only checking); an ARL is
    consulted when one is given, since J-LIS publishes it apart from the card CRLs and a library
    that trusts only the root, with no link certificates, never needs it.
    """
    cert, issuer = path[0], path[1]
    current = _current_crls(issuer, crls, now)
    if not current and require_crl:
        raise JpkiRefused(
            RefusalReason.REVOCATION_UNKNOWN, "no current CRL from " + issuer.subject.rfc4514_string()
        )
    for crl in current:
        if crl.get_revoked_certificate_by_serial_number(cert.serial_number) is not None:
            raise JpkiRefused(RefusalReason.REVOKED, f"serial {cert.serial_number}")
    for ca, parent in itertools.pairwise(path[1:]):
        for arl in _current_crls(parent, crls, now):
            if arl.get_revoked_certificate_by_serial_number(ca.serial_number) is not None:
                raise JpkiRefused(
                    RefusalReason.REVOKED, "CA certificate revoked: " + ca.subject.rfc4514_string()
                )


def is_listed_as_revoked(
    issuer: x509.Certificate, serial: int, crls: Sequence[x509.CertificateRevocationList], now: datetime
) -> bool | None:
    """Whether a current CRL from `issuer` lists `serial`; None when no current CRL is at hand.

    For certificates toshokan no longer holds (an old, linked one known by issuer and serial only).
    """
    current = _current_crls(issuer, crls, now)
    if not current:
        return None
    return any(crl.get_revoked_certificate_by_serial_number(serial) is not None for crl in current)


def _der_string(value: bytes) -> str:
    """Decode one DER UTF8String/PrintableString/IA5String (the otherName value) to text."""
    if len(value) < 2 or value[0] not in (0x0C, 0x13, 0x16):
        raise JpkiRefused(RefusalReason.MALFORMED, "otherName value is not a string")
    length, offset = value[1], 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or len(value) < 2 + count:
            raise JpkiRefused(RefusalReason.MALFORMED, "bad DER length")
        length, offset = int.from_bytes(value[2 : 2 + count], "big"), 2 + count
    if len(value) != offset + length:
        raise JpkiRefused(RefusalReason.MALFORMED, "bad DER length")
    try:
        return value[offset:].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JpkiRefused(RefusalReason.MALFORMED, "otherName value is not UTF-8") from exc


def _parse_date_of_birth(text: str) -> date:
    digits = text[1:] if len(text) == 9 else text
    if len(digits) != 8 or not digits.isdigit():
        raise JpkiRefused(RefusalReason.MALFORMED, "date of birth is not [E]YYYYMMDD")
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError as exc:
        raise JpkiRefused(RefusalReason.MALFORMED, "date of birth is not a date") from exc
