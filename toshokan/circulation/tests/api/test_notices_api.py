"""Notices in the API: the patron reads their own log and marks it read; staff with the notices
permission see a patron's log (audited); a desk account without it is refused."""

from __future__ import annotations

import pytest
from django.utils import timezone

from toshokan.circulation.tests import factories
from toshokan.notices import services as notice_services
from toshokan.notices.domain.messages import NoticeContext
from toshokan.patrons.models import StaffAccess
from toshokan.patrons.tests import factories as patron_factories
from toshokan.patrons.tests.api_clients import DESK, patron_client, post, staff_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def noticed():
    factories.branch("central")
    p = patron_factories.patron()  # notices in the account (no e-mail address)
    other = patron_factories.patron("他人")
    context = NoticeContext(on=timezone.localdate())
    for who in (p, p, other):
        notice_services.send_notice(patron=who, kind="registration_expiring", context=context)
    return p


def test_a_patron_reads_only_their_notices_and_marks_them_read(noticed):
    me = patron_client(noticed)
    data = me.get("/api/v1/me/notices").json()
    assert data["unread"] == 2 and len(data["notices"]) == 2
    assert {n["status"] for n in data["notices"]} == {"delivered"}
    assert "address" not in data["notices"][0]
    assert post(me, "/api/v1/me/notices/read", {"ids": [data["notices"][0]["id"]]}).json() == {"marked": 1}
    assert me.get("/api/v1/me/notices").json()["unread"] == 1
    assert post(me, "/api/v1/me/notices/read", {}).json() == {"marked": 1}
    assert me.get("/api/v1/me/notices").json()["unread"] == 0


def test_staff_see_a_patrons_notices_only_with_the_permission_and_it_is_audited(noticed):
    plain_desk = staff_client("desk", DESK)
    refused = plain_desk.get(f"/api/v1/patrons/{noticed.card_number}/notices")
    assert refused.status_code == 403 and refused.json()["error"] == "notices_forbidden"
    allowed = staff_client("desk2", (*DESK, "notices.view_notice"))
    notices = allowed.get(f"/api/v1/patrons/{noticed.card_number}/notices").json()
    assert len(notices) == 2 and {"address", "error"} <= notices[0].keys()
    assert StaffAccess.objects.filter(patron=noticed, kind="notices", via="api").count() == 1
