"""The daily notice scans (`manage.py send_notices`, or the `daily_notices` task): due soon,
overdue, expired holds and expiring registrations — each sent once.

Expired holds are ended by `services.expire_holds`, which tells their patrons itself (the JSON API's
expire endpoint calls the same service), as a return that fills a hold tells its patron
(services._send_to_hold).

"Once" is kept in the rows the notice is about, so a scan may run twice a day, late, or on two
machines at once without telling anyone twice: Loan.due_soon_sent_on (reset by a renewal, so the
new due date gets its own reminder), Loan.overdue_sent_on, Patron.expiry_notice_sent_for (the
expiry date it was sent for, so a renewed registration is reminded again next time). Each group of
notices is written in its own transaction with the rows it marks, locked; the e-mails go after
commit. Items lost (紛失) get neither reminder.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_tasks import task

from toshokan.notices import services as notice_services
from toshokan.notices.domain.enums import NoticeKind
from toshokan.notices.domain.messages import NoticeContext, NoticeItem
from toshokan.patrons import services as patron_services
from toshokan.patrons.domain.enums import PatronStatus
from toshokan.patrons.domain.registration import EXPIRY_NOTICE
from toshokan.patrons.models import Patron

from . import idempotency, provisional, selectors, services
from .domain.states import LoanState
from .models import Loan


@dataclass(frozen=True, slots=True)
class DailyReport:
    due_soon: int  # notices (one per patron and due date)
    overdue: int  # notices (one per patron)
    holds_expired: int  # holds ended (their patrons are told by services.expire_holds)
    registration: int
    requeued: int  # stalled e-mails enqueued again
    stalled_failed: int
    pruned: int  # notices past the retention period
    idempotent_purged: int = 0  # stored Idempotency-Key answers past their 24 hours
    provisional_expired: int = 0  # provisional cards never verified in time, removed


def _title(loan: Loan) -> str:
    return loan.holding.record.title or "（書名なし）"


def send_due_soon_notices(*, today: date) -> int:
    """返却期限のお知らせ: loans due within CirculationSettings.due_soon_days (today included), to
    patrons who keep the reminder on — one notice per patron and due date."""
    horizon = today + timedelta(days=selectors.settings().due_soon_days)
    candidates = Loan.objects.filter(
        state=LoanState.ACTIVE,
        due_on__gte=today,
        due_on__lte=horizon,
        due_soon_sent_on__isnull=True,
        patron__due_soon_reminder=True,
    )
    groups = sorted(set(candidates.values_list("patron_id", "due_on")))
    sent = 0
    for patron_id, due_on in groups:
        with transaction.atomic():
            loans = list(
                candidates.filter(patron_id=patron_id, due_on=due_on)
                .select_for_update(of=("self",))
                .select_related("patron", "holding__record")
                .order_by("pk")
            )
            if not loans:
                continue  # another run took them
            notice_services.send_notice(
                patron=loans[0].patron,
                kind=NoticeKind.DUE_SOON,
                items=[NoticeItem(_title(loan), due_on=due_on) for loan in loans],
                context=NoticeContext(on=due_on),
            )
            Loan.objects.filter(pk__in=[loan.pk for loan in loans]).update(due_soon_sent_on=today)
            sent += 1
    return sent


def send_overdue_notices(*, today: date) -> int:
    """延滞のお知らせ: loans past their due date, told once each — one notice per patron, naming the
    earliest due date."""
    candidates = Loan.objects.filter(state=LoanState.ACTIVE, due_on__lt=today, overdue_sent_on__isnull=True)
    sent = 0
    for patron_id in sorted(set(candidates.values_list("patron_id", flat=True))):
        with transaction.atomic():
            loans = list(
                candidates.filter(patron_id=patron_id)
                .select_for_update(of=("self",))
                .select_related("patron", "holding__record")
                .order_by("due_on", "pk")
            )
            if not loans:
                continue
            notice_services.send_notice(
                patron=loans[0].patron,
                kind=NoticeKind.OVERDUE,
                items=[NoticeItem(_title(loan), due_on=loan.due_on) for loan in loans],
                context=NoticeContext(on=loans[0].due_on),
            )
            Loan.objects.filter(pk__in=[loan.pk for loan in loans]).update(overdue_sent_on=today)
            sent += 1
    return sent


def send_registration_notices(*, today: date) -> int:
    """登録更新のお知らせ: registrations that expire within EXPIRY_NOTICE (30 days), once per expiry
    date — within the renewal window, so the patron can renew as soon as they are told."""
    due = (
        Patron.objects.filter(expires_on__gte=today, expires_on__lte=today + EXPIRY_NOTICE)
        .exclude(expiry_notice_sent_for=F("expires_on"))
        # A provisional card is not renewed but verified: its holder was told when at sign-up.
        .exclude(status=PatronStatus.PROVISIONAL)
        .order_by("pk")
    )
    sent = 0
    for patron in due:
        with transaction.atomic():
            if not patron_services.mark_expiry_notice_sent(patron=patron, expires_on=patron.expires_on):
                continue
            notice_services.send_notice(
                patron=patron,
                kind=NoticeKind.REGISTRATION_EXPIRING,
                context=NoticeContext(on=patron.expires_on),
            )
            sent += 1
    return sent


def run_daily(*, now: datetime | None = None) -> DailyReport:
    """Every daily scan in order, then the notice log's housekeeping (stalled e-mails, retention)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    ended = services.expire_holds(now=now)
    due_soon = send_due_soon_notices(today=today)
    overdue = send_overdue_notices(today=today)
    registration = send_registration_notices(today=today)
    requeued, stalled_failed = notice_services.retry_stalled(now=now)
    pruned = notice_services.prune(now=now)
    idempotent_purged = idempotency.purge_expired(now=now)
    provisional_expired = provisional.expire_provisional(today=today)
    return DailyReport(
        due_soon=due_soon,
        overdue=overdue,
        holds_expired=ended,
        registration=registration,
        requeued=requeued,
        stalled_failed=stalled_failed,
        pruned=pruned,
        idempotent_purged=idempotent_purged,
        provisional_expired=provisional_expired,
    )


@task()
def daily_notices() -> dict[str, Any]:
    """The daily scans as a background task (for a scheduler that enqueues tasks)."""
    return asdict(run_daily())
