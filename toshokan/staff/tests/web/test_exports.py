"""The warrant export pages (/staff/exports) through Django's test client: a fresh confirmation
of the password and second factor before requesting, deciding and downloading; a second member
of staff to approve; one download; every step in the audit log."""

from __future__ import annotations

import io
import json
import re
import time
import zipfile

import pytest
from django.test import Client

from toshokan.circulation.models import ReadingRecordExport
from toshokan.core.models import AuditEvent
from toshokan.patrons.tests import factories as patron_factories
from toshokan.staff import sessions
from toshokan.staff.testing import sign_in

from ..conftest import make_staff

pytestmark = pytest.mark.django_db

WARRANT = "令和8年(む)第77号 捜索差押許可状 さいたま地方裁判所"


def signed_in(user) -> Client:
    return sign_in(Client(), user)


def stale(client: Client) -> Client:
    """The second factor was given an hour ago: re-authentication is due."""
    session = client.session
    session[sessions.AUTHENTICATED_AT] = time.time() - 3600
    session.save()
    return client


@pytest.fixture
def patron(db):
    return patron_factories.patron("令状", given_name="対象")


def request_export(client: Client, patron) -> ReadingRecordExport:
    response = client.post("/staff/exports/new", {"card_number": patron.card_number, "reason": WARRANT})
    assert response.status_code == 302, response.content.decode()
    return ReadingRecordExport.objects.get(card_number=patron.card_number)


def test_the_whole_procedure_through_the_pages(patron):
    clerk, boss = make_staff("clerk", "desk"), make_staff("boss", "manager")
    mine, theirs = signed_in(clerk), signed_in(boss)

    form = mine.get("/staff/exports/new")
    assert form.status_code == 200 and "令状" in form.content.decode()
    export = request_export(mine, patron)
    assert export.state == "pending"

    page = theirs.get(f"/staff/exports/{export.pk}").content.decode()
    assert WARRANT in page and 'value="approve"' in page
    assert (
        theirs.post(
            f"/staff/exports/{export.pk}/decide", {"decision": "approve", "note": "確認済"}
        ).status_code
        == 302
    )
    export.refresh_from_db()
    assert (export.state, export.decided_by_name) == ("approved", "boss")

    got = mine.post(f"/staff/exports/{export.pk}/download")
    assert got.status_code == 200
    assert got["Content-Type"] == "application/zip"
    assert "attachment" in got["Content-Disposition"]
    assert "no-store" in got["Cache-Control"]
    with zipfile.ZipFile(io.BytesIO(got.content)) as archive:
        data = json.loads(archive.read("reading-record.json"))
    assert data["patron"]["card_number"] == patron.card_number

    again = mine.post(f"/staff/exports/{export.pk}/download", follow=True)
    assert again["Content-Type"].startswith("text/html")
    assert "すでにダウンロード" in again.content.decode()
    actions = list(
        AuditEvent.objects.filter(patron_id=patron.pk, action__startswith="export")
        .order_by("seq")
        .values_list("action", "actor_username", "via")
    )
    assert actions == [
        ("export_requested", "clerk", "desk"),
        ("export_approved", "boss", "desk"),
        ("export_downloaded", "clerk", "desk"),
    ]


def test_a_manager_cannot_approve_their_own_request_through_the_page(patron):
    boss = make_staff("boss", "manager")
    client = signed_in(boss)
    export = request_export(client, patron)
    page = client.get(f"/staff/exports/{export.pk}").content.decode()
    assert 'value="approve"' not in page and "自分の申請は承認できません" in page
    answer = client.post(
        f"/staff/exports/{export.pk}/decide", {"decision": "approve", "note": "x"}, follow=True
    )
    assert "別の職員の承認が必要です" in answer.content.decode()
    export.refresh_from_db()
    assert export.state == "pending"
    assert not AuditEvent.objects.filter(action="export_approved").exists()


