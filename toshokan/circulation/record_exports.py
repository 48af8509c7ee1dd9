"""The two-approver export of a named patron's reading record (令状による提出; docs/audit.md).

Services for each step of domain/record_export.py — request, approve, refuse, download — each in
one transaction with its audit event (toshokan.core.audit), and the export itself: the patron's
opt-in reading history (ReadingHistory: empty for a patron who never opted in) and their current
loans and holds, as CSV files and one JSON document in a ZIP, built at the moment of the one
download and never stored. The staff pages (toshokan.staff.exports) are thin views over these.

Time limits: TOSHOKAN_RECORD_EXPORT = {"APPROVAL_DAYS": 7, "DOWNLOAD_HOURS": 24} in settings.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from toshokan.core import audit
from toshokan.core.domain import DomainError, Forbidden, NotFound
from toshokan.patrons import services as patron_services
from toshokan.patrons.models import Patron

from . import selectors
from .domain.record_export import ExportRefused, ExportState, Request, Windows, check_decision, check_download
from .domain.record_export import expires_at as _expires_at
from .domain.record_export import is_expired as _is_expired
from .models import ReadingHistory, ReadingRecordExport

REQUEST_PERMISSION = "circulation.add_readingrecordexport"
APPROVE_PERMISSION = "circulation.approve_readingrecordexport"
REASON_MIN = 10  # a warrant number and a court name are longer than this


class ExportError(DomainError):
    code = "export_error"


def windows() -> Windows:
    configured = getattr(settings, "TOSHOKAN_RECORD_EXPORT", {})
    return Windows(
        approval=timedelta(days=float(configured.get("APPROVAL_DAYS", 7))),
        download=timedelta(hours=float(configured.get("DOWNLOAD_HOURS", 24))),
    )


def _rules(export: ReadingRecordExport) -> Request:
    return Request(
        state=ExportState(export.state),
        requested_by=export.requested_by_id,
        requested_at=export.requested_at,
        decided_at=export.decided_at,
    )


def expires_at(export: ReadingRecordExport) -> datetime | None:
    return _expires_at(_rules(export), windows())


def is_expired(export: ReadingRecordExport, now: datetime | None = None) -> bool:
    return _is_expired(_rules(export), now or timezone.now(), windows())


def _refused(exc: ExportRefused) -> ExportError:
    return ExportError(str(exc), code=exc.code)


def _require(user: Any, perm: str) -> None:
    if not (user is not None and user.is_active and user.is_staff and user.has_perm(perm)):
        raise Forbidden(
            "この操作を行う権限がありません (your account lacks the permission)", code="permission_denied"
        )


def _locked(export_id: int) -> ReadingRecordExport:
    export = ReadingRecordExport.objects.select_for_update().filter(pk=export_id).first()
    if export is None:
        raise NotFound("申請が見つかりません (no such request)", code="export_not_found")
    return export


@transaction.atomic
def request_export(
    *, card_number: str, reason: str, by_user: Any, by: audit.By, now: datetime | None = None
) -> ReadingRecordExport:
    """Step 1: ask for a patron's reading record, with the reason (the warrant and the court)."""
    _require(by_user, REQUEST_PERMISSION)
    reason = reason.strip()
    if len(reason) < REASON_MIN:
        raise ExportError(
            "理由 (令状の番号と発付した裁判所など) を記入してください (state the warrant and the court)",
            code="export_reason_required",
        )
    patron = patron_services.find_by_card(card_number)
    export = ReadingRecordExport.objects.create(
        patron=patron,
        card_number=patron.card_number,
        reason=reason,
        requested_by=by_user,
        requested_by_name=by_user.get_username(),
        requested_at=now or timezone.now(),
    )
    audit.record(
        by=by,
        action=audit.Action.EXPORT_REQUESTED,
        patron_id=patron.pk,
        reason=reason,
        detail={"export": export.pk},
    )
    return export


@transaction.atomic
def decide_export(
    *, export_id: int, approve: bool, note: str, by_user: Any, by: audit.By, now: datetime | None = None
) -> ReadingRecordExport:
    """Step 2: another member of staff with the approval permission approves or refuses."""
    _require(by_user, APPROVE_PERMISSION)
    now = now or timezone.now()
    export = _locked(export_id)
    try:
        check_decision(_rules(export), decider=by_user.pk, now=now, windows=windows())
    except ExportRefused as exc:
        raise _refused(exc) from None
    if export.patron_id is None:
        raise ExportError(
            "この利用者の登録は削除されています (the patron is gone)", code="export_patron_gone"
        )
    note = note.strip()
    if not approve and not note:
        raise ExportError("却下の理由を記入してください (say why it is refused)", code="export_note_required")
    export.state = ExportState.APPROVED if approve else ExportState.REFUSED
    export.decided_by = by_user
    export.decided_by_name = by_user.get_username()
    export.decided_at = now
    export.decision_note = note
    export.save(update_fields=["state", "decided_by", "decided_by_name", "decided_at", "decision_note"])
    audit.record(
        by=by,
        action=audit.Action.EXPORT_APPROVED if approve else audit.Action.EXPORT_REFUSED,
        patron_id=export.patron_id,
        reason=note,
        detail={"export": export.pk},
    )
    return export


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content: bytes
    content_type: str = "application/zip"


