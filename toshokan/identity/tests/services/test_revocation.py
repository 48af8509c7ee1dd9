"""Revocation against real peers on loopback: CRLs fetched over HTTP, and an OCSP responder."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from toshokan.identity import trust
from toshokan.identity.domain.jpki import JpkiRefused, RefusalReason
from toshokan.identity.tests import pki
from toshokan.identity.tests.conftest import NOW, Jpki, register, snapshot
from toshokan.patrons.models import Patron


def _crls_over_http(jpki: Jpki, peers: pki.Peers, **conf: Any) -> None:
    urls = [
        peers.publish_crl("/sign.crl", pki.crl(jpki.sign_ca, revoked=tuple(jpki.revoked_sign))),
        peers.publish_crl("/auth.crl", pki.crl(jpki.auth_ca)),
    ]
    jpki.settings.TOSHOKAN_JPKI = {**jpki.settings.TOSHOKAN_JPKI, "CRLS": urls, **conf}
    trust.forget_crls()


def test_a_crl_fetched_over_http_is_kept_until_its_next_update(jpki: Jpki, peers: pki.Peers) -> None:
    _crls_over_http(jpki, peers)
    register(jpki.card().bundle(jpki.challenge()))
    register(jpki.card("card-2", name="別人 次郎").bundle(jpki.challenge()))
    assert Patron.objects.count() == 2
    assert peers.requests["/sign.crl"] == 1
    # Past nextUpdate (two days after it was issued) the CRL is fetched again.
    later = NOW + timedelta(days=3)
    peers.publish_crl("/sign.crl", pki.crl(jpki.sign_ca, last=later - timedelta(hours=1)))
    peers.publish_crl("/auth.crl", pki.crl(jpki.auth_ca, last=later - timedelta(hours=1)))
    register(jpki.card("card-3", name="三人 三郎").bundle(jpki.challenge(now=later)), now=later)
    assert peers.requests["/sign.crl"] == 2


def test_a_revocation_on_a_crl_over_http_is_refused(jpki: Jpki, peers: pki.Peers) -> None:
    card = jpki.card()
    jpki.revoked_sign.append(card.sign.serial_number)
    _crls_over_http(jpki, peers)
    with pytest.raises(JpkiRefused) as refused:
        register(card.bundle(jpki.challenge()))
    assert refused.value.reason is RefusalReason.REVOKED


def test_an_unreachable_crl_refuses_and_says_why(jpki: Jpki, peers: pki.Peers) -> None:
    _crls_over_http(jpki, peers)
    del peers.crls["/sign.crl"]  # the distribution point answers 404
    before = snapshot()
    with pytest.raises(JpkiRefused) as refused:
        register(jpki.card().bundle(jpki.challenge()))
    assert refused.value.reason is RefusalReason.REVOCATION_UNKNOWN
    assert "/sign.crl could not be read" in str(refused.value)
    assert snapshot() == before


def test_a_crl_that_times_out_refuses(jpki: Jpki, peers: pki.Peers) -> None:
    _crls_over_http(jpki, peers, CRL_TIMEOUT_S=0.2)
    peers.delay_s = 1
    with pytest.raises(JpkiRefused) as refused:
        register(jpki.card().bundle(jpki.challenge()))
    assert refused.value.reason is RefusalReason.REVOCATION_UNKNOWN
    assert "timed out" in str(refused.value)


def test_a_crl_signed_by_another_key_is_not_used(jpki: Jpki, peers: pki.Peers) -> None:
    _crls_over_http(jpki, peers)
    peers.publish_crl("/sign.crl", pki.crl(pki.root("impostor-ca")))
    with pytest.raises(JpkiRefused) as refused:
        register(jpki.card().bundle(jpki.challenge()))
    assert refused.value.reason is RefusalReason.REVOCATION_UNKNOWN
    assert "not signed by a configured CA" in str(refused.value)


def test_a_stale_crl_over_http_refuses(jpki: Jpki, peers: pki.Peers) -> None:
    _crls_over_http(jpki, peers)
    peers.publish_crl("/sign.crl", pki.crl(jpki.sign_ca, last=NOW - timedelta(days=3)))
    with pytest.raises(JpkiRefused) as refused:
        register(jpki.card().bundle(jpki.challenge()))
    assert refused.value.reason is RefusalReason.REVOCATION_UNKNOWN
    assert "stale" in str(refused.value)


def test_a_revoked_link_certificate_on_the_arl_is_refused(jpki: Jpki) -> None:
    from cryptography.hazmat.primitives import serialization

    new_ca = pki.link("sign-ca-2", jpki.sign_ca)
    (jpki.folder / "link.pem").write_bytes(pki.pem(new_ca.cert))
    (jpki.folder / "new.crl").write_bytes(pki.crl(new_ca).public_bytes(serialization.Encoding.DER))
    conf = jpki.settings.TOSHOKAN_JPKI
    jpki.settings.TOSHOKAN_JPKI = {
        **conf,
        "CHAIN": [str(jpki.folder / "link.pem")],
        "CRLS": [*conf["CRLS"], str(jpki.folder / "new.crl")],
    }
    card = jpki.card()
    card.sign = pki.card_certificate(new_ca, holder="card-1")
    register(card.bundle(jpki.challenge(), auth=False))  # the link certificate is good: accepted
    Patron.objects.all().delete()
    jpki.revoked_sign.append(new_ca.cert.serial_number)  # the root's ARL lists the link certificate
    jpki.publish()
    with pytest.raises(JpkiRefused) as refused:
        register(card.bundle(jpki.challenge(), auth=False))
    assert refused.value.reason is RefusalReason.REVOKED
    assert "CA certificate revoked" in str(refused.value)


# -- OCSP -------------------------------------------------------------------------------------


def _ocsp(jpki: Jpki, peers: pki.Peers, **conf: Any) -> None:
    jpki.settings.TOSHOKAN_JPKI = {
        **jpki.settings.TOSHOKAN_JPKI,
        "OCSP_URL": peers.base_url + "/ocsp",
        **conf,
    }


def test_a_good_ocsp_answer_accepts(jpki: Jpki, peers: pki.Peers) -> None:
    _ocsp(jpki, peers)
    register(jpki.card().bundle(jpki.challenge()))
    assert Patron.objects.count() == 1


def test_ocsp_alone_without_crls_is_enough(jpki: Jpki, peers: pki.Peers) -> None:
    _ocsp(jpki, peers, CRLS=[])
    register(jpki.card().bundle(jpki.challenge()))
    assert Patron.objects.count() == 1


@pytest.mark.parametrize(
    ("status", "options", "reason", "says"),
    [
        ("revoked", {}, RefusalReason.REVOKED, "revoked"),
        ("unknown", {}, RefusalReason.REVOCATION_UNKNOWN, "does not know"),
        ("good", {"next_update": NOW - timedelta(minutes=1)}, RefusalReason.REVOCATION_UNKNOWN, "stale"),
        ("good", {"this_update": NOW + timedelta(hours=1)}, RefusalReason.REVOCATION_UNKNOWN, "future"),
        (
            "good",
            {"this_update": NOW - timedelta(hours=2), "next_update": False},
            RefusalReason.REVOCATION_UNKNOWN,
            "stale",
        ),
        ("good", {"echo_nonce": False}, RefusalReason.REVOCATION_UNKNOWN, "nonce"),
        ("good", {"signer": pki.root("impostor-ca")}, RefusalReason.REVOCATION_UNKNOWN, "signed by neither"),
    ],
    ids=[
        "revoked",
        "unknown",
        "past nextUpdate",
        "thisUpdate ahead",
        "old without nextUpdate",
        "no nonce",
        "wrong signer",
    ],
)
def test_a_bad_ocsp_answer_refuses_and_creates_nothing(
    jpki: Jpki, peers: pki.Peers, status: str, options: dict[str, Any], reason: RefusalReason, says: str
) -> None:
    _ocsp(jpki, peers)
    card = jpki.card()
    peers.ocsp_status[card.sign.serial_number] = status
    peers.ocsp_options.update(options)
    before = snapshot()
    with pytest.raises(JpkiRefused) as refused:
        register(card.bundle(jpki.challenge()))
    assert refused.value.reason is reason
    assert says in str(refused.value)
    assert snapshot() == before


def test_a_delegated_responder_needs_the_ocsp_signing_usage(jpki: Jpki, peers: pki.Peers) -> None:
    _ocsp(jpki, peers)
    responder = pki.ocsp_responder_ca(jpki.sign_ca)
    peers.ocsp_options.update(signer=responder, responder_certs=[responder.cert])
    register(jpki.card().bundle(jpki.challenge(), auth=False))
    assert Patron.objects.count() == 1
    no_eku = pki.ocsp_responder_ca(jpki.sign_ca, eku=False)
    peers.ocsp_options.update(signer=no_eku, responder_certs=[no_eku.cert])
    with pytest.raises(JpkiRefused) as refused:
        register(jpki.card("card-2", name="別人 次郎").bundle(jpki.challenge(), auth=False))
    assert "not for OCSP signing" in str(refused.value)


def test_an_unreachable_ocsp_responder_refuses(jpki: Jpki, peers: pki.Peers) -> None:
    _ocsp(jpki, peers, OCSP_URL="http://127.0.0.1:9/ocsp")
    with pytest.raises(JpkiRefused) as refused:
        register(jpki.card().bundle(jpki.challenge()))
    assert refused.value.reason is RefusalReason.REVOCATION_UNKNOWN
    assert "did not answer" in str(refused.value)
