"""The desk's queue of online registrations: verify a provisional card, refuse one (its holds
cancelled), decide a held duplicate (create, merge, reject) — each audited — and the provisional
card at checkout ("本人確認が必要です")."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import override_settings

from toshokan.circulation import services
from toshokan.circulation.models import Hold
from toshokan.circulation.provisional import expire_provisional
from toshokan.core.models import AuditEvent
from toshokan.patrons import signup
from toshokan.patrons.models import Patron, SignupReview

from .conftest import staff

pytestmark = pytest.mark.django_db


def apply(library, **changes) -> signup.Outcome:
    fields = {
        "family_name": "新井",
        "given_name": "花子",
        "name_reading": "あらい はなこ",
        "birth_date": date(1990, 5, 5),
        "postal_code": "100-0005",
        "address": "東京都千代田区丸の内1-1",
        "email": "arai@example.jp",
        "pin": "4821",
        "home_branch": library.central,
    }
    return signup.sign_up(application=signup.Application(**{**fields, **changes}), client_address="192.0.2.1")


def provisional_card(library, **changes) -> Patron:
    patron = apply(library, **changes).patron
    assert patron is not None
    return patron


def held(library, **changes) -> SignupReview:
    review = apply(library, **changes).review
    assert review is not None
    return review


def test_the_queue_lists_provisional_cards_and_held_applications(desk_client, library):
    card = provisional_card(library)
    Patron.objects.filter(pk=library.patron.pk).update(birth_date=date(1985, 1, 1))
    apply(
        library,
        family_name="山田",
        given_name="花子",
        name_reading="やまだ はなこ",
        birth_date=date(1985, 1, 1),
    )
    page = desk_client.get("/desk/registrations").content.decode()
    assert card.card_number in page and "新井" in page
    assert "山田" in page and "確認する" in page


def test_verifying_makes_the_card_full_and_is_audited(desk_client, desk_user, library):
    card = provisional_card(library)
    answer = desk_client.post(f"/desk/registrations/patrons/{card.pk}/verify")
    assert answer.status_code == 302
    card.refresh_from_db()
    assert (card.status, card.verified_by) == ("full", desk_user)
    event = AuditEvent.objects.get(patron_id=card.pk, action="changed")
    assert (event.actor_username, event.detail) == (desk_user.username, {"registration": "verified"})


def test_verify_does_not_redirect_off_the_site(desk_client, library):
    card = provisional_card(library)
    answer = desk_client.post(
        f"/desk/registrations/patrons/{card.pk}/verify", {"next": "https://evil.example/"}
    )
    assert answer["Location"] == "/desk/registrations"


def test_a_refused_provisional_card_loses_its_holds_and_is_removed(desk_client, library):
    card = provisional_card(library)
    services.place_hold(patron=card, record=library.kokoro, pickup_branch=library.central)
    answer = desk_client.post(
        f"/desk/registrations/patrons/{card.pk}/reject", {"reason": "住所を確認できません"}
    )
    assert answer.status_code == 302
    assert not Patron.objects.filter(pk=card.pk).exists() and not Hold.objects.exists()
    assert AuditEvent.objects.get(patron_id=card.pk, action="changed").reason == "住所を確認できません"


def test_a_refusal_without_a_reason_changes_nothing(desk_client, library):
    card = provisional_card(library)
    desk_client.post(f"/desk/registrations/patrons/{card.pk}/reject", {"reason": ""})
    assert Patron.objects.filter(pk=card.pk, status="provisional").exists()


def test_a_held_duplicate_is_shown_beside_the_existing_patron_and_merged(desk_client, library):
    Patron.objects.filter(pk=library.patron.pk).update(birth_date=date(1985, 1, 1))
    review = held(
        library,
        family_name="山田",
        given_name="花子",
        name_reading="ヤマダ ハナコ",
        birth_date=date(1985, 1, 1),
        email="new@example.jp",
    )
    page = desk_client.get(f"/desk/registrations/{review.pk}").content.decode()
    assert library.patron.card_number in page and "new@example.jp" in page
    # Opening it showed an existing patron's details: audited as a view of their profile.
    assert AuditEvent.objects.filter(patron_id=library.patron.pk, action="viewed_profile").exists()
    desk_client.post(f"/desk/registrations/{review.pk}/merge", {"into": library.patron.pk})
    library.patron.refresh_from_db()
    assert library.patron.email == "new@example.jp" and Patron.objects.count() == 2
    assert SignupReview.objects.get().state == "merged"


def test_staff_who_may_not_register_patrons_cannot_open_or_decide_the_queue(client, library):
    from toshokan.staff.testing import sign_in

    cataloguer = staff("cataloguer1", "cataloguer")
    sign_in(client, cataloguer)
    card = provisional_card(library)
    assert client.get("/desk/registrations").status_code == 403
    assert client.post(f"/desk/registrations/patrons/{card.pk}/verify").status_code == 403
    card.refresh_from_db()
    assert card.status == "provisional"


def test_a_held_application_made_into_a_card_after_all(desk_client, library):
    Patron.objects.filter(pk=library.patron.pk).update(birth_date=date(1985, 1, 1))
    review = held(library, family_name="山田", given_name="花子", birth_date=date(1985, 1, 1))
    answer = desk_client.post(f"/desk/registrations/{review.pk}/create")
    new = Patron.objects.exclude(pk__in=[library.patron.pk, library.other.pk]).get()
    assert answer["Location"] == f"/desk/patrons/{new.pk}"
    assert new.status == "full"


def test_a_held_application_rejected_with_a_reason(desk_client, library):
    Patron.objects.filter(pk=library.patron.pk).update(birth_date=date(1985, 1, 1))
    review = held(library, family_name="山田", given_name="花子", birth_date=date(1985, 1, 1))
    desk_client.post(f"/desk/registrations/{review.pk}/reject", {"reason": "既に登録があります"})
    review.refresh_from_db()
    assert (review.state, review.reason) == ("rejected", "既に登録があります")


def test_checkout_shows_a_provisional_card_and_refuses_it(desk_client, library):
    card = provisional_card(library)
    page = desk_client.post("/desk/checkout", {"patron": card.card_number}).content.decode()
    assert "仮登録" in page and "本人確認が必要です" in page
    page = desk_client.post(
        "/desk/checkout", {"patron": card.card_number, "barcode": library.copies[2].barcode}
    ).content.decode()
    assert "本人確認が必要です" in page
    assert not card.loans.exists()


def test_checkout_refusal_in_english(desk_client, library):
    card = provisional_card(library)
    page = desk_client.post(
        "/desk/checkout",
        {"patron": card.card_number, "barcode": library.copies[2].barcode},
        HTTP_ACCEPT_LANGUAGE="en",
    ).content.decode()
    assert "Identity check needed" in page


@override_settings(TOSHOKAN_REGISTRATION_RULES={"PROVISIONAL_MAY_BORROW": True})
def test_a_library_may_let_provisional_cards_borrow(library):
    card = provisional_card(library)
    loan = services.checkout(barcode=library.copies[2].barcode, patron=card, branch=library.central)
    assert loan.patron_id == card.pk


@override_settings(TOSHOKAN_REGISTRATION_RULES={"PROVISIONAL_MAY_HOLD": False})
def test_a_library_may_refuse_holds_to_provisional_cards(library):
    card = provisional_card(library)
    with pytest.raises(services.CirculationError) as e:
        services.place_hold(patron=card, record=library.kokoro, pickup_branch=library.central)
    assert e.value.code == "identity_check_needed"


def test_provisional_cards_not_verified_in_time_are_removed_with_their_holds(library):
    card = provisional_card(library)
    services.place_hold(patron=card, record=library.kokoro, pickup_branch=library.central)
    assert expire_provisional(today=card.expires_on) == 0
    assert expire_provisional(today=card.expires_on + timedelta(days=1)) == 1
    assert not Patron.objects.filter(pk=card.pk).exists() and not Hold.objects.exists()


def test_the_daily_scan_sends_no_renewal_notice_to_a_provisional_card(library):
    from toshokan.circulation.tasks import send_registration_notices

    card = provisional_card(library)
    assert send_registration_notices(today=card.registered_on) == 0