@transaction.atomic
def download_export(*, export_id: int, by_user: Any, by: audit.By, now: datetime | None = None) -> ExportFile:
    """Step 3: the requester takes the record, once. The row is locked, so two clicks at once
    give one file and one refusal."""
    _require(by_user, REQUEST_PERMISSION)
    now = now or timezone.now()
    export = _locked(export_id)
    try:
        check_download(_rules(export), user=by_user.pk, now=now, windows=windows())
    except ExportRefused as exc:
        raise _refused(exc) from None
    patron = Patron.objects.filter(pk=export.patron_id).first() if export.patron_id else None
    if patron is None:
        raise ExportError(
            "この利用者の登録は削除されています (the patron is gone)", code="export_patron_gone"
        )
    content = build_export(patron, export=export, now=now)
    export.state = ExportState.DOWNLOADED
    export.downloaded_at = now
    export.save(update_fields=["state", "downloaded_at"])
    audit.record(
        by=by, action=audit.Action.EXPORT_DOWNLOADED, patron_id=patron.pk, detail={"export": export.pk}
    )
    return ExportFile(filename=f"reading-record-{export.pk}-{patron.card_number}.zip", content=content)


# -- the export itself ------------------------------------------------------------------------------


def export_data(patron: Patron, *, export: ReadingRecordExport, now: datetime) -> dict[str, Any]:
    """What is handed over: the patron, their opt-in reading history, current loans and holds."""
    history = (
        ReadingHistory.objects.filter(patron=patron).select_related("record").order_by("-returned_on", "-pk")
    )
    today = timezone.localdate(now)
    return {
        "export": {
            "id": export.pk,
            "reason": export.reason,
            "requested_by": export.requested_by_name,
            "requested_at": export.requested_at.isoformat(),
            "approved_by": export.decided_by_name,
            "approved_at": export.decided_at.isoformat() if export.decided_at else None,
            "generated_at": now.isoformat(),
        },
        "patron": {
            "card_number": patron.card_number,
            "name": patron.display_name,
            "reading_history_opt_in": patron.reading_history,
        },
        "reading_history": [
            {
                "record_id": h.record_id,
                "title": h.record.title,
                "borrowed_on": h.borrowed_on.isoformat(),
                "returned_on": h.returned_on.isoformat(),
            }
            for h in history
        ],
        "loans": [
            {
                "record_id": loan.holding.record_id,
                "title": loan.holding.record.title,
                "barcode": loan.holding.barcode,
                "checked_out_at": loan.checked_out_at.isoformat(),
                "due_on": loan.due_on.isoformat(),
            }
            for loan in selectors.patron_loans(patron)
        ],
        "holds": [
            {
                "record_id": view.hold.record_id,
                "title": view.hold.record.title,
                "state": view.hold.state,
                "placed_at": view.hold.placed_at.isoformat(),
            }
            for view in selectors.patron_holds(patron, today=today)
        ],
    }


def _csv(rows: list[dict[str, Any]], columns: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    # With a BOM, so that Excel on a Japanese Windows opens the UTF-8 text as UTF-8.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def build_export(patron: Patron, *, export: ReadingRecordExport, now: datetime) -> bytes:
    data = export_data(patron, export=export, now=now)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("reading-record.json", json.dumps(data, ensure_ascii=False, indent=2))
        archive.writestr(
            "reading_history.csv",
            _csv(data["reading_history"], ["record_id", "title", "borrowed_on", "returned_on"]),
        )
        archive.writestr(
            "loans.csv", _csv(data["loans"], ["record_id", "title", "barcode", "checked_out_at", "due_on"])
        )
        archive.writestr("holds.csv", _csv(data["holds"], ["record_id", "title", "state", "placed_at"]))
    return buffer.getvalue()


# -- reads ------------------------------------------------------------------------------------------


def exports_for(user: Any) -> QuerySet[ReadingRecordExport]:
    """What a member of staff sees on the exports page: their own requests, and — with the
    approval permission — everyone's (those waiting for a decision first)."""
    qs = ReadingRecordExport.objects.all()
    if not user.has_perm(APPROVE_PERMISSION):
        qs = qs.filter(requested_by=user)
    return qs.order_by("-requested_at", "-pk")


def export_by_id(export_id: int, user: Any) -> ReadingRecordExport | None:
    return exports_for(user).filter(pk=export_id).first()
