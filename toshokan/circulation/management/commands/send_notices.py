"""manage.py send_notices — the daily notice scans (due soon, overdue, expired holds, expiring
registrations), then the notice log's housekeeping. E-mails go through the background worker.

Run it once a day from cron (docs/notices.md), or leave it running with `--daily-at HH:MM`, as
`manage.py serve` does: it then runs the scans at that local time every day (and at start, if that
time has already passed today). Running it more than once a day is harmless: every notice is sent
once (toshokan/circulation/tasks.py says how).
"""

from __future__ import annotations

import logging
import signal
import sys
import time
from datetime import datetime, timedelta
from datetime import time as clock
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from django.utils import timezone

from toshokan.circulation.tasks import DailyReport, run_daily

logger = logging.getLogger(__name__)
RETRY_AFTER = 600.0  # seconds: a failed daily run is tried again, it does not stop the server


def parse_clock(text: str) -> clock:
    try:
        hours, minutes = (int(part) for part in text.split(":"))
        return clock(hours, minutes)
    except ValueError:
        raise CommandError(f"--daily-at wants a local time as HH:MM (e.g. 07:30), not {text!r}") from None


def next_run(now: datetime, at: clock, *, ran_today: bool) -> datetime:
    """The next local time `at` after `now` — today's, unless it has passed or already ran."""
    today_at = timezone.make_aware(datetime.combine(timezone.localdate(now), at))
    if today_at <= now and not ran_today:
        return now
    if today_at <= now:
        return timezone.make_aware(datetime.combine(timezone.localdate(now) + timedelta(days=1), at))
    return today_at


class Command(BaseCommand):
    help = "Send the daily notices: due soon, overdue, expired holds, expiring registrations."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--daily-at",
            metavar="HH:MM",
            help="keep running and send the notices every day at this local time",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["daily_at"]:
            self.report(run_daily())
            return
        at = parse_clock(options["daily_at"])
        ran_on = None
        # `serve` stops its children with SIGTERM: leave as from Ctrl-C (an open transaction rolls back).
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
        try:
            while True:
                now = timezone.now()
                when = next_run(now, at, ran_today=ran_on == timezone.localdate(now))
                if when > now:
                    time.sleep(min(60.0, (when - now).total_seconds()))
                    continue
                close_old_connections()  # as between requests: this process lives for days
                try:
                    self.report(run_daily(now=now))
                except Exception:
                    logger.exception("the daily notices failed; trying again in %d s", RETRY_AFTER)
                    time.sleep(RETRY_AFTER)
                    continue
                ran_on = timezone.localdate(now)
        except KeyboardInterrupt:
            return

    def report(self, report: DailyReport) -> None:
        self.stdout.write(
            f"notices: {report.due_soon} due soon, {report.overdue} overdue, "
            f"{report.holds_expired} holds expired, "
            f"{report.registration} registration expiring; "
            f"{report.requeued} e-mails enqueued again, {report.stalled_failed} stalled marked failed, "
            f"{report.pruned} old notices pruned"
        )
        self.stdout.flush()
