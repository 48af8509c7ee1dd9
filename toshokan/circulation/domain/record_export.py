"""Handing a named patron's reading record to an outside authority: the two-approver procedure.

図書館の自由に関する宣言 第3: the library does not reveal what a patron read, except when a
warrant (令状) demands it. Even then no one member of staff decides alone:

1. a staff member *requests* the export for one patron, recording the reason (the warrant's
   number and the issuing court);
2. a *different* staff member holding the approval permission (a manager) approves or refuses
   it, with a note — the requester can never approve their own request;
3. after approval the requester *downloads* the record once.

A request not decided within `approval_window` lapses; an approval not used within
`download_window` lapses. Every step is recorded in the audit log by the service. Pure rules:
states, the allowed moves and the time limits; the caller passes `now`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum


class ExportState(StrEnum):
    PENDING = "pending"  # 承認待ち
    APPROVED = "approved"  # 承認済み (ダウンロード待ち)
    REFUSED = "refused"  # 却下
    DOWNLOADED = "downloaded"  # 提出済み

    @property
    def label_ja(self) -> str:
        return {
            "pending": "承認待ち",
            "approved": "承認済み",
            "refused": "却下",
            "downloaded": "ダウンロード済み",
        }[self.value]


@dataclass(frozen=True)
class Windows:
    """How long a request waits for a decision, and an approval for its download."""

    approval: timedelta = timedelta(days=7)
    download: timedelta = timedelta(hours=24)


class ExportRefused(Exception):
    """A move the procedure does not allow; `code` is stable, the message is for staff."""

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Request:
    """What the rules need to know about one request."""

    state: ExportState
    requested_by: int | None
    requested_at: datetime
    decided_at: datetime | None


def expires_at(request: Request, windows: Windows) -> datetime | None:
    """When the request lapses in its current state (None once it is final)."""
    if request.state == ExportState.PENDING:
        return request.requested_at + windows.approval
    if request.state == ExportState.APPROVED and request.decided_at is not None:
        return request.decided_at + windows.download
    return None


def is_expired(request: Request, now: datetime, windows: Windows) -> bool:
    deadline = expires_at(request, windows)
    return deadline is not None and now >= deadline


def check_decision(request: Request, *, decider: int, now: datetime, windows: Windows) -> None:
    """May `decider` approve or refuse this request now? Raises ExportRefused if not."""
    if request.state != ExportState.PENDING:
        raise ExportRefused("この申請はすでに処理されています (already decided)", "export_already_decided")
    if is_expired(request, now, windows):
        raise ExportRefused("この申請は承認期限を過ぎています (the request has lapsed)", "export_expired")
    if request.requested_by is not None and request.requested_by == decider:
        raise ExportRefused(
            "自分の申請を承認・却下することはできません。別の職員の承認が必要です "
            "(a second member of staff must decide)",
            "export_same_person",
        )


def check_download(request: Request, *, user: int, now: datetime, windows: Windows) -> None:
    """May `user` download the record now? Only the requester, once, within the window."""
    if request.state == ExportState.DOWNLOADED:
        raise ExportRefused(
            "この記録はすでにダウンロードされています (downloaded once already)", "export_downloaded"
        )
    if request.state != ExportState.APPROVED:
        raise ExportRefused("承認されていない申請です (not approved)", "export_not_approved")
    if request.requested_by != user:
        raise ExportRefused(
            "ダウンロードできるのは申請した職員だけです (only the requester)", "export_not_requester"
        )
    if is_expired(request, now, windows):
        raise ExportRefused("ダウンロードの期限を過ぎています (the approval has lapsed)", "export_expired")
