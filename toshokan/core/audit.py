"""Writing, reading and checking the audit log of staff actions on patron data (docs/audit.md).

`record` is the only code that writes an AuditEvent. It runs inside the caller's transaction, so
the event and the action it describes are committed together or not at all. The chain is
extended under a lock: `record` first updates the single AuditChainHead row, which holds the
database's write lock on it until the transaction ends, then links the new event to the head's
hash. Two staff members acting at once therefore queue for a moment instead of both chaining to
the same predecessor (and `seq` is unique, so a fork could not be stored anyway).

The rules of what is recorded live in toshokan.core.domain.audit; the contexts that own patron
data (patrons, circulation, notices) call `record` from their services.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from .domain.audit import GENESIS, Action, Break, EventContent, StoredEvent, Via, event_hash, verify_chain
from .http import client_address
from .models import AuditChainHead, AuditEvent

__all__ = ["Action", "By", "Via", "by_request", "by_user", "client_address", "record", "verify"]

REASON_MAX = 500


@dataclass(frozen=True)
class By:
    """Who acts, through which interface, from which address (the who/via/where of an event)."""

    user_id: int | None
    username: str
    via: Via
    client_address: str = ""


def by_user(user: Any, via: Via | str, client_address: str = "") -> By:
    """The staff account `user` (a Django user, or None for an anonymous caller)."""
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    return By(
        user_id=user.pk if authenticated else None,
        username=user.get_username() if authenticated else "",
        via=Via(via),
        client_address=client_address,
    )


def by_request(request: HttpRequest, via: Via | str) -> By:
    """The logged-in user of this request, and the address it came from."""
    return by_user(getattr(request, "user", None), via, client_address(request))


def _content(
    seq: int,
    at: Any,
    by: By,
    action: Action,
    patron_id: int | None,
    reason: str,
    detail: Mapping[str, object],
) -> EventContent:
    return EventContent(
        seq=seq,
        at=at,
        action=action.value,
        via=by.via.value,
        actor_id=by.user_id,
        actor_username=by.username,
        patron_id=patron_id,
        reason=reason,
        client_address=by.client_address,
        detail=detail,
    )


@transaction.atomic
def record(
    *,
    by: By,
    action: Action,
    patron_id: int | None = None,
    reason: str = "",
    detail: Mapping[str, str | int | None] | None = None,
) -> AuditEvent:
    """Append one event to the log. `detail` holds ids and field names only (an export request's
    id, which fields changed) — never a title, a barcode or a value a patron typed."""
    reason = reason.strip()[:REASON_MAX]
    detail = dict(detail or {})
    # Take the lock (an UPDATE, so SQLite's write lock too) before reading where the chain ends.
    if not AuditChainHead.objects.filter(pk=1).update(seq=F("seq") + 1):
        _create_head()
        AuditChainHead.objects.filter(pk=1).update(seq=F("seq") + 1)
    head = AuditChainHead.objects.get(pk=1)
    at = timezone.now()
    content = _content(head.seq, at, by, action, patron_id, reason, detail)
    digest = event_hash(content, head.hash)
    event = AuditEvent.objects.create(
        seq=head.seq,
        at=at,
        action=action.value,
        via=by.via.value,
        actor_id=by.user_id,
        actor_username=by.username,
        patron_id=patron_id,
        reason=reason,
        client_address=by.client_address,
        detail=detail,
        prev_hash=head.hash,
        hash=digest,
    )
    AuditChainHead.objects.filter(pk=1).update(hash=digest)
    return event


def _create_head() -> None:
    """The head row, made from the last event if the log has any (the row is made by the
    migration; a database emptied by `flush` has none)."""
    last = AuditEvent.objects.order_by("-seq").first()
    AuditChainHead.objects.get_or_create(
        pk=1, defaults={"seq": last.seq if last else 0, "hash": last.hash if last else GENESIS}
    )


# -- reads ----------------------------------------------------------------------------------------


def events(*, patron_id: int | None = None, actor_id: int | None = None) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.all()
    if patron_id is not None:
        qs = qs.filter(patron_id=patron_id)
    if actor_id is not None:
        qs = qs.filter(actor_id=actor_id)
    return qs.order_by("-seq")


def _stored(rows: QuerySet[AuditEvent]) -> Iterator[StoredEvent]:
    for row in rows.order_by("seq").iterator(chunk_size=2000):
        yield StoredEvent(
            content=_content(
                row.seq,
                row.at,
                By(row.actor_id, row.actor_username, Via(row.via), row.client_address),
                Action(row.action),
                row.patron_id,
                row.reason,
                row.detail,
            ),
            prev_hash=row.prev_hash,
            hash=row.hash,
        )


def hash_at(seq: int) -> str | None:
    """The stored hash of event `seq` (None when there is no such row)."""
    return AuditEvent.objects.filter(seq=seq).values_list("hash", flat=True).first()


@dataclass(frozen=True)
class Verification:
    count: int
    last_seq: int
    last_hash: str
    breaks: list[Break]

    @property
    def intact(self) -> bool:
        return not self.breaks


def verify(*, start_seq: int = 1, start_hash: str = GENESIS) -> Verification:
    """Check the whole chain and the head against the last row. After older rows were archived
    (docs/audit.md), give the first seq kept and the hash of the last archived row."""
    rows = AuditEvent.objects.filter(seq__gte=start_seq)
    breaks = verify_chain(_stored(rows), start_seq=start_seq, start_hash=start_hash)
    last = rows.order_by("-seq").first()
    last_seq, last_hash = (last.seq, last.hash) if last is not None else (start_seq - 1, start_hash)
    head = AuditChainHead.objects.filter(pk=1).first()
    if head is not None and (head.seq, head.hash) != (last_seq, last_hash):
        if head.seq > last_seq:
            problem = f"the log ends at {last_seq} but the head says {head.seq}: rows at the end removed"
        else:
            problem = "the last row is not the one the head records: the end of the log altered"
        breaks.append(Break(head.seq, problem))
    return Verification(count=rows.count(), last_seq=last_seq, last_hash=last_hash, breaks=breaks)
