"""Provisional cards (online sign-up) as circulation sees them: refusing or expiring one cancels its
holds first, then toshokan.patrons.signup removes the card — one transaction (docs/signup.md)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from toshokan.core import audit
from toshokan.patrons import signup
from toshokan.patrons.models import Patron

from . import selectors, services


@transaction.atomic
def reject_provisional_card(*, patron: Patron, reason: str, actor: Any, by: audit.By) -> None:
    """Cancel the card's holds and remove it, as one change: a refusal that fails keeps its holds."""
    if not reason.strip():
        raise signup.ReviewError(
            "不承認の理由を入力してください (a reason is required)", code="reason_required"
        )
    cancel_holds(patron)
    signup.reject_provisional(patron=patron, reason=reason, actor=actor, by=by)


def cancel_holds(patron: Patron) -> int:
    """Cancel every hold of a provisional card about to be removed; the count cancelled."""
    count = 0
    for view in selectors.patron_holds(patron, today=timezone.localdate()):
        services.cancel_hold(hold=view.hold)
        count += 1
    return count


def expire_provisional(*, today: date | None = None) -> int:
    """Remove provisional cards never verified in time (their holds cancelled first); how many.
    Run daily by `manage.py expire_registrations` (and the demo's worker schedule)."""
    today = today or timezone.localdate()
    removed = 0
    for patron in signup.expired_provisional(today=today):
        if signup.removal_problem(patron):
            continue
        with transaction.atomic():
            cancel_holds(patron)
            if signup.remove_provisional(patron=patron, today=today):
                removed += 1
    return removed
