"""OCSP (RFC 6960) for My Number card certificates: the request toshokan sends and how it reads the answer.

J-LIS runs an OCSP responder for 署名検証者 and 利用者証明検証者 (platform operators approved under
the JPKI Act), so a library reaches it through such an operator or not at all; where it is
configured, the answer is checked as RFC 6960 asks:

- the response is `successful` and answers for exactly this certificate (CertID: issuer name hash,
  issuer key hash and serial, RFC 6960 §4.1.1);
- it is signed by the issuing CA itself, or by a responder certificate the CA issued for the
  purpose (extendedKeyUsage id-kp-OCSPSigning, §4.2.2.2) and valid now;
- it is fresh: thisUpdate is not in the future (beyond a small clock skew) and nextUpdate, when
  given, is not past; without nextUpdate, thisUpdate must be recent (`max_age`);
- the nonce toshokan sent (§4.4.1) comes back unchanged, when the request carried one;
- certStatus `good` accepts; `revoked` refuses as revoked; `unknown` refuses as revocation unknown.

Built on `cryptography.x509.ocsp`, which parses and builds the messages but leaves the checks above to
the relying party. Pure: the caller fetches the response and passes `now`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID

from .jpki import JpkiRefused, RefusalReason

CLOCK_SKEW = timedelta(minutes=5)
MAX_AGE_WITHOUT_NEXT_UPDATE = timedelta(hours=1)


def build_request(cert: x509.Certificate, issuer: x509.Certificate, *, nonce: bytes | None) -> bytes:
    """The DER OCSPRequest for `cert`, with SHA-1 CertID hashes (what responders universally accept,
    RFC 5019 §2.1.1) and the nonce extension when one is given."""
    builder = ocsp.OCSPRequestBuilder().add_certificate(cert, issuer, hashes.SHA1())
    if nonce:
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    return builder.build().public_bytes(serialization.Encoding.DER)


def check_response(
    der: bytes,
    *,
    cert: x509.Certificate,
    issuer: x509.Certificate,
    now: datetime,
    nonce: bytes | None,
    max_age: timedelta = MAX_AGE_WITHOUT_NEXT_UPDATE,
) -> None:
    """Accept only a fresh, authentic `good` answer for `cert`; raise JpkiRefused otherwise."""
    try:
        response = ocsp.load_der_ocsp_response(der)
    except ValueError as exc:
        raise _unknown("the OCSP response is not DER OCSP") from exc
    if response.response_status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
        raise _unknown(f"the OCSP responder answered {response.response_status.name.lower()}")
    _check_cert_id(response, cert, issuer)
    _check_signature(response, issuer, now)
    this_update = response.this_update_utc
    next_update = response.next_update_utc
    if this_update > now + CLOCK_SKEW:
        raise _unknown("the OCSP response is from the future")
    if next_update is not None and now > next_update:
        raise _unknown("the OCSP response is stale (past nextUpdate)")
    if next_update is None and now - this_update > max_age:
        raise _unknown("the OCSP response is stale (no nextUpdate, thisUpdate too old)")
    if nonce is not None:
        try:
            echoed = response.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
        except x509.ExtensionNotFound as exc:
            raise _unknown("the OCSP response does not echo the request's nonce") from exc
        if echoed != nonce:
            raise _unknown("the OCSP response's nonce is not the request's (a replayed answer)")
    status = response.certificate_status
    if status is ocsp.OCSPCertStatus.REVOKED:
        raise JpkiRefused(RefusalReason.REVOKED, f"OCSP: serial {cert.serial_number} is revoked")
    if status is not ocsp.OCSPCertStatus.GOOD:
        raise _unknown(f"OCSP: the responder does not know serial {cert.serial_number}")


def _unknown(detail: str) -> JpkiRefused:
    return JpkiRefused(RefusalReason.REVOCATION_UNKNOWN, detail)


def _check_cert_id(response: ocsp.OCSPResponse, cert: x509.Certificate, issuer: x509.Certificate) -> None:
    algorithm = response.hash_algorithm
    name_hash = hashes.Hash(algorithm)
    name_hash.update(issuer.subject.public_bytes())
    key_hash = hashes.Hash(algorithm)
    key_hash.update(_subject_public_key(issuer))
    if (
        response.serial_number != cert.serial_number
        or response.issuer_name_hash != name_hash.finalize()
        or response.issuer_key_hash != key_hash.finalize()
    ):
        raise _unknown("the OCSP response is for another certificate")


def _subject_public_key(cert: x509.Certificate) -> bytes:
    """The BIT STRING contents of subjectPublicKey (what the CertID key hash is taken over)."""
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    if isinstance(key, ec.EllipticCurvePublicKey):
        return key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    raise _unknown("unsupported issuer key type")


def _check_signature(response: ocsp.OCSPResponse, issuer: x509.Certificate, now: datetime) -> None:
    signer = issuer if _is_responder(response, issuer) else _delegated_responder(response, issuer, now)
    key = signer.public_key()
    algorithm = response.signature_hash_algorithm
    if algorithm is None:
        raise _unknown("the OCSP response's signature algorithm is not supported")
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(response.signature, response.tbs_response_bytes, padding.PKCS1v15(), algorithm)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(response.signature, response.tbs_response_bytes, ec.ECDSA(algorithm))
        else:
            raise _unknown("unsupported OCSP responder key type")
    except InvalidSignature as exc:
        raise _unknown("the OCSP response's signature does not verify") from exc


def _is_responder(response: ocsp.OCSPResponse, cert: x509.Certificate) -> bool:
    if response.responder_name is not None:
        return response.responder_name == cert.subject
    digest = hashes.Hash(hashes.SHA1())
    digest.update(_subject_public_key(cert))
    return response.responder_key_hash == digest.finalize()


def _delegated_responder(
    response: ocsp.OCSPResponse, issuer: x509.Certificate, now: datetime
) -> x509.Certificate:
    """A responder certificate carried in the response: issued by the CA, for OCSP signing, valid now."""
    for candidate in response.certificates:
        if not _is_responder(response, candidate):
            continue
        try:
            candidate.verify_directly_issued_by(issuer)
        except (InvalidSignature, ValueError, TypeError) as exc:
            raise _unknown("the OCSP responder is not authorised by the issuing CA") from exc
        try:
            usage = candidate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except x509.ExtensionNotFound:
            usage = x509.ExtendedKeyUsage([])
        if ExtendedKeyUsageOID.OCSP_SIGNING not in usage:
            raise _unknown("the OCSP responder certificate is not for OCSP signing")
        if not candidate.not_valid_before_utc <= now <= candidate.not_valid_after_utc:
            raise _unknown("the OCSP responder certificate is not valid now")
        return candidate
    raise _unknown("the OCSP response is signed by neither the CA nor a responder it authorised")
