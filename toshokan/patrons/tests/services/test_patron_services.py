"""Registering patrons, PINs and logins, registration renewal, blocks and the staff-view audit."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from django.contrib.auth import get_user_model

from toshokan.catalog.tests import factories as catalog_factories
from toshokan.core.domain import DomainError
from toshokan.patrons import selectors, services
from toshokan.patrons.domain.cards import is_valid_card_number
from toshokan.patrons.domain.enums import (
    BlockReason,
    NoticeChannel,
    PatronStatus,
    RegistrationSource,
    Residency,
    StaffAccessKind,
)
from toshokan.patrons.models import StaffAccess
from toshokan.patrons.tests import factories

pytestmark = pytest.mark.django_db


def test_registration_issues_sequential_valid_card_numbers():
    a = factories.patron("山田")
    b = factories.patron("佐藤")
    assert is_valid_card_number(a.card_number) and is_valid_card_number(b.card_number)
    assert int(b.card_number[:-1]) == int(a.card_number[:-1]) + 1
    assert a.expires_on > a.registered_on
    assert a.notice_channel == NoticeChannel.ACCOUNT  # no e-mail given


def test_a_pre_printed_card_is_checked_and_not_issued_twice():
    branch = catalog_factories.branch()
    number = factories.patron().card_number
    with pytest.raises(DomainError) as e:
        services.register_patron(family_name="鈴木", home_branch=branch, card_number=number)
    assert e.value.code == "card_in_use"
    with pytest.raises(DomainError) as e:
        services.register_patron(family_name="鈴木", home_branch=branch, card_number="2900000099990")
    assert e.value.code == "invalid_card_number"


def test_login_by_card_and_pin_says_the_same_whichever_is_wrong():
    patron = factories.patron(pin="4821")
    assert services.authenticate(card_number=patron.card_number, pin="4821").pk == patron.pk
    with pytest.raises(services.AuthenticationFailed) as wrong_pin:
        services.authenticate(card_number=patron.card_number, pin="4822")
    with pytest.raises(services.AuthenticationFailed) as wrong_card:
        services.authenticate(card_number="2900000000000", pin="4821")
    assert str(wrong_pin.value) == str(wrong_card.value)


def test_registration_renewal_window():
    patron = factories.patron(residency=Residency.COMMUTER, today=date(2026, 4, 1))
    with pytest.raises(DomainError) as e:
        services.renew_registration(patron=patron, today=date(2026, 12, 1))
    assert e.value.code == "renewal_too_early"
    renewed = services.renew_registration(patron=patron, today=date(2027, 3, 20))
    assert renewed.expires_on == date(2028, 4, 1)


def test_blocks_are_lifted_not_deleted():
    patron = factories.patron()
    block = services.add_block(patron=patron, reason=BlockReason.LOST_CARD, note="電話で届出")
    assert list(selectors.active_blocks(patron)) == [block]
    services.lift_block(block=block)
    assert list(selectors.active_blocks(patron)) == []
    assert patron.blocks.count() == 1


def test_email_notices_need_an_address():
    patron = factories.patron()
    with pytest.raises(DomainError) as e:
        services.update_preferences(patron=patron, notice_channel=NoticeChannel.EMAIL)
    assert e.value.code == "email_required"
    updated = services.update_preferences(
        patron=patron, email="hanako@example.jp", notice_channel=NoticeChannel.EMAIL
    )
    assert updated.notice_channel == "email"
    with pytest.raises(DomainError):
        services.update_preferences(patron=patron, card_number="1")


def test_staff_views_are_audited():
    patron = factories.patron()
    staff = get_user_model().objects.create_user("desk1")
    services.record_staff_access(actor=staff, patron=patron, kind=StaffAccessKind.LOANS)
    (row,) = StaffAccess.objects.all()
    assert (row.actor_id, row.patron_id, row.kind, row.via) == (staff.pk, patron.pk, "loans", "desk")


def test_desk_lookup_by_card_or_name():
    patron = factories.patron("高橋")
    factories.patron("高田")
    assert selectors.search_patrons(patron.card_number) == [patron]
    assert {p.family_name for p in selectors.search_patrons("高")} == {"高橋", "高田"}
    assert selectors.search_patrons("") == []


def test_a_desk_registration_is_full_and_an_online_one_provisional_for_the_provisional_period():
    desk = factories.patron("窓口", today=date(2026, 11, 26))
    assert (desk.status, desk.registration_source, desk.verified_at) == ("full", "desk", None)
    online = services.register_patron(
        family_name="新井",
        home_branch=catalog_factories.branch(),
        status=PatronStatus.PROVISIONAL,
        registration_source=RegistrationSource.ONLINE,
        today=date(2026, 11, 26),
    )
    assert (online.status, online.registration_source) == ("provisional", "online")
    assert online.expires_on == date(2026, 12, 26)  # 30 days by default


def test_a_jpki_registration_records_who_verified_and_when():
    staff = get_user_model().objects.create_user("clerk")
    at = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)
    patron = services.register_patron(
        family_name="番号",
        home_branch=catalog_factories.branch(),
        registration_source=RegistrationSource.JPKI,
        verified_at=at,
        verified_by=staff,
    )
    patron.refresh_from_db()
    assert (patron.status, patron.registration_source, patron.verified_at, patron.verified_by) == (
        "full",
        "jpki",
        at,
        staff,
    )
