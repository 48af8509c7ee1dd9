"""Notices from circulation — hold ready at the return, and the daily scans — e-mailed to a real
SMTP server on loopback (aiosmtpd, the `smtp_server` fixture)."""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone

from toshokan.circulation import services, tasks
from toshokan.circulation.models import CirculationSettings, Hold, Loan
from toshokan.circulation.tests import factories
from toshokan.notices.domain.enums import NoticeKind, NoticeStatus
from toshokan.notices.models import Notice, OutboundEmail
from toshokan.patrons import services as patron_services
from toshokan.patrons.domain.enums import Residency
from toshokan.patrons.tests import factories as patron_factories

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Tokyo")
MONDAY = date(2026, 12, 7)


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=TZ)


def reader(name: str = "山田", email: str = "hanako@example.jp", **kwargs):
    return patron_factories.patron(name, email=email, today=MONDAY - timedelta(days=30), **kwargs)


def lend(patron, title: str = "吾輩は猫である", day: date = MONDAY, branch_code: str = "central") -> Loan:
    from toshokan.catalog.tests import factories as catalog_factories

    item = factories.copy(catalog_factories.record(title), branch_code=branch_code)
    return services.checkout(barcode=item.barcode, patron=patron, branch=item.branch, now=at(day))


def notices(kind: NoticeKind | None = None) -> list[Notice]:
    qs = Notice.objects.order_by("pk")
    return list(qs.filter(kind=kind) if kind else qs)


# -- hold ready ---------------------------------------------------------------------------------


