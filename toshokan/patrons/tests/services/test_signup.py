"""Online sign-up: provisional cards, duplicates held for staff, rate limits, e-mail confirmation,
and the staff decisions (verify, create, merge, reject, expiry)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core import signing
from django.test import override_settings

from toshokan.catalog.tests import factories as catalog_factories
from toshokan.core import audit
from toshokan.core.models import AuditEvent
from toshokan.patrons import services, signup
from toshokan.patrons.domain.eligibility import Refusal
from toshokan.patrons.domain.pins import InvalidPin
from toshokan.patrons.models import Patron, SignupReview
from toshokan.patrons.tests import factories

pytestmark = pytest.mark.django_db

TODAY = date(2026, 11, 26)
NOW = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


def application(**changes) -> signup.Application:
    fields = {
        "family_name": "新井",
        "given_name": "花子",
        "name_reading": "あらい はなこ",
        "birth_date": date(1990, 5, 5),
        "postal_code": "100-0005",
        "address": "東京都千代田区丸の内1-1",
        "email": "arai@example.jp",
        "pin": "4821",
        "home_branch": catalog_factories.branch(),
    }
    return signup.Application(**{**fields, **changes})


def sign_up(app: signup.Application | None = None, *, address: str = "192.0.2.1", now: datetime = NOW):
    return signup.sign_up(application=app or application(), client_address=address, now=now, today=TODAY)


@pytest.fixture
def clerk():
    return get_user_model().objects.create_user("clerk")


def by(user) -> audit.By:
    return audit.by_user(user, audit.Via.DESK, "192.0.2.9")


def test_an_eligible_newcomer_gets_a_provisional_card_at_once_and_can_log_in():
    outcome = sign_up()
    patron = outcome.patron
    assert outcome.review is None and patron is not None
    assert (patron.status, patron.registration_source, patron.residency, patron.category) == (
        "provisional",
        "online",
        "resident",
        "adult",
    )
    assert patron.expires_on == TODAY + timedelta(days=30)
    assert patron.notice_channel == "email" and patron.email == "arai@example.jp"
    assert services.authenticate(card_number=patron.card_number, pin="4821").pk == patron.pk


def test_a_commuter_is_registered_with_their_workplace():
    app = application(
        address="埼玉県さいたま市浦和区高砂1-1",
        workplace_name="千代田商事",
        workplace_address="東京都千代田区大手町1-1",
    )
    patron = sign_up(app).patron
    assert patron.residency == "commuter"
    assert patron.workplace == "千代田商事 東京都千代田区大手町1-1"


@pytest.mark.parametrize(
    ("changes", "code", "refusals"),
    [
        ({"address": "埼玉県さいたま市浦和区高砂1-1"}, "signup_refused", (Refusal.WORKPLACE_REQUIRED,)),
        ({"birth_date": date(2016, 1, 1)}, "signup_refused", (Refusal.TOO_YOUNG_ONLINE,)),
        ({"address": "丸の内1-1"}, "address_unreadable", ()),
        ({"email": " "}, "email_required", ()),
    ],
)
def test_an_ineligible_applicant_is_refused_and_nothing_is_created(changes, code, refusals):
    with pytest.raises(signup.SignupRefused) as e:
        sign_up(application(**changes))
    assert (e.value.code, e.value.refusals) == (code, refusals)
    assert not Patron.objects.exists() and not SignupReview.objects.exists()


def test_a_pin_that_breaks_the_rules_is_refused():
    with pytest.raises(InvalidPin):
        sign_up(application(pin="1111"))
    assert not Patron.objects.exists()


@pytest.mark.parametrize(
    ("family_name", "given_name", "reading"),
    [
        ("髙橋", "花子", "たかはし はなこ"),  # old kanji form
        ("高橋 ", "花子", ""),  # spacing
        ("ﾀｶﾊｼ", "ﾊﾅｺ", ""),  # half-width katakana against a registration in full-width
        ("高橋", "華子", "タカハシ ハナコ"),  # another kanji, the same reading
    ],
)
def test_a_likely_duplicate_is_held_for_staff_instead_of_making_a_second_card(
    family_name, given_name, reading
):
    existing = services.register_patron(
        family_name="高橋" if not family_name.startswith("ﾀ") else "タカハシ",
        given_name="花子" if not given_name.startswith("ﾊ") else "ハナコ",
        name_reading="たかはし はなこ",
        birth_date=date(1990, 5, 5),
        home_branch=catalog_factories.branch(),
    )
    outcome = sign_up(application(family_name=family_name, given_name=given_name, name_reading=reading))
    assert outcome.patron is None and outcome.review is not None
    assert list(outcome.review.candidates.all()) == [existing]
    assert Patron.objects.count() == 1


def test_the_same_name_with_another_birth_date_is_not_a_duplicate():
    services.register_patron(
        family_name="新井",
        given_name="花子",
        birth_date=date(1991, 5, 5),
        home_branch=catalog_factories.branch(),
    )
    assert sign_up().patron is not None


def test_applying_twice_does_not_make_two_cards():
    first = sign_up().patron
    second = sign_up(now=NOW + timedelta(minutes=1))
    assert second.patron is None and list(second.review.candidates.all()) == [first]


@override_settings(TOSHOKAN_SIGNUP_RATE={"PER_ADDRESS": 3, "PER_EMAIL": 2, "WINDOW_MINUTES": 60})
def test_applications_are_limited_per_address_and_per_email():
    sign_up(application(email="a@example.jp", birth_date=date(1990, 1, 1)))
    sign_up(application(email="a@example.jp", birth_date=date(1990, 1, 2)))
    with pytest.raises(signup.SignupThrottled):  # the third for one e-mail address
        sign_up(application(email="a@example.jp", birth_date=date(1990, 1, 3)))
    assert sign_up(
        application(email="b@example.jp", birth_date=date(1990, 1, 4))
    ).patron  # the address's third
    with pytest.raises(signup.SignupThrottled):  # the address had its three
        sign_up(application(email="e@example.jp", birth_date=date(1990, 1, 7)))
    # Another address, another e-mail: accepted; and an hour later the first address may again.
    assert sign_up(application(email="c@example.jp", birth_date=date(1990, 1, 5)), address="192.0.2.2").patron
    later = NOW + timedelta(minutes=61)
    assert sign_up(application(email="d@example.jp", birth_date=date(1990, 1, 6)), now=later).patron


def test_the_confirmation_link_confirms_the_address_and_a_forged_or_stale_one_does_not():
    patron = sign_up().patron
    token = signup.confirmation_token(patron=patron)
    confirmed = signup.confirm_email(token=token, now=NOW)
    assert confirmed.pk == patron.pk
    patron.refresh_from_db()
    assert patron.email_confirmed_at == NOW
    with pytest.raises(signup.ReviewError):
        signup.confirm_email(token=token[:-2] + "xx")
    Patron.objects.filter(pk=patron.pk).update(email="changed@example.jp")
    with pytest.raises(signup.ReviewError):  # the link was for the old address
        signup.confirm_email(token=token)
    with pytest.raises(signup.ReviewError):
        old = signing.dumps({"p": patron.pk, "e": "changed@example.jp"}, salt=signup.CONFIRM_SALT)
        signup.confirm_email(token=old + "!")


def test_the_confirmation_email_is_sent_after_commit(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        patron = sign_up().patron
        signup.send_confirmation(to=patron, confirm_url="https://library.example/signup/confirm/x")
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["arai@example.jp"]
    assert (
        patron.card_number in mailoutbox[0].body
        and "https://library.example/signup/confirm/x" in mailoutbox[0].body
    )


def test_staff_verify_a_provisional_card_which_becomes_full_for_the_full_term(clerk):
    patron = sign_up().patron
    verified = signup.verify_patron(patron=patron, actor=clerk, by=by(clerk), now=NOW)
    assert (verified.status, verified.verified_by, verified.verified_at) == ("full", clerk, NOW)
    assert verified.expires_on == date(2029, 11, 26)  # a resident's three years from today
    event = AuditEvent.objects.get(patron_id=patron.pk)
    assert (event.action, event.actor_username, event.detail) == (
        "changed",
        "clerk",
        {"registration": "verified"},
    )
    with pytest.raises(signup.ReviewError):
        signup.verify_patron(patron=verified, actor=clerk, by=by(clerk))


def test_a_held_application_merged_into_the_existing_account_updates_its_contact_details(clerk):
    existing = factories.patron("新井", given_name="花子")
    Patron.objects.filter(pk=existing.pk).update(birth_date=date(1990, 5, 5))
    review = sign_up(application(email="new@example.jp", address="東京都千代田区神田1-2")).review
    merged = signup.merge_review(review=review, into=existing, actor=clerk, by=by(clerk), now=NOW)
    assert merged.pk == existing.pk and Patron.objects.count() == 1
    assert (merged.email, merged.address) == ("new@example.jp", "東京都千代田区神田1-2")
    review.refresh_from_db()
    assert (review.state, review.patron_id, review.decided_by) == ("merged", existing.pk, clerk)
    assert review.address == "" and review.birth_date is None  # what was typed is not kept
    event = AuditEvent.objects.get(patron_id=existing.pk, action="changed")
    assert event.detail["registration"] == "merged"
    with pytest.raises(signup.ReviewError):
        signup.reject_review(review=review, reason="重複", actor=clerk, by=by(clerk))


def test_a_held_application_can_become_a_full_card_with_the_pin_the_applicant_chose(clerk):
    factories.patron("新井", given_name="花子")
    Patron.objects.update(birth_date=date(1990, 5, 5))
    review = sign_up().review
    patron = signup.create_from_review(review=review, actor=clerk, by=by(clerk), now=NOW)
    assert (patron.status, patron.registration_source, patron.verified_by) == ("full", "online", clerk)
    assert services.authenticate(card_number=patron.card_number, pin="4821").pk == patron.pk
    assert AuditEvent.objects.filter(patron_id=patron.pk, action="registered").exists()


def test_a_rejection_needs_a_reason_and_is_audited(clerk):
    factories.patron("新井", given_name="花子")
    Patron.objects.update(birth_date=date(1990, 5, 5))
    review = sign_up().review
    with pytest.raises(signup.ReviewError):
        signup.reject_review(review=review, reason=" ", actor=clerk, by=by(clerk))
    signup.reject_review(review=review, reason="既に登録があります", actor=clerk, by=by(clerk))
    review.refresh_from_db()
    assert (review.state, review.reason) == ("rejected", "既に登録があります")
    assert AuditEvent.objects.filter(reason="既に登録があります").exists()


def test_a_rejected_provisional_card_is_removed(clerk):
    patron = sign_up().patron
    signup.reject_provisional(patron=patron, reason="住所が確認できない", actor=clerk, by=by(clerk))
    assert not Patron.objects.filter(pk=patron.pk).exists()
    assert AuditEvent.objects.get(patron_id=patron.pk).reason == "住所が確認できない"
    full = factories.patron("窓口")
    with pytest.raises(signup.ReviewError):
        signup.reject_provisional(patron=full, reason="x", actor=clerk, by=by(clerk))


def test_provisional_cards_not_verified_in_time_expire_and_are_removed():
    patron = sign_up().patron
    assert signup.expired_provisional(today=TODAY + timedelta(days=30)) == []
    expired = signup.expired_provisional(today=TODAY + timedelta(days=31))
    assert expired == [patron]
    assert signup.remove_provisional(patron=patron, today=TODAY + timedelta(days=31))
    assert not Patron.objects.filter(pk=patron.pk).exists()


def test_a_provisional_card_cannot_be_renewed_only_verified():
    patron = sign_up().patron
    with pytest.raises(services.PatronError) as e:
        services.renew_registration(patron=patron, today=TODAY + timedelta(days=29))
    assert e.value.code == "identity_check_needed"


@pytest.mark.django_db(transaction=True)
def test_the_same_person_applying_twice_at_once_gets_one_card_and_one_held_application(monkeypatch):
    import time

    from toshokan.circulation.tests.services.test_concurrency import race

    look = signup.likely_duplicates

    def slow_look(person):
        found = look(person)
        time.sleep(0.3)  # every application has looked before any could commit, unless they queue
        return found

    monkeypatch.setattr(signup, "likely_duplicates", slow_look)
    branch = catalog_factories.branch()
    factories.patron("先客")  # a library that has issued cards before: the card sequence exists
    results = race(
        4,
        lambda i: signup.sign_up(
            application=application(email=f"arai{i}@example.jp", home_branch=branch),
            client_address=f"192.0.2.{i}",
            now=NOW,
            today=TODAY,
        ),
    )
    assert results == ["ok"] * 4, results
    assert Patron.objects.filter(family_name="新井").count() == 1
    assert SignupReview.objects.filter(state="pending").count() == 3
