"""The audit log of staff actions on patron data: what is recorded and how each row is chained.

図書館の自由に関する宣言 第3 (利用者の秘密を守る): staff may read a patron's loans, holds or
notices to serve them, and every such read — and every change staff make to a patron's
registration — is recorded, so that the library can answer who looked and why. The log itself
keeps only *that* something was done: a patron id, never a title, a barcode or anything of what
the patron read.

Each event is chained to the one before it: its hash covers its own content and the previous
event's hash (SHA-256 over a canonical JSON text), so a row changed or removed behind the
application's back breaks the chain at that point (`verify_chain`). Pure functions: no ORM, no
clock.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

GENESIS = "0" * 64  # the "previous hash" of the first event


class Action(StrEnum):
    """What a staff member did. Names are past tense: the log says what happened."""

    VIEWED_PROFILE = "viewed_profile"
    VIEWED_LOANS = "viewed_loans"
    VIEWED_HOLDS = "viewed_holds"
    VIEWED_HISTORY = "viewed_history"
    VIEWED_NOTICES = "viewed_notices"
    REGISTERED = "registered"
    CHANGED = "changed"
    REGISTRATION_RENEWED = "registration_renewed"
    PIN_RESET = "pin_reset"
    BLOCKED = "blocked"
    UNBLOCKED = "unblocked"
    HOLD_PLACED = "hold_placed"
    HOLD_CANCELLED = "hold_cancelled"
    LOAN_RENEWED = "loan_renewed"
    EXPORT_REQUESTED = "export_requested"
    EXPORT_APPROVED = "export_approved"
    EXPORT_REFUSED = "export_refused"
    EXPORT_DOWNLOADED = "export_downloaded"
    STAFF_LOGIN = "staff_login"
    STAFF_LOGIN_FAILED = "staff_login_failed"
    STAFF_LOGOUT = "staff_logout"

    @property
    def label_ja(self) -> str:
        return ACTION_LABELS_JA[self]


ACTION_LABELS_JA: dict[Action, str] = {
    Action.VIEWED_PROFILE: "利用者情報の閲覧",
    Action.VIEWED_LOANS: "貸出中資料の閲覧",
    Action.VIEWED_HOLDS: "予約の閲覧",
    Action.VIEWED_HISTORY: "読書記録の閲覧",
    Action.VIEWED_NOTICES: "通知履歴の閲覧",
    Action.REGISTERED: "利用登録",
    Action.CHANGED: "登録内容の変更",
    Action.REGISTRATION_RENEWED: "登録の更新",
    Action.PIN_RESET: "暗証番号の再設定",
    Action.BLOCKED: "貸出停止",
    Action.UNBLOCKED: "貸出停止の解除",
    Action.HOLD_PLACED: "代理での予約",
    Action.HOLD_CANCELLED: "代理での予約取消",
    Action.LOAN_RENEWED: "代理での貸出延長",
    Action.EXPORT_REQUESTED: "読書記録の提出の申請",
    Action.EXPORT_APPROVED: "読書記録の提出の承認",
    Action.EXPORT_REFUSED: "読書記録の提出の却下",
    Action.EXPORT_DOWNLOADED: "読書記録の提出 (ダウンロード)",
    Action.STAFF_LOGIN: "職員ログイン",
    Action.STAFF_LOGIN_FAILED: "職員ログインの失敗",
    Action.STAFF_LOGOUT: "職員ログアウト",
}


class Via(StrEnum):
    """Through which interface the action came."""

    DESK = "desk"  # the staff pages (/desk/, the staff account pages)
    API = "api"
    ADMIN = "admin"
    SIP2 = "sip2"
    COMMAND = "command"  # a manage.py command run by an operator


@dataclass(frozen=True)
class EventContent:
    """Everything a row says, as it is hashed. `at` is an aware datetime."""

    seq: int
    at: datetime
    action: str
    via: str
    actor_id: int | None
    actor_username: str
    patron_id: int | None
    reason: str
    client_address: str
    detail: Mapping[str, object]


def canonical(content: EventContent, prev_hash: str) -> bytes:
    """The bytes hashed for one event: sorted-key JSON, UTC time to the microsecond."""
    data = {
        "seq": content.seq,
        "at": content.at.astimezone(UTC).isoformat(timespec="microseconds"),
        "action": content.action,
        "via": content.via,
        "actor_id": content.actor_id,
        "actor_username": content.actor_username,
        "patron_id": content.patron_id,
        "reason": content.reason,
        "client_address": content.client_address,
        "detail": dict(content.detail),
        "prev": prev_hash,
    }
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def event_hash(content: EventContent, prev_hash: str) -> str:
    return hashlib.sha256(canonical(content, prev_hash)).hexdigest()


@dataclass(frozen=True)
class StoredEvent:
    """A row as read back: its content and the two hashes stored with it."""

    content: EventContent
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class Break:
    """Where the chain does not hold, and why (for the operator)."""

    seq: int
    problem: str


def verify_chain(
    events: Iterable[StoredEvent], *, start_seq: int = 1, start_hash: str = GENESIS
) -> list[Break]:
    """Walk the events in `seq` order and report every place the chain breaks:

    - a row whose stored hash is not the hash of its content (the row was altered);
    - a row whose `prev_hash` is not the previous row's hash (a row before it altered or removed);
    - a gap in `seq` (rows removed).

    `start_seq`/`start_hash` let a deployment verify from an archived point onwards (the first
    row kept after older rows were archived, and the hash it must follow)."""
    breaks: list[Break] = []
    expected_seq, prev = start_seq, start_hash
    for event in events:
        seq = event.content.seq
        if seq != expected_seq:
            breaks.append(Break(seq, f"sequence jumps from {expected_seq - 1} to {seq}: rows removed"))
        if event.prev_hash != prev:
            breaks.append(
                Break(seq, "does not follow the previous row's hash: a row before it changed or removed")
            )
        if event_hash(event.content, event.prev_hash) != event.hash:
            breaks.append(Break(seq, "content does not match its hash: the row was altered"))
        expected_seq, prev = seq + 1, event.hash
    return breaks
