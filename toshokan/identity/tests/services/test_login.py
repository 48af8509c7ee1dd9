"""Login with the user-authentication certificate, linking it later, and what is never kept."""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest
from django.apps import apps
from django.db import close_old_connections, models

from toshokan.identity import services
from toshokan.identity.domain import mynumber
from toshokan.identity.domain.jpki import JpkiRefused, RefusalReason
from toshokan.identity.models import CertificateKind, CertificateLink, Challenge, ChallengePurpose
from toshokan.identity.tests.conftest import NOW, Jpki, register
from toshokan.patrons.tests import factories as patron_factories


def log_in(bundle: dict[str, Any]) -> Any:
    return services.log_in_with_card(bundle=services.parse_bundle(bundle, signing=False, auth=True), now=NOW)


def test_the_auth_certificate_linked_at_registration_logs_in(jpki: Jpki) -> None:
    card = jpki.card()
    patron = register(card.bundle(jpki.challenge())).patron
    assert log_in(card.bundle(jpki.challenge(ChallengePurpose.LOGIN), signing=False)).pk == patron.pk


def test_an_auth_certificate_linked_to_nobody_is_refused(jpki: Jpki) -> None:
    card = jpki.card()
    register(card.bundle(jpki.challenge(), auth=False))
    with pytest.raises(services.NotLinked):
        log_in(card.bundle(jpki.challenge(ChallengePurpose.LOGIN), signing=False))


def test_a_login_signature_by_another_key_is_refused(jpki: Jpki) -> None:
    card = jpki.card()
    register(card.bundle(jpki.challenge()))
    bundle = card.bundle(jpki.challenge(ChallengePurpose.LOGIN), signing=False)
    bundle["auth_signature"] = jpki.card("card-2").bundle(bundle["nonce"], signing=False)["auth_signature"]
    with pytest.raises(JpkiRefused) as refused:
        log_in(bundle)
    assert refused.value.reason is RefusalReason.BAD_SIGNATURE


def test_a_signing_certificate_cannot_stand_in_for_the_auth_certificate(jpki: Jpki) -> None:
    card = jpki.card()
    register(card.bundle(jpki.challenge()))
    bundle = card.bundle(jpki.challenge(ChallengePurpose.LOGIN))
    bundle["auth_certificate"], bundle["auth_signature"] = bundle["signing_certificate"], bundle["signature"]
    with pytest.raises(JpkiRefused) as refused:
        log_in(bundle)
    assert refused.value.reason is RefusalReason.WRONG_POLICY  # a signing policy, not an authentication one


def test_a_login_nonce_is_used_once(jpki: Jpki) -> None:
    card = jpki.card()
    register(card.bundle(jpki.challenge()))
    bundle = card.bundle(jpki.challenge(ChallengePurpose.LOGIN), signing=False)
    log_in(bundle)
    with pytest.raises(services.ChallengeRefused) as refused:
        log_in(bundle)
    assert refused.value.code == "nonce_used"


def test_after_renewal_the_new_card_logs_in_and_the_revoked_old_one_does_not(jpki: Jpki) -> None:
    old = jpki.card()
    patron = register(old.bundle(jpki.challenge())).patron
    jpki.revoke(old.sign)
    jpki.revoke(old.auth)  # a reissued card: both certificates revoked
    new = jpki.card("card-1-new")
    assert register(new.bundle(jpki.challenge())).outcome is services.Outcome.RELINKED
    assert log_in(new.bundle(jpki.challenge(ChallengePurpose.LOGIN), signing=False)).pk == patron.pk
    with pytest.raises(JpkiRefused) as refused:
        log_in(old.bundle(jpki.challenge(ChallengePurpose.LOGIN), signing=False))
    assert refused.value.reason is RefusalReason.REVOKED
    kinds = CertificateLink.objects.filter(patron=patron).values_list("kind", "ended_at")
    assert sorted((k, e is None) for k, e in kinds) == [
        (CertificateKind.AUTH, False),
        (CertificateKind.AUTH, True),
        (CertificateKind.SIGN, False),
        (CertificateKind.SIGN, True),
    ]


