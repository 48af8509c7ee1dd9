"""The notice log in the admin: read-only, and every patron shown is audited."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import Group

from toshokan.core import demo_staff
from toshokan.notices import selectors, services
from toshokan.notices.domain.enums import NoticeKind
from toshokan.notices.domain.messages import NoticeContext
from toshokan.patrons.models import StaffAccess
from toshokan.patrons.tests import factories as patron_factories

pytestmark = pytest.mark.django_db


def registration_notice(patron):
    return services.send_notice(
        patron=patron, kind=NoticeKind.REGISTRATION_EXPIRING, context=NoticeContext(on=date(2027, 1, 1))
    )


def test_the_admin_list_and_detail_audit_every_patron_they_show(admin_client, admin_user):
    hanako = patron_factories.patron()
    taro = patron_factories.patron("佐藤", given_name="太郎")
    notice = registration_notice(hanako)
    registration_notice(taro)
    registration_notice(taro)

    page = admin_client.get("/admin/notices/notice/")
    assert page.status_code == 200
    audited = sorted(StaffAccess.objects.values_list("patron_id", "kind", "via", "actor_id"))
    assert audited == sorted(
        [(hanako.pk, "notices", "admin", admin_user.pk), (taro.pk, "notices", "admin", admin_user.pk)]
    )

    StaffAccess.objects.all().delete()
    detail = admin_client.get(f"/admin/notices/notice/{notice.pk}/change/")
    assert detail.status_code == 200
    assert "利用者カードの有効期限は" in detail.content.decode()
    assert list(StaffAccess.objects.values_list("patron_id", "via")) == [(hanako.pk, "admin")]


def test_the_admin_cannot_add_or_change_notices(admin_client):
    notice = registration_notice(patron_factories.patron())
    assert admin_client.get("/admin/notices/notice/add/").status_code == 403
    response = admin_client.post(f"/admin/notices/notice/{notice.pk}/change/", {"subject": "書き換え"})
    assert response.status_code == 403


def test_the_desk_role_may_read_a_patrons_notices_and_is_audited(django_user_model):
    demo_staff.ensure_groups()
    group = Group.objects.get(name="desk")
    clerk = django_user_model.objects.create_user("desk1", password="x" * 12, is_staff=True)
    clerk.groups.add(group)
    patron = patron_factories.patron()
    registration_notice(patron)
    assert len(selectors.notices_for_staff(actor=clerk, patron=patron)) == 1
    assert StaffAccess.objects.filter(actor=clerk, patron=patron, kind="notices").count() == 1