def test_a_return_that_fills_a_hold_tells_its_patron_once(smtp_server, django_capture_on_commit_callbacks):
    borrower = reader("佐藤", email="sato@example.jp")
    waiting = reader("鈴木", email="suzuki@example.jp")
    loan = lend(borrower, "こころ")
    services.place_hold(
        patron=waiting, record=loan.holding.record, pickup_branch=loan.branch, now=at(MONDAY, 11)
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.checkin(barcode=loan.holding.barcode, branch=loan.branch, now=at(MONDAY + timedelta(days=3)))

    [mail] = smtp_server.received
    assert mail.rcpt_tos == ["suzuki@example.jp"]
    assert mail.message["Subject"] == "【デモ市立図書館】予約資料のご用意"
    assert "・こころ" in mail.body
    hold = Hold.objects.get(patron=waiting)
    assert hold.state == "ready" and hold.ready_sent_on == MONDAY + timedelta(days=3)
    assert hold.pickup_by is not None
    [notice] = notices()
    assert notice.patron_id == waiting.pk and notice.status == NoticeStatus.DELIVERED
    assert f"中央図書館のカウンターでお受け取りください。取置期限は{hold.pickup_by.year}年" in notice.body
    assert "こころ" not in notice.body + notice.subject

    # Scanned again on the hold shelf: no second notice.
    with django_capture_on_commit_callbacks(execute=True):
        services.checkin(
            barcode=loan.holding.barcode, branch=loan.branch, now=at(MONDAY + timedelta(days=3), 15)
        )
    assert len(smtp_server.received) == 1 and len(notices()) == 1


def test_a_hold_picked_up_elsewhere_is_announced_when_the_copy_arrives_not_when_it_leaves(
    smtp_server, django_capture_on_commit_callbacks
):
    from toshokan.catalog.tests import factories as catalog_factories

    kita = catalog_factories.branch("kita", "北分館")
    kita.name_en = "North Branch"
    kita.save()
    borrower = reader("佐藤", email="sato@example.jp")
    waiting = reader("鈴木", email="suzuki@example.jp")
    patron_services.update_preferences(patron=waiting, language="en")
    waiting.refresh_from_db()
    loan = lend(borrower, "坊っちゃん")
    services.place_hold(patron=waiting, record=loan.holding.record, pickup_branch=kita, now=at(MONDAY, 11))

    with django_capture_on_commit_callbacks(execute=True):
        result = services.checkin(
            barcode=loan.holding.barcode, branch=loan.branch, now=at(MONDAY + timedelta(days=1))
        )
    assert result.route == "transit"
    assert smtp_server.received == [] and notices() == []

    with django_capture_on_commit_callbacks(execute=True):
        services.checkin(barcode=loan.holding.barcode, branch=kita, now=at(MONDAY + timedelta(days=2)))
    [mail] = smtp_server.received
    assert mail.message["Subject"] == "[Demo City Library] Your hold is ready"
    assert "ready for pickup at the North Branch desk" in mail.body
    assert "- 坊っちゃん" in mail.body


@pytest.mark.django_db(transaction=True)
def test_a_return_that_is_rolled_back_sends_nothing(smtp_server):
    borrower = reader("佐藤", email="sato@example.jp")
    waiting = reader("鈴木", email="suzuki@example.jp")
    loan = lend(borrower, "こころ")
    services.place_hold(patron=waiting, record=loan.holding.record, pickup_branch=loan.branch, now=at(MONDAY))

    class DeskCrashed(Exception):
        pass

    with pytest.raises(DeskCrashed), transaction.atomic():
        services.checkin(barcode=loan.holding.barcode, branch=loan.branch, now=at(MONDAY + timedelta(days=1)))
        raise DeskCrashed
    assert smtp_server.received == [] and notices() == []
    assert Loan.objects.filter(pk=loan.pk).exists()

    services.checkin(barcode=loan.holding.barcode, branch=loan.branch, now=at(MONDAY + timedelta(days=1)))
    assert [m.rcpt_tos for m in smtp_server.received] == [["suzuki@example.jp"]]


# -- due soon -----------------------------------------------------------------------------------


def test_the_due_soon_reminder_goes_once_per_due_date_and_again_after_a_renewal(
    smtp_server, django_capture_on_commit_callbacks
):
    CirculationSettings.objects.create(due_soon_days=2)
    patron = reader()
    first = lend(patron, "こころ")
    second = lend(patron, "それから")
    due = first.due_on
    assert second.due_on == due

    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_due_soon_notices(today=due - timedelta(days=3)) == 0
        assert tasks.send_due_soon_notices(today=due - timedelta(days=2)) == 1
        assert tasks.send_due_soon_notices(today=due - timedelta(days=2)) == 0  # a second run
        assert tasks.send_due_soon_notices(today=due - timedelta(days=1)) == 0  # the next day

    [mail] = smtp_server.received
    assert mail.message["Subject"] == "【デモ市立図書館】返却期限のお知らせ"
    assert "・こころ（返却期限 " in mail.body and "・それから（返却期限 " in mail.body
    [notice] = notices(NoticeKind.DUE_SOON)
    assert notice.body.startswith(f"{due.year}年{due.month}月{due.day}日")
    assert "資料が2点あります" in notice.body
    assert set(Loan.objects.values_list("due_soon_sent_on", flat=True)) == {due - timedelta(days=2)}

    renewed = services.renew(barcode=first.holding.barcode, now=at(due - timedelta(days=1)))
    assert renewed.due_on > due and renewed.due_soon_sent_on is None
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_due_soon_notices(today=renewed.due_on - timedelta(days=2)) == 1
    assert len(smtp_server.received) == 2
    assert "・こころ" in smtp_server.received[1].body and "それから" not in smtp_server.received[1].body


def test_no_due_soon_reminder_for_a_patron_who_turned_it_off(smtp_server, django_capture_on_commit_callbacks):
    patron = reader()
    patron_services.update_preferences(patron=patron, due_soon_reminder=False)
    loan = lend(patron)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_due_soon_notices(today=loan.due_on) == 0
    assert smtp_server.received == [] and notices() == []
    assert Loan.objects.get(pk=loan.pk).due_soon_sent_on is None


def test_a_patron_who_chose_the_account_gets_a_log_row_and_no_mail(
    smtp_server, django_capture_on_commit_callbacks
):
    patron = reader()
    patron_services.update_preferences(patron=patron, notice_channel="account")
    loan = lend(patron)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_due_soon_notices(today=loan.due_on - timedelta(days=1)) == 1
    assert smtp_server.received == []
    [notice] = notices()
    assert (notice.channel, notice.status, notice.address) == ("account", NoticeStatus.DELIVERED, "")
    assert not OutboundEmail.objects.exists()


# -- overdue ------------------------------------------------------------------------------------


def test_overdue_items_are_told_once_in_one_notice_naming_the_earliest_due_date(
    smtp_server, django_capture_on_commit_callbacks
):
    patron = reader()
    early = lend(patron, "こころ", day=MONDAY)
    late = lend(patron, "門", day=MONDAY + timedelta(days=2))
    lost = lend(patron, "草枕", day=MONDAY)
    services.declare_lost(barcode=lost.holding.barcode)
    other = lend(reader("佐藤", email="sato@example.jp"), "三四郎", day=MONDAY + timedelta(days=6))

    day = late.due_on + timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_overdue_notices(today=early.due_on) == 0  # due today is not overdue
        assert tasks.send_overdue_notices(today=day) == 1
        assert tasks.send_overdue_notices(today=day + timedelta(days=1)) == 0
    [mail] = smtp_server.received
    assert mail.rcpt_tos == ["hanako@example.jp"]
    assert "・こころ" in mail.body and "・門" in mail.body and "草枕" not in mail.body
    [notice] = notices(NoticeKind.OVERDUE)
    assert notice.body.startswith(
        f"返却期限を過ぎた資料が2点あります（返却期限 {early.due_on.year}年{early.due_on.month}月"
    )
    assert Loan.objects.get(pk=other.pk).overdue_sent_on is None  # not due yet
    assert Loan.objects.get(pk=lost.pk).overdue_sent_on is None


# -- holds that expire --------------------------------------------------------------------------


def test_expired_holds_are_ended_and_their_patrons_told_and_the_copy_goes_to_the_next_hold_when_scanned(
    smtp_server, django_capture_on_commit_callbacks
):
    borrower = reader("佐藤", email="sato@example.jp")
    slow = reader("鈴木", email="suzuki@example.jp")
    next_in_line = reader("高橋", email="takahashi@example.jp")
    loan = lend(borrower, "こころ")
    record = loan.holding.record
    services.place_hold(patron=slow, record=record, pickup_branch=loan.branch, now=at(MONDAY, 11))
    services.place_hold(patron=next_in_line, record=record, pickup_branch=loan.branch, now=at(MONDAY, 12))
    # A hold nobody needs any more, on another record.
    unwanted_loan = lend(borrower, "門")
    services.place_hold(
        patron=slow,
        record=unwanted_loan.holding.record,
        pickup_branch=loan.branch,
        not_needed_after=MONDAY + timedelta(days=5),
        now=at(MONDAY, 13),
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.checkin(barcode=loan.holding.barcode, branch=loan.branch, now=at(MONDAY + timedelta(days=1)))
    pickup_by = Hold.objects.get(patron=slow, record=record).pickup_by
    assert len(smtp_server.received) == 1  # 鈴木: ready
    assert pickup_by is not None

    day = pickup_by + timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert services.expire_holds(now=at(day)) == 2
        assert services.expire_holds(now=at(day)) == 0
    assert len(notices(NoticeKind.HOLD_EXPIRED)) == 2  # one per reason

    assert not Hold.objects.filter(patron=slow).exists()
    # The copy stays on the hold shelf until staff take it down and scan it; then it is the next one's.
    assert Hold.objects.get(patron=next_in_line).state == "waiting"
    with django_capture_on_commit_callbacks(execute=True):
        services.checkin(barcode=loan.holding.barcode, branch=loan.branch, now=at(day))
    assert Hold.objects.get(patron=next_in_line).state == "ready"
    by_kind = {(n.patron_id, n.kind): n for n in notices()}
    expired = by_kind[(slow.pk, NoticeKind.HOLD_EXPIRED)]
    assert expired.body == (
        f"中央図書館での取置期限（{pickup_by.year}年{pickup_by.month}月{pickup_by.day}日"
        f"（{'月火水木金土日'[pickup_by.weekday()]}））を過ぎたため、予約1件を取り消しました。"
    )
    unwanted = [n for n in notices(NoticeKind.HOLD_EXPIRED) if n.body.startswith("ご指定の有効期限")]
    assert len(unwanted) == 1 and unwanted[0].patron_id == slow.pk
    assert (next_in_line.pk, NoticeKind.HOLD_READY) in by_kind
    sent_to = [(m.rcpt_tos[0], m.message["Subject"]) for m in smtp_server.received[1:]]
    assert sorted(sent_to) == [
        ("suzuki@example.jp", "【デモ市立図書館】予約の期限切れ"),
        ("suzuki@example.jp", "【デモ市立図書館】予約の期限切れ"),
        ("takahashi@example.jp", "【デモ市立図書館】予約資料のご用意"),
    ]
    # The mails list their titles; the stored notices do not.
    expired_mails = [m.body for m in smtp_server.received[1:] if m.rcpt_tos == ["suzuki@example.jp"]]
    assert sorted("・こころ" in body for body in expired_mails) == [False, True]
    assert sorted("・門" in body for body in expired_mails) == [False, True]
    for notice in notices():
        assert "こころ" not in notice.body and "門" not in notice.body


# -- registration -------------------------------------------------------------------------------


def test_an_expiring_registration_is_told_once_per_expiry_date(
    smtp_server, django_capture_on_commit_callbacks
):
    patron = reader()
    patron_factories.patron("佐藤", email="sato@example.jp", today=MONDAY)  # expires years later
    expires = patron.expires_on
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_registration_notices(today=expires - timedelta(days=31)) == 0
        assert tasks.send_registration_notices(today=expires - timedelta(days=30)) == 1
        assert tasks.send_registration_notices(today=expires - timedelta(days=29)) == 0
    [mail] = smtp_server.received
    assert mail.message["Subject"] == "【デモ市立図書館】登録更新のお知らせ"
    assert f"有効期限は{expires.year}年{expires.month}月{expires.day}日" in mail.body

    renewed = patron_services.renew_registration(patron=patron, today=expires - timedelta(days=10))
    assert renewed.expires_on > expires
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.send_registration_notices(today=expires - timedelta(days=9)) == 0
        assert tasks.send_registration_notices(today=renewed.expires_on - timedelta(days=30)) == 1
    assert len(smtp_server.received) == 2


# -- the command --------------------------------------------------------------------------------


def test_send_notices_runs_every_scan_and_says_what_it_sent(smtp_server, django_capture_on_commit_callbacks):
    patron = reader()
    loan = lend(patron, day=timezone.localdate() - timedelta(days=20))
    assert loan.due_on < timezone.localdate()
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("send_notices", stdout=out)
    assert out.getvalue().startswith("notices: 0 due soon, 1 overdue, 0 holds expired, ")
    assert [m.rcpt_tos for m in smtp_server.received] == [["hanako@example.jp"]]
    out = io.StringIO()
    call_command("send_notices", stdout=out)
    assert out.getvalue().startswith("notices: 0 due soon, 0 overdue, ")


def test_send_notices_refuses_a_daily_time_it_cannot_read():
    with pytest.raises(CommandError, match="HH:MM"):
        call_command("send_notices", daily_at="7am")


@pytest.mark.parametrize(
    ("now", "ran_today", "expected"),
    [
        (at(MONDAY, 6), False, at(MONDAY, 7)),  # later today
        (at(MONDAY, 9), False, at(MONDAY, 9)),  # started after the time: run now
        (at(MONDAY, 9), True, at(MONDAY + timedelta(days=1), 7)),  # done today: tomorrow
    ],
)
def test_the_daily_loop_runs_at_the_local_time_once_a_day(now, ran_today, expected):
    from datetime import time

    from toshokan.circulation.management.commands.send_notices import next_run

    assert next_run(now, time(7, 0), ran_today=ran_today) == expected


def test_serve_runs_the_daily_notices_beside_the_worker(monkeypatch):
    from toshokan.core.management.commands.serve import Command as Serve

    monkeypatch.setenv("TOSHOKAN_NOTICE_TIME", "06:45")
    commands = Serve().commands("127.0.0.1", 8000, True)
    assert commands["notices"][-3:] == ["send_notices", "--daily-at", "06:45"]
    assert "notices" not in Serve().commands("127.0.0.1", 8000, False)


@pytest.mark.slow
def test_the_daily_loop_runs_the_scans_at_start_and_stops_cleanly_on_sigterm(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import time

    from django.conf import settings

    env = {**os.environ, "TOSHOKAN_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings.dev"}
    env.pop("DATABASE_URL", None)  # its own SQLite database under tmp_path
    manage = str(settings.BASE_DIR / "manage.py")
    subprocess.run([sys.executable, manage, "migrate", "-v0"], env=env, check=True, capture_output=True)
    process = subprocess.Popen(
        [sys.executable, manage, "send_notices", "--daily-at", "00:00"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # 00:00 has passed today: the scans run at once
        assert line.startswith("notices: 0 due soon, 0 overdue, ")
        time.sleep(0.5)
        assert process.poll() is None  # then it waits for tomorrow
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()


@pytest.mark.django_db(transaction=True)  # the database worker runs as it does in production
def test_after_the_return_no_notice_outbox_or_task_row_names_the_item(smtp_server, settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    CirculationSettings.objects.create(due_soon_days=2)
    borrower = reader("佐藤", email="sato@example.jp")
    waiting = reader("鈴木", email="suzuki@example.jp")
    loan = lend(borrower, "人間失格")
    barcode = loan.holding.barcode
    services.place_hold(patron=waiting, record=loan.holding.record, pickup_branch=loan.branch, now=at(MONDAY))
    tasks.send_due_soon_notices(today=loan.due_on - timedelta(days=1))
    tasks.send_overdue_notices(today=loan.due_on + timedelta(days=1))
    services.checkin(barcode=barcode, branch=loan.branch, now=at(loan.due_on + timedelta(days=1)))
    services.checkout(
        barcode=barcode, patron=waiting, branch=loan.branch, now=at(loan.due_on + timedelta(days=2))
    )
    services.checkin(barcode=barcode, branch=loan.branch, now=at(loan.due_on + timedelta(days=9)))
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)

    # Both patrons were told by e-mail, with the title, in their own mailboxes …
    assert sorted((m.rcpt_tos[0], "人間失格" in m.body) for m in smtp_server.received) == [
        ("sato@example.jp", True),
        ("sato@example.jp", True),
        ("suzuki@example.jp", True),
    ]
    assert set(Notice.objects.values_list("status", flat=True)) == {NoticeStatus.DELIVERED}
    # … and nothing the library keeps links either of them to it.
    assert not Loan.objects.exists() and not Hold.objects.exists() and not OutboundEmail.objects.exists()
    kept = [
        *Notice.objects.values_list("subject", "body", "error", "address"),
        *DBTaskResult.objects.values_list("args_kwargs", "return_value", "traceback"),
    ]
    assert len(kept) == 6
    for row in kept:
        text = repr(row)
        assert "人間失格" not in text and barcode not in text


@pytest.mark.django_db(transaction=True)
def test_daily_scans_racing_each_other_send_each_notice_once():
    import threading

    from django.db import connection

    CirculationSettings.objects.create(due_soon_days=2)
    soon = reader("佐藤", email="sato@example.jp")
    late = reader("鈴木", email="suzuki@example.jp")
    due_soon = lend(soon, "こころ", day=MONDAY + timedelta(days=10))
    lend(late, "門", day=MONDAY)
    today = due_soon.due_on - timedelta(days=1)
    Loan.objects.filter(patron=late).update(due_on=today - timedelta(days=1))
    expiring = patron_factories.patron(
        "高橋", email="takahashi@example.jp", residency=Residency.COMMUTER, today=today - timedelta(days=355)
    )
    assert today < expiring.expires_on < today + timedelta(days=30)

    barrier = threading.Barrier(4)
    errors: list[str] = []

    def scan() -> None:
        try:
            barrier.wait()
            tasks.send_due_soon_notices(today=today)
            tasks.send_overdue_notices(today=today)
            tasks.send_registration_notices(today=today)
        except Exception as e:  # reported below, with the test's own assertion
            errors.append(f"{type(e).__name__}: {e}")
        finally:
            connection.close()

    threads = [threading.Thread(target=scan) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sorted((n.patron_id, n.kind) for n in notices()) == sorted(
        [
            (soon.pk, NoticeKind.DUE_SOON),
            (late.pk, NoticeKind.OVERDUE),
            (expiring.pk, NoticeKind.REGISTRATION_EXPIRING),
        ]
    )