def test_a_patron_registered_at_the_desk_links_the_card_for_later_logins(jpki: Jpki) -> None:
    patron = patron_factories.patron()
    card = jpki.card()
    services.link_auth_certificate(
        patron=patron,
        bundle=services.parse_bundle(
            card.bundle(jpki.challenge(ChallengePurpose.LINK), signing=False), signing=False, auth=True
        ),
        now=NOW,
    )
    assert log_in(card.bundle(jpki.challenge(ChallengePurpose.LOGIN), signing=False)).pk == patron.pk


def test_an_auth_certificate_linked_to_one_patron_cannot_be_linked_to_another(jpki: Jpki) -> None:
    card = jpki.card()
    register(card.bundle(jpki.challenge()))
    other = patron_factories.patron("別人")
    with pytest.raises(services.IdentityConflict):
        services.link_auth_certificate(
            patron=other,
            bundle=services.parse_bundle(
                card.bundle(jpki.challenge(ChallengePurpose.LINK), signing=False), signing=False, auth=True
            ),
            now=NOW,
        )


# -- the Individual Number ------------------------------------------------------------------------

INDIVIDUAL_NUMBER = "123456789018"  # a well-formed (made-up) 個人番号: its check digit is right


def test_the_made_up_number_is_a_well_formed_individual_number() -> None:
    assert mynumber.is_individual_number(INDIVIDUAL_NUMBER)
    assert not mynumber.is_individual_number("123456789012")
    assert mynumber.contains_individual_number("１２３４ ５６７８ ９０１８")


def _everything_stored() -> str:
    """Every text value in every table toshokan has."""
    out = []
    for model in apps.get_models():
        fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField | models.TextField | models.JSONField)
        ]
        if fields:
            out += [str(v) for row in model._default_manager.values_list(*fields) for v in row]
    return "\n".join(out)


def test_a_bundle_with_an_individual_number_in_any_field_keeps_it_nowhere(
    jpki: Jpki, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    card = jpki.card()
    bundle = card.bundle(
        jpki.challenge(),
        individual_number=INDIVIDUAL_NUMBER,
        my_number=INDIVIDUAL_NUMBER,
        kojin_bango={"number": INDIVIDUAL_NUMBER},
    )
    result = register(bundle)
    assert result.outcome is services.Outcome.REGISTERED
    # Typed into the one free field, it is refused rather than kept.
    with pytest.raises(services.IndividualNumberRefused):
        register(
            jpki.card("card-2", name="別人 次郎").bundle(jpki.challenge()),
            email=f"{INDIVIDUAL_NUMBER}@example.jp",
        )
    with pytest.raises(services.IndividualNumberRefused):
        register(
            jpki.card("card-3", name="三人 三郎").bundle(jpki.challenge()),
            workplace_address=f"東京都千代田区{INDIVIDUAL_NUMBER}",
        )
    assert INDIVIDUAL_NUMBER not in _everything_stored()
    assert INDIVIDUAL_NUMBER not in caplog.text
    assert all(INDIVIDUAL_NUMBER not in str(r.args) for r in caplog.records)


# -- two requests with one nonce --------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_requests_with_the_same_nonce_cannot_both_succeed(jpki: Jpki) -> None:
    nonce = jpki.challenge()
    results: list[str] = []
    barrier = threading.Barrier(4)

    def attempt() -> None:
        try:
            barrier.wait()
            services.consume_challenge(nonce=nonce, purpose=ChallengePurpose.REGISTER, now=NOW)
            results.append("ok")
        except services.ChallengeRefused as refused:
            results.append(refused.code)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=attempt) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["nonce_used", "nonce_used", "nonce_used", "ok"]
    assert Challenge.objects.get().consumed_at == NOW


def test_only_a_hash_of_the_nonce_is_kept(jpki: Jpki) -> None:
    nonce = jpki.challenge()
    assert nonce not in _everything_stored()
