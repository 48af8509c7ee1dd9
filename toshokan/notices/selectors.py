"""Reads of the notice log, for the patron's account and for staff.

A staff member's look at a patron's notices is audited (図書館の自由に関する宣言 第3): use
`notices_for_staff`, which checks the permission and writes the StaffAccess row, rather than
`patron_notices`, which is for the patron's own account.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from toshokan.core.domain import Forbidden
from toshokan.patrons import services as patron_services
from toshokan.patrons.domain.enums import StaffAccessKind
from toshokan.patrons.models import Patron

from .models import Notice

VIEW_PERMISSION = "notices.view_notice"


def patron_notices(patron: Patron) -> QuerySet[Notice]:
    """The patron's own notices, newest first (the account's お知らせ)."""
    return Notice.objects.filter(patron=patron).order_by("-created_at", "-pk")


def unread_count(patron: Patron) -> int:
    return Notice.objects.filter(patron=patron, read_at__isnull=True).count()


def notices_for_staff(
    *, actor: Any, patron: Patron, via: str = "desk", client_address: str = ""
) -> QuerySet[Notice]:
    """A patron's notices as staff see them (the desk, the admin, the API). Raises Forbidden
    unless `actor` has notices.view_notice; writes the audit row before returning anything."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.has_perm(VIEW_PERMISSION):
        raise Forbidden("この利用者の通知を閲覧する権限がありません", code="notices_forbidden")
    patron_services.record_staff_access(
        actor=actor, patron=patron, kind=StaffAccessKind.NOTICES, via=via, client_address=client_address
    )
    return patron_notices(patron)
