"""Registration with the My Number card, end to end through the services, on a real database."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest

from toshokan.identity import services
from toshokan.identity.domain.jpki import JpkiRefused, RefusalReason
from toshokan.identity.models import CertificateKind, CertificateLink, ChallengePurpose, LinkEnd
from toshokan.identity.tests import pki
from toshokan.identity.tests.conftest import NOW, Jpki, register, snapshot
from toshokan.patrons.domain.cards import is_valid_card_number
from toshokan.patrons.domain.enums import PatronCategory, Residency
from toshokan.patrons.models import Patron


def test_a_valid_card_makes_a_member_in_one_step(jpki: Jpki) -> None:
    card = jpki.card()
    result = register(card.bundle(jpki.challenge()), email="hanako@example.jp")
    patron = Patron.objects.get()
    assert result.outcome is services.Outcome.REGISTERED
    assert result.patron == patron and result.auth_linked
    assert is_valid_card_number(patron.card_number)
    assert (patron.family_name, patron.given_name) == ("図書", "花子")
    assert patron.address == "東京都千代田区永田町一丁目10番1号"
    assert patron.birth_date == date(1990, 1, 2)
    assert patron.residency == Residency.RESIDENT and patron.category == PatronCategory.ADULT
    assert patron.email == "hanako@example.jp" and patron.pin_hash == ""
    if hasattr(patron, "status"):
        assert patron.status == "full"
    links = {link.kind: link for link in CertificateLink.objects.filter(patron=patron)}
    assert links[CertificateKind.SIGN].serial == str(card.sign.serial_number)
    assert links[CertificateKind.AUTH].serial == str(card.auth.serial_number)
    assert "JPKI for digital signature" in links[CertificateKind.SIGN].issuer
    assert all(link.ended_at is None and link.linked_at == NOW for link in links.values())


def test_a_child_is_registered_in_the_child_category(jpki: Jpki) -> None:
    # 15 and still at junior high school: old enough to register online, a 児童 by the rules.
    card = jpki.card(date_of_birth="420110402")
    register(card.bundle(jpki.challenge()))
    assert Patron.objects.get().category == PatronCategory.CHILD


def test_the_patron_types_nothing_and_may_set_a_pin_afterwards(jpki: Jpki) -> None:
    from toshokan.patrons import services as patron_services

    patron = register(jpki.card().bundle(jpki.challenge())).patron
    patron_services.set_pin(patron=patron, pin="2580")
    assert patron_services.authenticate(card_number=patron.card_number, pin="2580").pk == patron.pk


def _replayed(jpki: Jpki) -> dict[str, Any]:
    nonce = jpki.challenge()
    register(jpki.card("card-9", name="別人 太郎").bundle(nonce))
    return jpki.card().bundle(nonce)


def _other_nonce(jpki: Jpki) -> dict[str, Any]:
    bundle = jpki.card().bundle(jpki.challenge())
    bundle["nonce"] = jpki.challenge()
    return bundle


def _expired_nonce(jpki: Jpki) -> dict[str, Any]:
    return jpki.card().bundle(jpki.challenge(now=NOW - timedelta(seconds=301)))


def _tampered(jpki: Jpki) -> dict[str, Any]:
    bundle = jpki.card().bundle(jpki.challenge())
    sig = bytearray(__import__("base64").b64decode(bundle["signature"]))
    sig[10] ^= 1
    bundle["signature"] = __import__("base64").b64encode(bytes(sig)).decode()
    return bundle


def _revoked(jpki: Jpki) -> dict[str, Any]:
    card = jpki.card()
    jpki.revoke(card.sign)
    return card.bundle(jpki.challenge())


def _unknown_root(jpki: Jpki) -> dict[str, Any]:
    other = pki.root("other-ca", org="NOT JPKI")
    card = jpki.card()
    card.sign = pki.card_certificate(other, holder="card-1")
    return card.bundle(jpki.challenge())


# (case, bundle maker, the refusal: an error class and its reason or code)
BAD_CASES: list[tuple[str, Callable[[Jpki], dict[str, Any]], type[Exception], str]] = [
    (
        "expired",
        lambda j: j.card(not_before=NOW - timedelta(days=5 * 365 + 1)).bundle(j.challenge()),
        JpkiRefused,
        RefusalReason.EXPIRED,
    ),
    (
        "not yet valid",
        lambda j: j.card(not_before=NOW + timedelta(hours=1)).bundle(j.challenge()),
        JpkiRefused,
        RefusalReason.NOT_YET_VALID,
    ),
    ("revoked by CRL", _revoked, JpkiRefused, RefusalReason.REVOKED),
    ("unknown root", _unknown_root, JpkiRefused, RefusalReason.UNKNOWN_ISSUER),
    (
        "wrong key usage",
        lambda j: j.card(usage=pki.AUTH_USAGE).bundle(j.challenge()),
        JpkiRefused,
        RefusalReason.WRONG_KEY_USAGE,
    ),
    ("tampered signature", _tampered, JpkiRefused, RefusalReason.BAD_SIGNATURE),
    ("signature over another nonce", _other_nonce, JpkiRefused, RefusalReason.BAD_SIGNATURE),
    ("replayed nonce", _replayed, services.ChallengeRefused, "nonce_used"),
    ("expired nonce", _expired_nonce, services.ChallengeRefused, "nonce_expired"),
    (
        "nonce never issued",
        lambda j: j.card().bundle("made-up-nonce"),
        services.ChallengeRefused,
        "nonce_unknown",
    ),
    (
        "a login nonce used to register",
        lambda j: j.card().bundle(j.challenge(ChallengePurpose.LOGIN)),
        services.ChallengeRefused,
        "nonce_purpose",
    ),
    (
        "an address outside the area",
        lambda j: j.card(address="大阪府大阪市北区梅田一丁目1番1号").bundle(j.challenge()),
        services.Ineligible,
        "ineligible",
    ),
    (
        "under the age for registering online",
        lambda j: j.card(date_of_birth="420150601").bundle(j.challenge()),
        services.Ineligible,
        "ineligible",
    ),
    (
        "a stale CRL",
        lambda j: (j.settings.__setattr__("TOSHOKAN_JPKI", {**j.settings.TOSHOKAN_JPKI}), _stale_crl(j))[1],
        JpkiRefused,
        RefusalReason.REVOCATION_UNKNOWN,
    ),
]


def _stale_crl(jpki: Jpki) -> dict[str, Any]:
    from cryptography.hazmat.primitives import serialization

    stale = pki.crl(jpki.sign_ca, last=NOW - timedelta(days=3))
    (jpki.folder / "sign.crl").write_bytes(stale.public_bytes(serialization.Encoding.DER))
    from toshokan.identity import trust

    trust.forget_crls()
    return jpki.card().bundle(jpki.challenge())


@pytest.mark.parametrize(("case", "make", "error", "reason"), BAD_CASES, ids=[c[0] for c in BAD_CASES])
def test_a_bad_case_is_refused_clearly_and_creates_nothing(
    jpki: Jpki, case: str, make: Callable[[Jpki], dict[str, Any]], error: type[Exception], reason: str
) -> None:
    bundle = make(jpki)
    before = snapshot()
    with pytest.raises(error) as refused:
        register(bundle)
    got = getattr(refused.value, "reason", None) or refused.value.code  # type: ignore[attr-defined]
    assert got == reason
    assert str(refused.value)
    assert snapshot() == before


def test_an_ineligible_address_says_why(jpki: Jpki) -> None:
    with pytest.raises(services.Ineligible) as refused:
        register(jpki.card(address="大阪府大阪市北区梅田一丁目1番1号").bundle(jpki.challenge()))
    assert refused.value.refusals == ("workplace_required",)
    assert "勤務先" in str(refused.value)


def test_someone_from_outside_who_works_in_the_area_registers_as_a_commuter(jpki: Jpki) -> None:
    card = jpki.card(address="大阪府大阪市北区梅田一丁目1番1号")
    register(card.bundle(jpki.challenge()), workplace_address="東京都千代田区丸の内1-1")
    assert Patron.objects.get().residency == Residency.COMMUTER


def test_a_refused_nonce_cannot_be_used_again(jpki: Jpki) -> None:
    nonce = jpki.challenge()
    card = jpki.card()
    bad = card.bundle(nonce)
    bad["signature"] = card.bundle(jpki.challenge())["signature"]
    with pytest.raises(JpkiRefused):
        register(bad)
    with pytest.raises(services.ChallengeRefused) as refused:
        register(card.bundle(nonce))
    assert refused.value.code == "nonce_used"


def test_the_same_card_again_is_told_it_is_already_registered(jpki: Jpki) -> None:
    card = jpki.card()
    first = register(card.bundle(jpki.challenge()))
    again = register(card.bundle(jpki.challenge()))
    assert again.outcome is services.Outcome.ALREADY_REGISTERED
    assert again.patron.pk == first.patron.pk
    assert Patron.objects.count() == 1 and CertificateLink.objects.count() == 2


def test_a_renewed_card_is_relinked_to_the_same_account_after_a_move(jpki: Jpki) -> None:
    old = jpki.card()
    patron = register(old.bundle(jpki.challenge())).patron
    jpki.revoke(old.sign)  # J-LIS revokes the signing certificate when the address changes
    new = jpki.card("card-1-new", address="東京都千代田区神田神保町一丁目1番")
    result = register(new.bundle(jpki.challenge()))
    assert result.outcome is services.Outcome.RELINKED
    assert result.patron.pk == patron.pk and result.patron.card_number == patron.card_number
    assert Patron.objects.count() == 1
    patron.refresh_from_db()
    assert patron.address == "東京都千代田区神田神保町一丁目1番"
    ended = CertificateLink.objects.get(serial=str(old.sign.serial_number))
    assert ended.ended_at == NOW and ended.end_reason == LinkEnd.RENEWED
    opened = CertificateLink.objects.get(serial=str(new.sign.serial_number))
    assert opened.patron_id == patron.pk and opened.ended_at is None


def test_a_resident_who_moves_away_but_works_here_becomes_a_commuter(jpki: Jpki) -> None:
    old = jpki.card()
    patron = register(old.bundle(jpki.challenge())).patron
    assert patron.residency == "resident"
    jpki.revoke(old.sign)
    moved = jpki.card("card-1-new", address="埼玉県さいたま市浦和区高砂三丁目15番1号")
    result = register(moved.bundle(jpki.challenge()), workplace_address="東京都千代田区丸の内一丁目1番")
    assert result.outcome is services.Outcome.RELINKED and result.patron.pk == patron.pk
    patron.refresh_from_db()
    assert (patron.residency, patron.address) == ("commuter", "埼玉県さいたま市浦和区高砂三丁目15番1号")


def test_a_move_out_of_the_area_is_refused_at_relinking_and_changes_nothing(jpki: Jpki) -> None:
    old = jpki.card()
    register(old.bundle(jpki.challenge()))
    jpki.revoke(old.sign)
    before = snapshot()
    with pytest.raises(services.Ineligible):
        register(jpki.card("card-1-new", address="大阪府大阪市北区梅田一丁目1番1号").bundle(jpki.challenge()))
    assert snapshot() == before
    assert Patron.objects.get().address == "東京都千代田区永田町一丁目10番1号"


def test_same_name_and_birthday_with_the_old_certificate_still_valid_is_a_conflict(jpki: Jpki) -> None:
    register(jpki.card().bundle(jpki.challenge()))
    before = snapshot()
    with pytest.raises(services.IdentityConflict):
        register(jpki.card("card-2", address="東京都千代田区神田一丁目1番").bundle(jpki.challenge()))
    assert snapshot() == before


def test_same_name_birthday_and_address_is_already_registered_and_nothing_changes(jpki: Jpki) -> None:
    first = register(jpki.card().bundle(jpki.challenge())).patron
    before = snapshot()
    again = register(jpki.card("card-2").bundle(jpki.challenge()))
    assert again.outcome is services.Outcome.ALREADY_REGISTERED and again.patron.pk == first.pk
    assert snapshot() == before


def test_the_home_branch_follows_the_address_rules(jpki: Jpki) -> None:
    from toshokan.catalog.tests import factories as catalog_factories

    catalog_factories.branch("kita", "北分館", 1)
    jpki.settings.TOSHOKAN_JPKI = {
        **jpki.settings.TOSHOKAN_JPKI,
        "HOME_BRANCH_RULES": [["東京都千代田区永田町", "kita"]],
    }
    register(jpki.card().bundle(jpki.challenge()))
    register(
        jpki.card("card-2", name="別人 次郎", address="東京都千代田区神田一丁目1番").bundle(jpki.challenge())
    )
    branches = dict(Patron.objects.values_list("given_name", "home_branch__code"))
    assert branches == {"花子": "kita", "次郎": "central"}


def test_an_individual_number_typed_anywhere_is_refused(jpki: Jpki) -> None:
    before = snapshot()
    with pytest.raises(services.IndividualNumberRefused):
        register(jpki.card().bundle(jpki.challenge()), email="1234 5678 9018@example.jp")
    assert snapshot() == before


def test_challenges_from_one_address_are_limited(jpki: Jpki, settings: Any) -> None:
    settings.TOSHOKAN_JPKI = {**settings.TOSHOKAN_JPKI, "CHALLENGES_PER_ADDRESS": 3}
    for _ in range(3):
        services.issue_challenge(purpose=ChallengePurpose.REGISTER, client_address="192.0.2.7", now=NOW)
    with pytest.raises(services.ChallengeThrottled) as throttled:
        services.issue_challenge(purpose=ChallengePurpose.REGISTER, client_address="192.0.2.7", now=NOW)
    assert throttled.value.until == NOW + timedelta(minutes=10)
    # Another address is not held up, and ten minutes later this one may ask again.
    services.issue_challenge(purpose=ChallengePurpose.REGISTER, client_address="192.0.2.8", now=NOW)
    later = NOW + timedelta(minutes=10, seconds=1)
    services.issue_challenge(purpose=ChallengePurpose.REGISTER, client_address="192.0.2.7", now=later)
