"""send_notice and the e-mail task, against a real SMTP server on loopback (aiosmtpd)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from toshokan.core.domain import Forbidden
from toshokan.notices import selectors, services
from toshokan.notices.domain.enums import NoticeKind, NoticeStatus
from toshokan.notices.domain.messages import NoticeContext, NoticeError, NoticeItem
from toshokan.notices.models import Notice, OutboundEmail
from toshokan.notices.tests.smtp import REFUSED_DOMAIN
from toshokan.patrons import services as patron_services
from toshokan.patrons.models import StaffAccess
from toshokan.patrons.tests import factories as patron_factories

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Tokyo")
PICKUP_BY = date(2026, 12, 10)
READY = NoticeContext(on=PICKUP_BY, branch="中央図書館", branch_en="Central Library")
TITLES = [NoticeItem("吾輩は猫である"), NoticeItem("Tom & Jerry <特別版>")]


def hold_ready(patron, items=TITLES[:1]):
    return services.send_notice(patron=patron, kind=NoticeKind.HOLD_READY, items=items, context=READY)


def test_a_hold_ready_email_arrives_with_the_patrons_address_a_japanese_subject_and_the_titles(
    smtp_server, django_capture_on_commit_callbacks
):
    patron = patron_factories.patron(email="hanako@example.jp")
    with django_capture_on_commit_callbacks(execute=True):
        notice = hold_ready(patron, TITLES)

    [mail] = smtp_server.received
    assert mail.rcpt_tos == ["hanako@example.jp"]
    assert mail.mail_from == "noreply@library.example"
    message = mail.message
    assert message["To"] == "hanako@example.jp"
    assert message["Subject"] == "【デモ市立図書館】予約資料のご用意"  # no folding space in front
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["From"].addresses[0].display_name == "デモ市立図書館"
    raw_headers = mail.raw.split(b"\r\n\r\n", 1)[0]
    assert raw_headers.isascii() and b"Subject: =?utf-8?b?" in raw_headers  # RFC 2047 encoded words
    assert "山田 花子 様" in mail.body
    assert "予約資料が2点ご用意できました。中央図書館のカウンターでお受け取りください。" in mail.body
    assert "2026年12月10日（木）" in mail.body
    assert "・吾輩は猫である" in mail.body
    assert "・Tom & Jerry <特別版>" in mail.body  # a text e-mail: nothing HTML-escaped

    notice.refresh_from_db()
    assert notice.status == NoticeStatus.DELIVERED
    assert notice.sent_at is not None and notice.error == ""
    assert notice.address == "hanako@example.jp"
    assert not OutboundEmail.objects.exists()


def test_nothing_is_sent_until_the_transaction_commits(smtp_server, django_capture_on_commit_callbacks):
    patron = patron_factories.patron(email="hanako@example.jp")
    with django_capture_on_commit_callbacks(execute=True):
        notice = hold_ready(patron)
        assert smtp_server.received == []
        assert Notice.objects.get(pk=notice.pk).status == NoticeStatus.QUEUED
    assert len(smtp_server.received) == 1


@pytest.mark.django_db(transaction=True)
def test_nothing_is_sent_if_the_transaction_rolls_back(smtp_server):
    patron = patron_factories.patron(email="hanako@example.jp")

    class Abandoned(Exception):
        pass

    with pytest.raises(Abandoned), transaction.atomic():
        hold_ready(patron)
        raise Abandoned
    assert smtp_server.received == []
    assert not Notice.objects.exists()
    assert not OutboundEmail.objects.exists()

    # The same call committed for real does send (the test is not passing for want of a server).
    hold_ready(patron)
    assert len(smtp_server.received) == 1
    assert Notice.objects.get().status == NoticeStatus.DELIVERED


def test_a_refused_recipient_marks_the_notice_failed_with_the_servers_answer(
    smtp_server, django_capture_on_commit_callbacks
):
    patron = patron_factories.patron(email=f"nobody@{REFUSED_DOMAIN}")
    with django_capture_on_commit_callbacks(execute=True):
        notice = hold_ready(patron)
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.FAILED
    assert (
        notice.error
        == f"nobody@{REFUSED_DOMAIN}: 550 5.1.1 <nobody@{REFUSED_DOMAIN}>: Recipient address rejected: User unknown"
    )
    assert notice.sent_at is None
    assert smtp_server.received == []
    assert not OutboundEmail.objects.exists()  # the text that lists titles is gone all the same


def test_a_server_that_is_down_marks_the_notice_failed_with_the_connection_error(
    smtp_down, django_capture_on_commit_callbacks
):
    patron = patron_factories.patron(email="hanako@example.jp")
    with django_capture_on_commit_callbacks(execute=True):
        notice = hold_ready(patron)
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.FAILED
    assert notice.error.startswith(f"127.0.0.1:{smtp_down}: ConnectionRefusedError")
    assert not OutboundEmail.objects.exists()


def test_a_server_that_never_answers_fails_the_notice_after_the_timeout(
    smtp_down, settings, django_capture_on_commit_callbacks
):
    import socket

    settings.EMAIL_TIMEOUT = 1
    with socket.socket() as silent:  # listens, so the connection is made, but never greets
        silent.bind(("127.0.0.1", smtp_down))
        silent.listen()
        patron = patron_factories.patron(email="hanako@example.jp")
        with django_capture_on_commit_callbacks(execute=True):
            notice = hold_ready(patron)
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.FAILED
    assert (
        notice.error
        == f"127.0.0.1:{smtp_down}: SMTPServerDisconnected: Connection unexpectedly closed: timed out"
    )


def test_a_patron_who_chose_the_account_gets_no_mail_but_a_delivered_notice_in_their_log(
    smtp_server, django_capture_on_commit_callbacks
):
    patron = patron_factories.patron(email="hanako@example.jp")
    patron_services.update_preferences(patron=patron, notice_channel="account")
    patron.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        notice = hold_ready(patron)
    assert callbacks == []
    assert smtp_server.received == []
    assert notice.channel == "account"
    assert notice.status == NoticeStatus.DELIVERED
    assert list(selectors.patron_notices(patron)) == [notice]


def test_a_patron_with_e_mail_chosen_but_no_address_sees_the_notice_in_the_account_marked_failed(smtp_server):
    patron = patron_factories.patron(email="hanako@example.jp")
    patron.email = ""  # as if the address was removed behind the preferences' back
    notice = hold_ready(patron)
    assert notice.status == NoticeStatus.FAILED
    assert "no e-mail address" in notice.error
    assert not OutboundEmail.objects.exists()


def test_the_stored_notice_names_no_title_only_the_count_branch_and_deadline(
    smtp_server, django_capture_on_commit_callbacks
):
    patron = patron_factories.patron(email="hanako@example.jp")
    with django_capture_on_commit_callbacks(execute=True):
        hold_ready(patron, TITLES)
    stored = Notice.objects.get()
    for text in (stored.subject, stored.body, stored.error):
        for item in TITLES:
            assert item.title not in text
            assert item.title[:3] not in text
    assert stored.body == (
        "予約資料が2点ご用意できました。中央図書館のカウンターでお受け取りください。"
        "取置期限は2026年12月10日（木）です。"
    )
    assert any(t.title in smtp_server.received[0].body for t in TITLES)  # the e-mail itself did list them


@pytest.mark.django_db(transaction=True)  # the worker checks its connection as between requests
def test_the_task_queue_keeps_only_the_notice_id_and_the_database_worker_sends_the_mail(
    smtp_server, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    patron = patron_factories.patron(email="hanako@example.jp")
    notice = hold_ready(patron, TITLES)
    [queued] = DBTaskResult.objects.all()
    assert queued.args_kwargs == {"args": [notice.pk], "kwargs": {}}
    assert smtp_server.received == []

    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)

    assert len(smtp_server.received) == 1
    notice.refresh_from_db()
    assert notice.status == NoticeStatus.DELIVERED
    queued.refresh_from_db()
    assert queued.status == "SUCCESSFUL"
    kept = repr(queued.args_kwargs) + repr(queued.return_value)
    assert all(t.title not in kept for t in TITLES)


def test_the_task_run_twice_sends_the_mail_once(smtp_server, django_capture_on_commit_callbacks):
    patron = patron_factories.patron(email="hanako@example.jp")
    with django_capture_on_commit_callbacks(execute=True):
        notice = hold_ready(patron)
    assert services.deliver_email(notice_id=notice.pk) is None
    assert len(smtp_server.received) == 1


def test_english_speaking_patrons_get_the_mail_in_english(smtp_server, django_capture_on_commit_callbacks):
    patron = patron_factories.patron(email="mary@example.com")
    patron_services.update_preferences(patron=patron, language="en")
    patron.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        notice = services.send_notice(
            patron=patron,
            kind=NoticeKind.DUE_SOON,
            items=[NoticeItem("こころ", due_on=PICKUP_BY)],
            context=NoticeContext(on=PICKUP_BY),
        )
    message = smtp_server.received[0].message
    assert message["Subject"] == "[Demo City Library] Items due soon"  # ASCII: not folded
    body = smtp_server.received[0].body
    assert body.startswith("Dear 山田 花子 (card ")
    assert "1 item you borrowed is due on Thursday, 10 December 2026." in body
    assert "- こころ (due Thursday, 10 December 2026)" in body
    assert notice.language == "en" and notice.subject == "Items due soon"


@pytest.mark.parametrize(
    ("kind", "items", "context", "code"),
    [
        ("reminder", TITLES, READY, "unknown_notice_kind"),
        (NoticeKind.HOLD_READY, TITLES, NoticeContext(branch="中央図書館"), "notice_needs_date"),
        (NoticeKind.HOLD_READY, TITLES, NoticeContext(on=PICKUP_BY), "notice_needs_branch"),
        (NoticeKind.DUE_SOON, [], READY, "notice_needs_items"),
        (NoticeKind.REGISTRATION_EXPIRING, TITLES, READY, "notice_takes_no_items"),
        (NoticeKind.OVERDUE, [NoticeItem("  ")], READY, "notice_item_untitled"),
    ],
)
def test_a_notice_that_would_say_nothing_useful_is_refused(kind, items, context, code):
    patron = patron_factories.patron(email="hanako@example.jp")
    with pytest.raises(NoticeError) as excinfo:
        services.send_notice(patron=patron, kind=kind, items=items, context=context)
    assert excinfo.value.code == code
    assert not Notice.objects.exists()


def test_a_stalled_notice_is_enqueued_again_or_marked_failed_when_its_mail_was_taken(smtp_server):
    patron = patron_factories.patron(email="hanako@example.jp")
    long_ago = timezone.now() - timedelta(hours=1)
    waiting = services.send_notice(
        patron=patron, kind=NoticeKind.HOLD_READY, items=TITLES, context=READY, now=long_ago
    )  # its on-commit task never ran (the test transaction does not commit)
    taken = services.send_notice(
        patron=patron, kind=NoticeKind.HOLD_READY, items=TITLES, context=READY, now=long_ago
    )
    OutboundEmail.objects.filter(notice=taken).delete()  # a worker took it and died
    fresh = hold_ready(patron)

    assert services.retry_stalled() == (1, 1)
    assert Notice.objects.get(pk=waiting.pk).status == NoticeStatus.DELIVERED
    assert Notice.objects.get(pk=taken.pk).status == NoticeStatus.FAILED
    assert "interrupted" in Notice.objects.get(pk=taken.pk).error
    assert Notice.objects.get(pk=fresh.pk).status == NoticeStatus.QUEUED  # not stalled yet
    assert len(smtp_server.received) == 1


def test_old_notices_are_pruned_after_the_retention_period():
    patron = patron_factories.patron()
    now = datetime(2026, 12, 1, 9, tzinfo=TZ)
    old = services.send_notice(
        patron=patron,
        kind=NoticeKind.REGISTRATION_EXPIRING,
        context=NoticeContext(on=date(2025, 1, 1)),
        now=now - timedelta(days=400),
    )
    recent = services.send_notice(
        patron=patron,
        kind=NoticeKind.REGISTRATION_EXPIRING,
        context=NoticeContext(on=date(2027, 1, 1)),
        now=now - timedelta(days=10),
    )
    assert services.prune(now=now, days=365) == 1
    assert list(Notice.objects.values_list("pk", flat=True)) == [recent.pk]
    assert old.pk != recent.pk
    with pytest.raises(NoticeError):
        services.prune(now=now, days=0)


def test_the_patron_marks_notices_read(smtp_server):
    patron = patron_factories.patron()
    other = patron_factories.patron("佐藤")
    first = hold_ready(patron)
    hold_ready(patron)
    hold_ready(other)
    assert selectors.unread_count(patron) == 2
    assert services.mark_read(patron=patron, notice_ids=[first.pk]) == 1
    assert selectors.unread_count(patron) == 1
    assert services.mark_read(patron=patron) == 1
    assert selectors.unread_count(patron) == 0
    assert selectors.unread_count(other) == 1


def test_staff_see_a_patrons_notices_only_with_the_permission_and_every_look_is_audited(
    django_user_model,
):
    from django.contrib.auth.models import Permission

    patron = patron_factories.patron()
    hold_ready(patron)
    clerk = django_user_model.objects.create_user("clerk", password="x" * 12, is_staff=True)
    with pytest.raises(Forbidden):
        selectors.notices_for_staff(actor=clerk, patron=patron)
    assert not StaffAccess.objects.exists()

    clerk.user_permissions.add(Permission.objects.get(codename="view_notice"))
    clerk = django_user_model.objects.get(pk=clerk.pk)  # permissions are cached per instance
    assert len(selectors.notices_for_staff(actor=clerk, patron=patron, via="api")) == 1
    access = StaffAccess.objects.get()
    assert (access.actor_id, access.patron_id, access.kind, access.via) == (
        clerk.pk,
        patron.pk,
        "notices",
        "api",
    )


def test_a_failed_e_mail_is_sent_again_once_the_address_is_corrected_without_its_titles(
    smtp_server, django_capture_on_commit_callbacks
):
    patron = patron_factories.patron(email=f"typo@{REFUSED_DOMAIN}")
    with django_capture_on_commit_callbacks(execute=True):
        failed = hold_ready(patron, TITLES)
    failed.refresh_from_db()
    assert failed.status == NoticeStatus.FAILED and smtp_server.received == []

    patron_services.update_preferences(patron=patron, email="hanako@example.jp")
    with django_capture_on_commit_callbacks(execute=True):
        again = services.resend(notice=failed)
    again.refresh_from_db()
    assert again.pk != failed.pk and again.status == NoticeStatus.DELIVERED
    assert (again.kind, again.subject, again.body) == (failed.kind, failed.subject, failed.body)
    assert Notice.objects.get(pk=failed.pk).status == NoticeStatus.FAILED  # the failure stays in the log
    [mail] = smtp_server.received
    assert mail.rcpt_tos == ["hanako@example.jp"]
    assert failed.body in mail.body
    assert all(t.title not in mail.body for t in TITLES)  # never kept, so not in the second mail

    with pytest.raises(NoticeError) as excinfo:
        services.resend(notice=again)
    assert excinfo.value.code == "notice_not_failed"
    patron_services.update_preferences(patron=patron, notice_channel="account")
    with pytest.raises(NoticeError) as excinfo:
        services.resend(notice=failed)
    assert excinfo.value.code == "notice_no_email"
