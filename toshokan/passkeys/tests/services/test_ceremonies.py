"""The WebAuthn ceremonies against py_webauthn, with attestations and assertions made by a software
authenticator (tests/authenticator.py): registration, patron login, the staff second-factor API."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.utils import timezone

from toshokan.core.domain import NotFound
from toshokan.passkeys import selectors, services
from toshokan.passkeys.models import Passkey, UserHandle
from toshokan.passkeys.tests.authenticator import SoftAuthenticator, b64url, unb64url
from toshokan.patrons import services as patron_services
from toshokan.patrons.domain.throttle import ADDRESS_RULE, CARD_RULE
from toshokan.patrons.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def patron():
    return factories.patron()


@pytest.fixture
def staff():
    return get_user_model().objects.create_user("sato", password="correct horse battery", is_staff=True)


def register(make_request, authenticator, *, patron=None, user=None, name=""):
    options = services.begin_registration(make_request(), patron=patron, user=user, pin=factories.PIN)
    answer = authenticator.create(options)
    return services.finish_registration(make_request(), answer, name=name, patron=patron, user=user)


def log_in(make_request, authenticator, **kwargs):
    options = services.begin_patron_login(make_request())
    answer = authenticator.get(options, **kwargs)
    return services.finish_patron_login(make_request(), answer, client_address="10.0.0.7")


# -- registration ---------------------------------------------------------------------------------


def test_a_patron_registers_a_passkey_with_its_name_and_what_the_ceremony_needs(
    make_request, authenticator, patron
):
    passkey = register(make_request, authenticator, patron=patron, name=" iPhone ")
    assert passkey.patron == patron and passkey.user is None
    assert passkey.name == "iPhone"
    assert unb64url(passkey.credential_id) == authenticator.credentials[0].id
    assert passkey.sign_count == 0
    assert passkey.transports == ["internal", "hybrid"]
    assert passkey.aaguid == "01020304-0506-0708-0910-111213141516"
    assert passkey.last_used_at is None
    assert list(selectors.passkeys_of(patron=patron)) == [passkey]


def test_registration_options_ask_for_user_verification_and_a_discoverable_credential(make_request, patron):
    options = services.begin_registration(make_request(), patron=patron, pin=factories.PIN)
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["attestation"] == "none"
    assert options["rp"] == {"id": "localhost", "name": "toshokan"}
    assert options["user"]["name"] == patron.card_number
    assert {p["alg"] for p in options["pubKeyCredParams"]} == {-8, -7, -257}


def test_adding_a_passkey_asks_for_the_pin_again_and_counts_wrong_ones(make_request, patron):
    for wrong in ("", "0000"):
        with pytest.raises(patron_services.AuthenticationFailed):
            services.begin_registration(make_request(), patron=patron, pin=wrong)
    assert services.SESSION_KEY not in make_request().session  # no challenge for a wrong PIN
    for _ in range(CARD_RULE.max_failures - 2):
        with pytest.raises(patron_services.AuthenticationFailed):
            services.begin_registration(make_request(), patron=patron, pin="0000")
    with pytest.raises(patron_services.LoginThrottled):
        services.begin_registration(make_request(), patron=patron, pin=factories.PIN)


def test_a_patron_without_a_pin_adds_a_passkey_without_one(make_request, authenticator):
    patron = factories.patron("本田", pin="")
    options = services.begin_registration(make_request(), patron=patron)
    answer = authenticator.create(options)
    assert services.finish_registration(make_request(), answer, patron=patron).patron == patron


def test_the_user_handle_is_random_per_account_and_the_same_for_each_registration(
    make_request, patron, staff
):
    first = services.begin_registration(make_request(), patron=patron, pin=factories.PIN)["user"]["id"]
    again = services.begin_registration(make_request(), patron=patron, pin=factories.PIN)["user"]["id"]
    staff_handle = services.begin_registration(make_request(), user=staff)["user"]["id"]
    other = services.begin_registration(make_request(), patron=factories.patron("鈴木"), pin=factories.PIN)[
        "user"
    ]["id"]
    assert first == again
    assert len({first, staff_handle, other}) == 3
    assert len(unb64url(first)) == 32
    assert patron.card_number.encode() not in unb64url(first)
    assert str(patron.pk).encode() != unb64url(first)
    assert UserHandle.objects.get(patron=patron).handle == first


def test_registration_lists_the_accounts_passkeys_to_exclude(make_request, authenticator, patron):
    passkey = register(make_request, authenticator, patron=patron)
    options = services.begin_registration(make_request(), patron=patron, pin=factories.PIN)
    assert [d["id"] for d in options["excludeCredentials"]] == [passkey.credential_id]
    with pytest.raises(RuntimeError, match="InvalidStateError"):
        authenticator.create(options)  # the authenticator refuses, as a browser does


def test_the_same_credential_cannot_be_registered_twice(make_request, authenticator, patron):
    options = services.begin_registration(make_request(), patron=patron, pin=factories.PIN)
    answer = authenticator.create(options)
    services.finish_registration(make_request(), answer, patron=patron)
    # The same answer sent again after a new challenge: the challenge no longer matches.
    services.begin_registration(make_request(), patron=patron, pin=factories.PIN)
    with pytest.raises(services.PasskeyRefused):
        services.finish_registration(make_request(), answer, patron=patron)
    assert Passkey.objects.count() == 1


def test_an_attestation_without_user_verification_is_refused_and_nothing_is_kept(make_request, patron):
    careless = SoftAuthenticator(user_verified=False)
    with pytest.raises(services.UserVerificationRequired, match="本人確認"):
        register(make_request, careless, patron=patron)
    assert not Passkey.objects.exists()


def test_a_registration_challenge_is_used_once(make_request, authenticator, patron):
    options = services.begin_registration(make_request(), patron=patron, pin=factories.PIN)
    answer = authenticator.create(options)
    services.finish_registration(make_request(), answer, patron=patron)
    with pytest.raises(services.ChallengeExpired):
        services.finish_registration(make_request(), authenticator.create(options), patron=patron)
    assert Passkey.objects.count() == 1


def test_a_registration_challenge_expires(make_request, authenticator, patron, monkeypatch):
    options = services.begin_registration(make_request(), patron=patron, pin=factories.PIN)
    later = timezone.now() + services.CHALLENGE_TTL + timedelta(seconds=1)
    monkeypatch.setattr("toshokan.passkeys.services.timezone.now", lambda: later)
    with pytest.raises(services.ChallengeExpired):
        services.finish_registration(make_request(), authenticator.create(options), patron=patron)


def test_a_registration_begun_for_one_account_cannot_finish_for_another(make_request, authenticator, patron):
    options = services.begin_registration(make_request(), patron=patron, pin=factories.PIN)
    other = factories.patron("鈴木")
    with pytest.raises(services.ChallengeExpired):
        services.finish_registration(make_request(), authenticator.create(options), patron=other)
    assert not Passkey.objects.exists()


def test_a_registration_from_another_origin_is_refused(make_request, authenticator, patron):
    options = services.begin_registration(make_request(), patron=patron, pin=factories.PIN)
    answer = authenticator.create(options, origin="https://evil.example")
    with pytest.raises(services.PasskeyRefused, match="origin"):
        services.finish_registration(make_request(), answer, patron=patron)


@pytest.mark.parametrize(
    "payload",
    [None, 7, "", "{}", "not json", json.dumps({"id": "AA", "rawId": "AA", "type": "public-key"}), {"id": 3}],
)
def test_malformed_registration_answers_are_refused_clearly(make_request, patron, payload):
    services.begin_registration(make_request(), patron=patron, pin=factories.PIN)
    with pytest.raises(services.PasskeyRefused, match="このパスキーは使えませんでした"):
        services.finish_registration(make_request(), payload, patron=patron)


@pytest.mark.parametrize("name", ["x" * 65, "a\x00b", "名前\u202e"])
def test_bad_names_are_refused_before_the_challenge_is_used(make_request, authenticator, patron, name):
    options = services.begin_registration(make_request(), patron=patron, pin=factories.PIN)
    answer = authenticator.create(options)
    with pytest.raises(services.InvalidPasskeyName):
        services.finish_registration(make_request(), answer, name=name, patron=patron)
    assert services.finish_registration(make_request(), answer, name="ok", patron=patron).name == "ok"


def test_an_account_holds_a_limited_number_of_passkeys(make_request, authenticator, patron, monkeypatch):
    monkeypatch.setattr(services, "MAX_PASSKEYS", 2)
    register(make_request, authenticator, patron=patron)
    register(make_request, SoftAuthenticator(origin=authenticator.origin), patron=patron)
    with pytest.raises(services.TooManyPasskeys, match="2"):
        services.begin_registration(make_request(), patron=patron, pin=factories.PIN)


def test_passkeys_without_a_name_are_numbered(make_request, authenticator, patron):
    assert register(make_request, authenticator, patron=patron).name == "パスキー 1"
    assert (
        register(make_request, SoftAuthenticator(origin=authenticator.origin), patron=patron).name
        == "パスキー 2"
    )


def test_a_passkey_has_exactly_one_owner(patron, staff):
    for owners in ({}, {"patron": patron, "user": staff}):
        with pytest.raises(IntegrityError), transaction.atomic():
            Passkey.objects.create(credential_id=b64url(b"x"), public_key=b"k", name="n", **owners)
    with pytest.raises(IntegrityError), transaction.atomic():
        UserHandle.objects.create(handle="h")


# -- patron login ---------------------------------------------------------------------------------


def test_a_patron_logs_in_with_a_passkey_and_its_use_is_recorded(make_request, authenticator, patron):
    passkey = register(make_request, authenticator, patron=patron)
    options = services.begin_patron_login(make_request())
    assert options["userVerification"] == "required"
    assert options["allowCredentials"] == []  # discoverable: the patron types nothing
    assert log_in(make_request, authenticator) == patron
    passkey.refresh_from_db()
    assert passkey.sign_count == 1 and passkey.last_used_at is not None


def test_each_of_two_passkeys_logs_the_same_patron_in(make_request, patron):
    phone, laptop = SoftAuthenticator(), SoftAuthenticator()
    register(make_request, phone, patron=patron, name="phone")
    register(make_request, laptop, patron=patron, name="laptop")
    assert log_in(make_request, phone) == patron
    assert log_in(make_request, laptop) == patron
    assert [p.name for p in selectors.passkeys_of(patron=patron)] == ["phone", "laptop"]


def test_an_assertion_without_user_verification_is_refused_with_its_reason(
    make_request, authenticator, patron
):
    passkey = register(make_request, authenticator, patron=patron)
    authenticator.user_verified = False
    with pytest.raises(services.PatronLoginNotVerified, match="本人確認"):
        log_in(make_request, authenticator)
    passkey.refresh_from_db()
    assert passkey.sign_count == 0 and passkey.last_used_at is None


def test_a_login_challenge_is_used_once_so_a_replayed_assertion_is_refused(
    make_request, authenticator, patron
):
    register(make_request, authenticator, patron=patron)
    options = services.begin_patron_login(make_request())
    answer = authenticator.get(options)
    assert services.finish_patron_login(make_request(), answer, client_address="10.0.0.7") == patron
    with pytest.raises(services.PatronLoginExpired):
        services.finish_patron_login(make_request(), answer, client_address="10.0.0.7")
    # A new challenge does not make the old answer good either.
    services.begin_patron_login(make_request())
    with pytest.raises(services.PatronLoginFailed):
        services.finish_patron_login(make_request(), answer, client_address="10.0.0.7")


def test_a_challenge_from_another_session_is_not_accepted(make_request, authenticator, patron):
    register(make_request, authenticator, patron=patron)
    options = services.begin_patron_login(make_request())
    answer = authenticator.get(options)
    with pytest.raises(services.PatronLoginExpired):
        services.finish_patron_login(make_request(fresh_session=True), answer, client_address="10.0.0.7")


def test_a_removed_passkey_no_longer_logs_in(make_request, authenticator, patron):
    passkey = register(make_request, authenticator, patron=patron)
    services.remove_passkey(passkey=passkey)
    with pytest.raises(services.PatronLoginFailed, match="パスキーでログインできませんでした"):
        log_in(make_request, authenticator)


def test_a_staff_passkey_does_not_log_in_as_a_patron(make_request, authenticator, staff):
    register(make_request, authenticator, user=staff)
    with pytest.raises(services.PatronLoginFailed):
        log_in(make_request, authenticator)


def test_a_signature_counter_that_goes_backwards_is_refused_and_kept(
    make_request, authenticator, patron, caplog
):
    passkey = register(make_request, authenticator, patron=patron)
    assert log_in(make_request, authenticator, sign_count=5) == patron
    with pytest.raises(services.PatronLoginFailed):
        log_in(make_request, authenticator, sign_count=5)
    with pytest.raises(services.PatronLoginFailed):
        log_in(make_request, authenticator, sign_count=3)
    passkey.refresh_from_db()
    assert passkey.sign_count == 5
    assert "cloned" in caplog.text


def test_authenticators_without_a_counter_keep_logging_in(make_request, patron):
    synced = SoftAuthenticator(counts_signatures=False, backup_eligible=True)
    passkey = register(make_request, synced, patron=patron)
    assert passkey.backup_eligible and passkey.backed_up
    assert log_in(make_request, synced) == patron
    assert log_in(make_request, synced) == patron
    passkey.refresh_from_db()
    assert passkey.sign_count == 0


def test_a_user_handle_that_is_not_the_accounts_is_refused(make_request, authenticator, patron):
    register(make_request, authenticator, patron=patron)
    authenticator.credentials[0].user_handle = b"someone else"
    with pytest.raises(services.PatronLoginFailed):
        log_in(make_request, authenticator)


def test_a_tampered_signature_is_refused(make_request, authenticator, patron):
    register(make_request, authenticator, patron=patron)
    options = services.begin_patron_login(make_request())
    answer = authenticator.get(options)
    signature = bytearray(unb64url(answer["response"]["signature"]))
    signature[-1] ^= 1
    answer["response"]["signature"] = b64url(bytes(signature))
    with pytest.raises(services.PatronLoginFailed):
        services.finish_patron_login(make_request(), answer, client_address="10.0.0.7")


def test_failed_passkey_logins_count_against_the_address_until_it_is_throttled(
    make_request, authenticator, patron
):
    register(make_request, authenticator, patron=patron)
    authenticator.user_verified = False
    for _ in range(ADDRESS_RULE.max_failures):
        with pytest.raises(services.PatronLoginFailed):
            log_in(make_request, authenticator)
    authenticator.user_verified = True
    with pytest.raises(patron_services.LoginThrottled):
        log_in(make_request, authenticator)
    # The card-and-PIN login from that address shares the count.
    with pytest.raises(patron_services.LoginThrottled):
        patron_services.log_in(card_number=patron.card_number, pin=factories.PIN, client_address="10.0.0.7")


# -- relying party from settings --------------------------------------------------------------------


@override_settings(
    TOSHOKAN_WEBAUTHN={
        "RP_ID": "library.example.jp",
        "RP_NAME": "みなと図書館",
        "ORIGINS": ["https://library.example.jp"],
    },
    ALLOWED_HOSTS=["library.example.jp"],
)
def test_the_relying_party_comes_from_settings(make_request, patron):
    options = services.begin_registration(
        make_request("library.example.jp", secure=True), patron=patron, pin=factories.PIN
    )
    assert options["rp"] == {"id": "library.example.jp", "name": "みなと図書館"}
    answer = SoftAuthenticator(origin="https://library.example.jp").create(options)
    assert services.finish_registration(make_request("library.example.jp"), answer, patron=patron)
    options = services.begin_registration(
        make_request("library.example.jp", secure=True), patron=patron, pin=factories.PIN
    )
    stray = SoftAuthenticator(origin="http://localhost:8000").create(options)
    with pytest.raises(services.PasskeyRefused):
        services.finish_registration(make_request("library.example.jp"), stray, patron=patron)


# -- the staff second-factor API --------------------------------------------------------------------


def test_staff_register_and_verify_a_passkey_through_the_api(make_request, authenticator, staff):
    assert not services.has_passkeys(staff)
    passkey = register(make_request, authenticator, user=staff, name="YubiKey")
    assert services.has_passkeys(staff)
    options = services.begin_authentication(make_request(), user=staff)
    assert options["userVerification"] == "required"
    assert [d["id"] for d in options["allowCredentials"]] == [passkey.credential_id]
    used = services.finish_authentication(make_request(), authenticator.get(options), user=staff)
    assert used == passkey
    used.refresh_from_db()
    assert used.last_used_at is not None and used.sign_count == 1


def test_staff_registration_prefers_a_discoverable_credential(make_request, staff):
    options = services.begin_registration(make_request(), user=staff)
    assert options["authenticatorSelection"]["residentKey"] == "preferred"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    assert options["user"]["name"] == "sato"


def test_staff_without_a_passkey_are_told_so(make_request, staff):
    with pytest.raises(services.NoPasskeys):
        services.begin_authentication(make_request(), user=staff)


def test_a_staff_assertion_without_user_verification_is_refused(make_request, authenticator, staff):
    register(make_request, authenticator, user=staff)
    options = services.begin_authentication(make_request(), user=staff)
    authenticator.user_verified = False
    with pytest.raises(services.UserVerificationRequired):
        services.finish_authentication(make_request(), authenticator.get(options), user=staff)


def test_a_staff_assertion_by_another_users_passkey_is_refused(make_request, staff):
    mine, theirs = SoftAuthenticator(), SoftAuthenticator()
    register(make_request, mine, user=staff)
    other = get_user_model().objects.create_user("ito", password="x", is_staff=True)
    register(make_request, theirs, user=other)
    options = services.begin_authentication(make_request(), user=staff)
    answer = theirs.get({**options, "allowCredentials": []})
    with pytest.raises(services.PasskeyRefused):
        services.finish_authentication(make_request(), answer, user=staff)
    # … and a challenge begun for one user is not good for another.
    options = services.begin_authentication(make_request(), user=staff)
    with pytest.raises(services.PasskeyRefused):
        services.finish_authentication(make_request(), mine.get(options), user=other)


def test_a_staff_challenge_is_used_once(make_request, authenticator, staff):
    register(make_request, authenticator, user=staff)
    options = services.begin_authentication(make_request(), user=staff)
    answer = authenticator.get(options)
    services.finish_authentication(make_request(), answer, user=staff)
    with pytest.raises(services.ChallengeExpired):
        services.finish_authentication(make_request(), answer, user=staff)


def test_a_patron_passkey_is_not_a_staff_second_factor(make_request, authenticator, patron, staff):
    register(make_request, authenticator, patron=patron)
    register(make_request, SoftAuthenticator(), user=staff)
    options = services.begin_authentication(make_request(), user=staff)
    answer = authenticator.get({**options, "allowCredentials": []})
    with pytest.raises(services.PasskeyRefused):
        services.finish_authentication(make_request(), answer)


# -- the owner's list -------------------------------------------------------------------------------


def test_rename_and_remove(make_request, authenticator, patron):
    passkey = register(make_request, authenticator, patron=patron, name="old")
    assert services.rename_passkey(passkey=passkey, name="  新しい名前 ").name == "新しい名前"
    with pytest.raises(services.InvalidPasskeyName):
        services.rename_passkey(passkey=passkey, name="   ")
    services.remove_passkey(passkey=passkey)
    assert not selectors.passkeys_of(patron=patron).exists()


def test_one_owners_passkey_is_not_found_for_another(make_request, authenticator, patron):
    passkey = register(make_request, authenticator, patron=patron)
    assert selectors.passkey_of(passkey.pk, patron=patron) == passkey
    with pytest.raises(NotFound):
        selectors.passkey_of(passkey.pk, patron=factories.patron("鈴木"))
