"""`GET /api/v1/federation/availability`: this toshokan's own shelves, for another toshokan to ask.

The other side's `toshokan` connector (connectors/toshokan.py) calls it with up to 100 ISBNs and
gets, per ISBN as given, each local branch's Calil status by libkey and the record page to reserve
at — the same answer the `local` connector gives this toshokan's own checks, from the same code.
Only systems the registry marks `connector = "local"` are reported.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema

from toshokan.core.domain import DomainError, NotFound
from toshokan.core.http import base_url

from . import checks, selectors
from .connectors.local import availability as local_availability
from .domain import holdings
from .domain.availability import BranchStatus
from .domain.registry import Connector

router = Router(tags=["federation"])
MAX_ISBNS = 100


class BadIsbns(DomainError):
    code = "invalid_isbn"


class IsbnAvailability(Schema):
    libkeys: dict[str, str]
    reserveurl: str


class AvailabilityOut(Schema):
    isbns: dict[str, IsbnAvailability]


@router.get(
    "/federation/availability",
    response=AvailabilityOut,
    summary="Each local branch's status (Calil's words) for up to 100 ISBNs, for other toshokan sites",
)
def availability(request: HttpRequest, isbn: str, systemid: str = "") -> dict[str, object]:
    """`isbn` is a comma-separated list of ISBN-10 or -13 (hyphens allowed); answers are keyed as given."""
    given = [i.strip() for i in isbn.split(",") if i.strip()]
    if not given:
        raise BadIsbns("isbn: give at least one ISBN")
    if len(given) > MAX_ISBNS:
        raise BadIsbns(f"isbn: at most {MAX_ISBNS} ISBNs at once, not {len(given)}")
    normal, wrong = checks.isbn13s(given)
    if wrong:
        raise BadIsbns(f"isbn: not ISBNs: {', '.join(wrong)}")
    systems = [s for s in selectors.registry().systems if s.connector is Connector.LOCAL]
    if systemid:
        systems = [s for s in systems if s.systemid == systemid]
        if not systems:
            raise NotFound(f"systemid {systemid!r} is not a local system here")
    today = timezone.localdate()
    isbns13 = sorted(set(normal.values()))
    merged: dict[str, dict[str, BranchStatus]] = {i: {} for i in isbns13}
    pages: dict[str, str] = {}
    for spec in systems:
        for isbn13, answer in local_availability(
            spec, isbns13, today=today, base_url=base_url(request)
        ).items():
            for libkey, status in answer.libkeys.items():
                holdings.merge(merged[isbn13], libkey, status)
            if answer.reserveurl and not pages.get(isbn13):
                pages[isbn13] = answer.reserveurl
    return {
        "isbns": {
            value: {
                "libkeys": {k: s.value for k, s in merged[i].items()},
                "reserveurl": pages.get(i, ""),
            }
            for value, i in normal.items()
        }
    }
