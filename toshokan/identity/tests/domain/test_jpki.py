"""JPKI verification against the test PKI (toshokan/identity/tests/pki.py): no database, no network."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from cryptography import x509

from toshokan.identity.domain import jpki
from toshokan.identity.domain.jpki import RefusalReason
from toshokan.identity.tests import pki

NOW = pki.NOW


def verify_signing(
    cert: x509.Certificate, chain: tuple[x509.Certificate, ...] = (), *, roots=None, crls=None, now=NOW
):
    root = pki.root()
    return jpki.verify_signing_certificate(
        pki.pem(cert),
        list(chain),
        roots=roots if roots is not None else [root.cert],
        crls=crls if crls is not None else [pki.crl(root)],
        now=now,
    )


def test_a_valid_signing_certificate_gives_its_basic_four() -> None:
    cert = pki.card_certificate(pki.root(), serial=1001)
    identity = verify_signing(cert)
    assert identity.basic_four == jpki.BasicFour(
        name="図書 花子",
        name_alt=None,
        address="東京都千代田区永田町一丁目10番1号",
        address_alt=None,
        date_of_birth=pki.BIRTHDAY,
        sex=jpki.Sex.FEMALE,
    )
    assert identity.certificate.serial == 1001
    assert "OU=JPKI for digital signature" in identity.certificate.issuer


def test_der_is_accepted_as_well_as_pem() -> None:
    cert = pki.card_certificate(pki.root())
    root = pki.root()
    identity = jpki.verify_signing_certificate(
        pki.der(cert), [], roots=[root.cert], crls=[pki.crl(root)], now=NOW
    )
    assert identity.basic_four.sex is jpki.Sex.FEMALE


def test_a_card_issued_under_a_link_certificate_chains_to_the_old_root() -> None:
    root = pki.root()
    new_ca = pki.link("sign-ca-2", root)
    cert = pki.card_certificate(new_ca, serial=5)
    identity = jpki.verify_signing_certificate(
        pki.pem(cert), [pki.pem(new_ca.cert)], roots=[root.cert], crls=[pki.crl(new_ca)], now=NOW
    )
    assert identity.certificate.serial == 5


def test_name_alt_and_an_eight_digit_date_of_birth_are_read() -> None:
    san = pki.basic_four_names(name="髙橋 太郎", name_alt="高橋 太郎", date_of_birth="19851231", sex="1")
    four = verify_signing(pki.card_certificate(pki.root(), san=san)).basic_four
    assert (four.name, four.name_alt, four.date_of_birth, four.sex) == (
        "髙橋 太郎",
        "高橋 太郎",
        date(1985, 12, 31),
        jpki.Sex.MALE,
    )


def _other_root_same_name() -> pki.Ca:
    return pki.root("impostor-ca")  # same J-LIS name, a different key


def _other_root_other_name() -> pki.Ca:
    return pki.root("other-ca", org="NOT JPKI")


REFUSALS: list[tuple[str, Callable[[], dict[str, Any]], RefusalReason]] = [
    (
        "expired",
        lambda: {"cert": pki.card_certificate(pki.root(), not_before=NOW - timedelta(days=5 * 365 + 1))},
        RefusalReason.EXPIRED,
    ),
    (
        "not yet valid",
        lambda: {"cert": pki.card_certificate(pki.root(), not_before=NOW + timedelta(hours=1))},
        RefusalReason.NOT_YET_VALID,
    ),
    (
        "revoked on the CRL",
        lambda: {
            "cert": pki.card_certificate(pki.root(), serial=666),
            "crls": [pki.crl(pki.root(), revoked=(665, 666))],
        },
        RefusalReason.REVOKED,
    ),
    (
        "issued under another root with J-LIS's name",
        lambda: {"cert": pki.card_certificate(_other_root_same_name())},
        RefusalReason.BAD_CHAIN_SIGNATURE,
    ),
    (
        "issued under another root",
        lambda: {"cert": pki.card_certificate(_other_root_other_name())},
        RefusalReason.UNKNOWN_ISSUER,
    ),
    (
        "the link certificate is missing from the chain",
        lambda: {"cert": pki.card_certificate(pki.link("sign-ca-2", pki.root()))},
        RefusalReason.UNKNOWN_ISSUER,
    ),
    (
        "key usage without nonRepudiation",
        lambda: {"cert": pki.card_certificate(pki.root(), usage=pki.AUTH_USAGE)},
        RefusalReason.WRONG_KEY_USAGE,
    ),
    (
        "key usage for encipherment",
        lambda: {"cert": pki.card_certificate(pki.root(), usage={"key_encipherment": True})},
        RefusalReason.WRONG_KEY_USAGE,
    ),
    (
        "the CA certificate itself",
        lambda: {"cert": pki.root().cert},
        RefusalReason.WRONG_KEY_USAGE,
    ),
    (
        "a user-authentication policy",
        lambda: {"cert": pki.card_certificate(pki.root(), policy=pki.AUTH_POLICY)},
        RefusalReason.WRONG_POLICY,
    ),
    (
        "an RSA-1024 key",
        lambda: {"cert": pki.card_certificate(pki.root(), holder="weak", bits=1024)},
        RefusalReason.WEAK_KEY,
    ),
    (
        "no CRL",
        lambda: {"cert": pki.card_certificate(pki.root()), "crls": []},
        RefusalReason.REVOCATION_UNKNOWN,
    ),
    (
        "a stale CRL",
        lambda: {
            "cert": pki.card_certificate(pki.root()),
            "crls": [pki.crl(pki.root(), last=NOW - timedelta(days=3))],
        },
        RefusalReason.REVOCATION_UNKNOWN,
    ),
    (
        "a CRL signed by another key",
        lambda: {"cert": pki.card_certificate(pki.root()), "crls": [pki.crl(_other_root_same_name())]},
        RefusalReason.REVOCATION_UNKNOWN,
    ),
    (
        "no subjectAltName",
        lambda: {"cert": pki.card_certificate(pki.root(), san=[])},
        RefusalReason.MISSING_BASIC_FOUR,
    ),
    (
        "no address",
        lambda: {
            "cert": pki.card_certificate(pki.root(), san=pki.basic_four_names(omit=(jpki.OID_ADDRESS,)))
        },
        RefusalReason.MISSING_BASIC_FOUR,
    ),
    (
        "no date of birth",
        lambda: {
            "cert": pki.card_certificate(pki.root(), san=pki.basic_four_names(omit=(jpki.OID_DATE_OF_BIRTH,)))
        },
        RefusalReason.MISSING_BASIC_FOUR,
    ),
    (
        "a date of birth that is no date",
        lambda: {
            "cert": pki.card_certificate(pki.root(), san=pki.basic_four_names(date_of_birth="419901302"))
        },
        RefusalReason.MALFORMED,
    ),
    (
        "an unknown sex code",
        lambda: {"cert": pki.card_certificate(pki.root(), san=pki.basic_four_names(sex="9"))},
        RefusalReason.MALFORMED,
    ),
]


@pytest.mark.parametrize(("case", "make", "reason"), REFUSALS, ids=[r[0] for r in REFUSALS])
def test_a_bad_signing_certificate_is_refused_with_its_reason(
    case: str, make: Callable[[], dict[str, Any]], reason: RefusalReason
) -> None:
    with pytest.raises(jpki.JpkiRefused) as refused:
        verify_signing(**make())
    assert refused.value.reason is reason


def test_bytes_that_are_no_certificate_are_malformed() -> None:
    root = pki.root()
    with pytest.raises(jpki.JpkiRefused) as refused:
        jpki.verify_signing_certificate(
            b"not a certificate", [], roots=[root.cert], crls=[pki.crl(root)], now=NOW
        )
    assert refused.value.reason is RefusalReason.MALFORMED


def test_an_unrecognised_critical_extension_is_refused() -> None:
    root = pki.root()
    cert = pki.card_certificate(
        root, extra=[x509.UnrecognizedExtension(x509.ObjectIdentifier("1.2.3.4.5"), b"\x05\x00")]
    )
    with pytest.raises(jpki.JpkiRefused) as refused:
        verify_signing(cert)
    assert refused.value.reason is RefusalReason.MALFORMED


def test_a_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        verify_signing(pki.card_certificate(pki.root()), now=NOW.replace(tzinfo=None))


# The nonce signature: the card signs the server's nonce; a tampered or replayed signature is refused.


def test_the_cards_signature_over_the_nonce_verifies() -> None:
    cert = pki.card_certificate(pki.root())
    nonce = b"toshokan-registration:" + bytes(range(32))
    jpki.verify_nonce_signature(cert, nonce, pki.sign_nonce("card-1", nonce))


SIGNATURE_REFUSALS = [
    ("a tampered signature", lambda sig, nonce: (nonce, bytes([sig[0] ^ 1]) + sig[1:])),
    (
        "a signature over another nonce (replayed from an earlier session)",
        lambda sig, nonce: (b"fresh" + nonce, sig),
    ),
    ("a truncated signature", lambda sig, nonce: (nonce, sig[:-1])),
    ("an empty nonce", lambda sig, nonce: (b"", sig)),
]


@pytest.mark.parametrize(("case", "tamper"), SIGNATURE_REFUSALS, ids=[r[0] for r in SIGNATURE_REFUSALS])
def test_a_bad_nonce_signature_is_refused(
    case: str, tamper: Callable[[bytes, bytes], tuple[bytes, bytes]]
) -> None:
    cert = pki.card_certificate(pki.root())
    nonce = bytes(range(32))
    checked_nonce, signature = tamper(pki.sign_nonce("card-1", nonce), nonce)
    with pytest.raises(jpki.JpkiRefused) as refused:
        jpki.verify_nonce_signature(cert, checked_nonce, signature)
    assert refused.value.reason is RefusalReason.BAD_SIGNATURE


def test_a_signature_by_another_card_is_refused() -> None:
    cert = pki.card_certificate(pki.root())
    nonce = bytes(32)
    with pytest.raises(jpki.JpkiRefused) as refused:
        jpki.verify_nonce_signature(cert, nonce, pki.sign_nonce("card-2", nonce))
    assert refused.value.reason is RefusalReason.BAD_SIGNATURE


# The user-authentication certificate (利用者証明用): no personal data, known by issuer and serial.


def verify_auth(cert: x509.Certificate, *, crls=None):
    root = pki.root("auth-ca", pki.AUTH_OU)
    return jpki.verify_auth_certificate(
        pki.pem(cert), [], roots=[root.cert], crls=crls if crls is not None else [pki.crl(root)], now=NOW
    )


def test_a_valid_auth_certificate_gives_its_issuer_and_serial() -> None:
    cert = pki.card_certificate(
        pki.root("auth-ca", pki.AUTH_OU), signing=False, holder="card-1-auth", serial=42
    )
    identity = verify_auth(cert)
    assert identity.certificate.serial == 42
    assert "OU=JPKI for user authentication" in identity.certificate.issuer
    assert not cert.subject.get_attributes_for_oid(x509.NameOID.LOCALITY_NAME)


def test_a_revoked_auth_certificate_is_refused() -> None:
    auth_ca = pki.root("auth-ca", pki.AUTH_OU)
    cert = pki.card_certificate(auth_ca, signing=False, holder="card-1-auth", serial=43)
    with pytest.raises(jpki.JpkiRefused) as refused:
        verify_auth(cert, crls=[pki.crl(auth_ca, revoked=(43,))])
    assert refused.value.reason is RefusalReason.REVOKED


def test_a_signing_certificate_is_not_accepted_as_an_auth_certificate() -> None:
    auth_ca = pki.root("auth-ca", pki.AUTH_OU)
    cert = pki.card_certificate(auth_ca, signing=True, policy=pki.AUTH_POLICY)
    with pytest.raises(jpki.JpkiRefused) as refused:
        verify_auth(cert)
    assert refused.value.reason is RefusalReason.WRONG_KEY_USAGE


def test_a_signing_ca_card_is_not_an_auth_certificate() -> None:
    with pytest.raises(jpki.JpkiRefused) as refused:
        verify_auth(pki.card_certificate(pki.root()))
    assert refused.value.reason is RefusalReason.UNKNOWN_ISSUER


def test_the_identities_have_no_place_for_an_individual_number() -> None:
    fields = {
        f.name
        for cls in (jpki.BasicFour, jpki.CertificateRef, jpki.SigningIdentity, jpki.AuthIdentity)
        for f in dataclasses.fields(cls)
    }
    assert fields == {
        "name",
        "name_alt",
        "address",
        "address_alt",
        "date_of_birth",
        "sex",
        "issuer",
        "serial",
        "not_after",
        "sha256",
        "basic_four",
        "certificate",
    }
