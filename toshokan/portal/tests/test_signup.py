"""The sign-up pages at /signup: a provisional card and a login at once, a duplicate held for staff
without a word about whom it resembles, refusals and rate limits in the page."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import override_settings

from toshokan.catalog.tests import factories as catalog_factories
from toshokan.patrons import sessions
from toshokan.patrons.models import Patron, SignupReview

pytestmark = pytest.mark.django_db

FORM = {
    "family_name": "新井",
    "given_name": "花子",
    "name_reading": "あらい はなこ",
    "birth_date": "1990-05-05",
    "postal_code": "100-0005",
    "address": "東京都千代田区丸の内1-1",
    "email": "arai@example.jp",
    "workplace_name": "",
    "workplace_address": "",
    "home_branch": "central",
    "pin": "4821",
    "pin_again": "4821",
    "agree": "on",
}


@pytest.fixture(autouse=True)
def branch():
    return catalog_factories.branch("central", "中央図書館")


def test_the_form_asks_only_what_membership_needs(client):
    page = client.get("/signup").content.decode()
    for name in ("family_name", "name_reading", "birth_date", "postal_code", "address", "email", "pin"):
        assert f'name="{name}"' in page
    assert 'name="phone"' not in page and "性別" not in page
    assert "東京都千代田区" in page  # who may register, from the rules


def test_an_applicant_gets_a_provisional_card_is_logged_in_and_mailed_a_confirmation_link(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post("/signup", FORM)
    assert answer.status_code == 302 and answer["Location"] == "/signup/done"
    patron = Patron.objects.get()
    assert patron.status == "provisional"
    assert client.session[sessions.SESSION_KEY] == patron.pk
    done = client.get("/signup/done").content.decode()
    assert patron.card_number in done and "仮登録" in done
    assert client.get("/account/").status_code == 200  # logged in
    (mail,) = mailoutbox
    link = next(line for line in mail.body.splitlines() if "/signup/confirm/" in line).strip()
    assert "確認しました" in client.get(link.replace("http://testserver", "")).content.decode()
    patron.refresh_from_db()
    assert patron.email_confirmed_at is not None


def test_a_duplicate_is_held_and_the_applicant_learns_nothing_about_the_existing_patron(client):
    Patron.objects.create(
        card_number="2900000000017",
        family_name="新井",
        given_name="花子",
        name_reading="あらい はなこ",
        birth_date=date(1990, 5, 5),
        home_branch_id=catalog_factories.branch().pk,
        registered_on=date(2020, 1, 1),
        expires_on=date(2030, 1, 1),
        email="old-address@example.jp",
        address="東京都千代田区神田9-9",
    )
    answer = client.post("/signup", FORM, follow=True)
    text = answer.content.decode()
    assert "受け付けました" in text and "カウンター" in text
    assert "2900000000017" not in text and "old-address" not in text and "神田9-9" not in text
    assert SignupReview.objects.filter(state="pending").count() == 1 and Patron.objects.count() == 1
    assert sessions.SESSION_KEY not in client.session


def test_an_applicant_outside_the_area_is_told_why_in_their_language(client):
    answer = client.post(
        "/signup", {**FORM, "address": "埼玉県さいたま市浦和区高砂1-1"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert answer.status_code == 422
    assert "workplace or school" in answer.content.decode()
    assert not Patron.objects.exists()


def test_mismatched_pins_and_an_unreadable_address_are_shown_at_their_fields(client):
    answer = client.post("/signup", {**FORM, "pin_again": "4822", "address": "丸の内1-1"})
    text = answer.content.decode()
    assert answer.status_code == 422 and "暗証番号が一致しません" in text
    answer = client.post("/signup", {**FORM, "address": "丸の内1-1"})
    assert answer.status_code == 422 and "都道府県" in answer.content.decode()


@override_settings(TOSHOKAN_SIGNUP_RATE={"PER_ADDRESS": 2, "PER_EMAIL": 5, "WINDOW_MINUTES": 60})
def test_too_many_applications_from_one_address_get_a_429_page(client):
    client.post("/signup", {**FORM, "email": "a@example.jp", "birth_date": "1990-01-01"})
    client.post("/signup", {**FORM, "email": "b@example.jp", "birth_date": "1990-01-02"})
    answer = client.post("/signup", {**FORM, "email": "c@example.jp", "birth_date": "1990-01-03"})
    assert answer.status_code == 429
    assert "受け付けられません" in answer.content.decode()
    assert Patron.objects.count() == 2


def test_a_forged_confirmation_link_is_refused(client):
    answer = client.get("/signup/confirm/not-a-token")
    assert answer.status_code == 400


def test_an_unconfirmed_address_can_be_sent_its_link_again_and_a_new_address_needs_confirming(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/signup", FORM)
    home = client.get("/account/").content.decode()
    assert "まだ確認されていません" in home and "仮登録のカードです" in home
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post("/signup/confirm/resend", follow=True)
    assert "確認メールを送りました" in answer.content.decode()
    assert len(mailoutbox) == 2 and mailoutbox[1].to == ["arai@example.jp"]
    link = next(line for line in mailoutbox[1].body.splitlines() if "/signup/confirm/" in line).strip()
    client.get(link.replace("http://testserver", ""))
    patron = Patron.objects.get()
    assert patron.email_confirmed_at is not None
    assert "まだ確認されていません" not in client.get("/account/").content.decode()

    from toshokan.patrons import services

    services.update_preferences(patron=patron, email="other@example.jp")
    patron.refresh_from_db()
    assert patron.email_confirmed_at is None
    assert "確認されました" not in client.get(link.replace("http://testserver", "")).content.decode()
    patron.refresh_from_db()
    assert patron.email_confirmed_at is None  # the old link was for the old address


def test_resending_needs_a_login(client):
    answer = client.post("/signup/confirm/resend")
    assert answer.status_code == 302 and answer["Location"] == "/account/login"