def test_desk_staff_cannot_decide(patron):
    boss, clerk = make_staff("boss", "manager"), make_staff("clerk", "desk")
    export = request_export(signed_in(boss), patron)
    assert (
        signed_in(clerk).post(f"/staff/exports/{export.pk}/decide", {"decision": "approve"}).status_code
        == 403
    )
    export.refresh_from_db()
    assert export.state == "pending"


def test_each_step_asks_for_a_fresh_confirmation(patron):
    clerk, boss = make_staff("clerk", "desk"), make_staff("boss", "manager")
    old = stale(signed_in(clerk))
    response = old.get("/staff/exports/new")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/confirm?next=")
    assert (
        old.post("/staff/exports/new", {"card_number": patron.card_number, "reason": WARRANT}).status_code
        == 302
    )
    assert not ReadingRecordExport.objects.exists()

    export = request_export(signed_in(clerk), patron)
    boss_old = stale(signed_in(boss))
    refused = boss_old.post(f"/staff/exports/{export.pk}/decide", {"decision": "approve", "note": "x"})
    assert refused["Location"].startswith("/staff/confirm")
    export.refresh_from_db()
    assert export.state == "pending"
    signed_in(boss).post(f"/staff/exports/{export.pk}/decide", {"decision": "approve", "note": "x"})
    later = stale(signed_in(clerk))
    assert later.post(f"/staff/exports/{export.pk}/download")["Location"].startswith("/staff/confirm")
    export.refresh_from_db()
    assert export.state == "approved"


def test_a_request_without_a_reason_is_refused_with_a_message(patron):
    client = signed_in(make_staff("clerk", "desk"))
    response = client.post("/staff/exports/new", {"card_number": patron.card_number, "reason": "令状"})
    assert response.status_code == 400
    assert "裁判所" in response.content.decode()
    unknown = client.post("/staff/exports/new", {"card_number": "29009999999", "reason": WARRANT})
    assert unknown.status_code == 400
    assert not ReadingRecordExport.objects.exists()


def test_the_pages_need_a_staff_login_and_run_no_inline_script(client, patron):
    anonymous = client.get("/staff/exports")
    assert anonymous.status_code == 302 and "login" in anonymous["Location"]
    cataloguer = signed_in(make_staff("cat", "cataloguer"))
    assert cataloguer.get("/staff/exports").status_code == 403
    clerk = signed_in(make_staff("clerk", "desk"))
    request_export(clerk, patron)
    for path in (
        "/staff/exports",
        "/staff/exports/new",
        f"/staff/exports/{ReadingRecordExport.objects.get().pk}",
    ):
        html = clerk.get(path).content.decode()
        scripts = re.findall(r"<script\b[^>]*>", html)
        assert all("src=" in tag for tag in scripts), (path, scripts)
        assert not re.search(r"<[^>]+\son[a-z]+\s*=", html), path  # no inline event handlers


def test_staff_see_their_own_requests_and_approvers_see_all(patron):
    clerk, other, boss = (
        make_staff("clerk", "desk"),
        make_staff("other", "desk"),
        make_staff("boss", "manager"),
    )
    export = request_export(signed_in(clerk), patron)
    assert patron.card_number in signed_in(clerk).get("/staff/exports").content.decode()
    assert patron.card_number not in signed_in(other).get("/staff/exports").content.decode()
    assert signed_in(other).get(f"/staff/exports/{export.pk}").status_code == 404
    assert patron.card_number in signed_in(boss).get("/staff/exports").content.decode()


def test_the_pages_speak_english_to_an_english_browser(patron):
    client = signed_in(make_staff("clerk", "desk"))
    html = client.get("/staff/exports", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Reading record exports (warrants)" in html and "New request" in html
    assert "A request not decided within 7 days lapses" in html


def test_the_desk_links_to_the_exports_only_for_staff_who_may_use_them(patron):
    link = 'href="/staff/exports"'
    assert link in signed_in(make_staff("clerk", "desk")).get("/desk/checkout").content.decode()
    assert link in signed_in(make_staff("boss", "manager")).get("/desk/checkout").content.decode()
    assert link not in signed_in(make_staff("cat", "cataloguer")).get("/staff/exports").content.decode()
