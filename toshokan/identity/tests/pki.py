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


# -- OCSP and a loopback server for CRLs and OCSP (the real HTTP peers of the revocation tests) ------


def ocsp_answer(
    issuer: Ca,
    request_der: bytes,
    *,
    status: str = "good",
    this_update: datetime | None = None,
    next_update: datetime | bool | None = None,
    echo_nonce: bool = True,
    signer: Ca | None = None,
    responder_certs: Sequence[x509.Certificate] = (),
) -> bytes:
    """A DER OCSP response from `issuer` (or a delegated `signer`) answering `request_der`."""
    from cryptography.x509 import ocsp

    request = ocsp.load_der_ocsp_request(request_der)
    this = this_update or NOW - timedelta(minutes=10)
    nxt: datetime | None
    if next_update is False:
        nxt = None
    elif next_update is None or next_update is True:
        nxt = this + timedelta(hours=12)
    else:
        nxt = next_update
    cert_status = {
        "good": ocsp.OCSPCertStatus.GOOD,
        "revoked": ocsp.OCSPCertStatus.REVOKED,
        "unknown": ocsp.OCSPCertStatus.UNKNOWN,
    }[status]
    signing = signer or issuer
    builder = (
        ocsp.OCSPResponseBuilder()
        .add_response_by_hash(
            issuer_name_hash=request.issuer_name_hash,
            issuer_key_hash=request.issuer_key_hash,
            serial_number=request.serial_number,
            algorithm=request.hash_algorithm,
            cert_status=cert_status,
            this_update=this,
            next_update=nxt,
            revocation_time=this - timedelta(days=1) if status == "revoked" else None,
            revocation_reason=None,
        )
        .responder_id(ocsp.OCSPResponderEncoding.HASH, signing.cert)
    )
    if responder_certs:
        builder = builder.certificates(list(responder_certs))
    if echo_nonce:
        try:
            nonce = request.extensions.get_extension_for_class(x509.OCSPNonce).value
            builder = builder.add_extension(nonce, critical=False)
        except x509.ExtensionNotFound:
            pass
    return builder.sign(signing.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def ocsp_responder_ca(issuer: Ca, *, eku: bool = True) -> Ca:
    """A delegated OCSP responder certificate issued by `issuer` (id-kp-OCSPSigning unless eku=False)."""
    k = key("ocsp-responder")
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "JPKI OCSP Responder")])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.name)
        .public_key(k.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=10))
        .not_valid_after(NOW + timedelta(days=300))
        .add_extension(_usage(digital_signature=True), critical=True)
    )
    if eku:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.OCSP_SIGNING]), critical=False
        )
    return Ca(builder.sign(issuer.key, hashes.SHA256()), k)


class Peers:
    """An HTTP server on loopback in a thread: serves CRLs by path and answers OCSP POSTs.

    `crls[path] = bytes` sets what GET path returns (a missing path is a 404); `ocsp_status[serial]`
    sets the answer for a serial ("good" unless set); `ocsp_options` are passed to `ocsp_answer`
    (this_update, next_update, echo_nonce, signer …); `requests` counts the GETs per path.
    """

    def __init__(self, issuers: Sequence[Ca]) -> None:
        import http.server
        import threading

        self.issuers = list(issuers)
        self.crls: dict[str, bytes] = {}
        self.ocsp_status: dict[int, str] = {}
        self.ocsp_options: dict[str, object] = {}
        self.requests: dict[str, int] = {}
        self.delay_s = 0.0
        peers = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                import time

                peers.requests[self.path] = peers.requests.get(self.path, 0) + 1
                if peers.delay_s:
                    time.sleep(peers.delay_s)
                body = peers.crls.get(self.path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/pkix-crl")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                from cryptography.x509 import ocsp

                length = int(self.headers.get("Content-Length", "0"))
                request_der = self.rfile.read(length)
                request = ocsp.load_der_ocsp_request(request_der)
                issuer = next(
                    ca
                    for ca in peers.issuers
                    if _sha1(ca.cert.subject.public_bytes()) == request.issuer_name_hash
                )
                body = ocsp_answer(
                    issuer,
                    request_der,
                    status=peers.ocsp_status.get(request.serial_number, "good"),
                    **peers.ocsp_options,  # type: ignore[arg-type]
                )
                self.send_response(200)
                self.send_header("Content-Type", "application/ocsp-response")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def publish_crl(self, path: str, revocation_list: x509.CertificateRevocationList) -> str:
        self.crls[path] = revocation_list.public_bytes(serialization.Encoding.DER)
        return self.base_url + path

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def _sha1(data: bytes) -> bytes:
    digest = hashes.Hash(hashes.SHA1())
    digest.update(data)
    return digest.finalize()
