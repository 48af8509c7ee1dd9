"""The `local` connector: this toshokan's own catalogue and circulation, read from the database.

Records are found by ISBN (stored as ISBN-13, so ISBN-10 and -13 meet); each copy's status becomes
a Calil branch status (domain/holdings.py), the most useful per branch; a branch closed today by its
circulation calendar shows 休館中. Branches map to libkeys through the registry's `branch` field;
a system that maps none shows each toshokan branch under its own name. The `reserveurl` is the
record's page on this toshokan (absolute when TOSHOKAN_PUBLIC_URL is set), where a patron places
the hold.

`availability()` is the synchronous core that the `/api/v1/federation/availability` endpoint
answers from too, so another toshokan's `toshokan` connector sees exactly what this one does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from toshokan.catalog import selectors as catalog
from toshokan.circulation import selectors as circulation
from toshokan.circulation.domain.states import HoldState

from ..domain import holdings
from ..domain.availability import BranchStatus, SystemAnswer
from ..domain.registry import SystemSpec
from .base import Http, ok, reserve_url


def availability(
    spec: SystemSpec, isbns: Sequence[str], *, today: date, base_url: str = ""
) -> dict[str, SystemAnswer]:
    """Per ISBN-13 of `isbns`: the system's branches holding it and their statuses."""
    mapped = {b.branch: b.libkey for b in spec.branches if b.branch}
    calendars: dict[int, bool] = {}  # branch pk -> open today
    out: dict[str, SystemAnswer] = {}
    for isbn in isbns:
        ids = list(catalog.records_by_identifier("isbn", isbn).values_list("pk", flat=True))
        libkeys: dict[str, BranchStatus] = {}
        page = ""
        for record in catalog.records_by_ids(sorted(ids)):
            copies = list(record.holdings.all())
            waiting = any(c.status == "on_loan" for c in copies) and (
                record.holds.filter(state=HoldState.WAITING).exists()
            )
            counted = False
            for copy in copies:
                libkey = mapped.get(copy.branch.code) if mapped else copy.branch.name
                status = holdings.from_copy_status(copy.status, holds_waiting=waiting)
                if libkey is None or status is None:
                    continue
                if copy.branch_id not in calendars:
                    calendars[copy.branch_id] = circulation.calendar_for(copy.branch).is_open(today)
                if not calendars[copy.branch_id]:
                    status = BranchStatus.CLOSED
                holdings.merge(libkeys, libkey, status)
                counted = True
            if counted and not page:
                page = base_url.rstrip("/") + reverse("portal:record", args=[record.pk])
        out[isbn] = ok(libkeys, reserve_url(spec, isbn, page) if libkeys else "")
    return out


class LocalConnector:
    async def check(self, spec: SystemSpec, isbns: Sequence[str], http: Http) -> dict[str, SystemAnswer]:
        today = timezone.localdate()
        base_url = getattr(settings, "TOSHOKAN_PUBLIC_URL", "")
        return await http.run_db(lambda: availability(spec, isbns, today=today, base_url=base_url))
