"""Idempotency-Key for the POSTs that create loans, holds and returns (after Stripe's scheme and
the IETF draft "The Idempotency-Key HTTP Header Field").

A client that did not hear the answer (a dropped connection at the desk, a phone going into a
tunnel) sends the same request again with the same key. The first answer (status and body) is
stored with the key, per caller, in the same transaction as the write; a retry gets that answer
back and writes nothing. The same key with a different request is refused (422): the client has a
bug, and guessing which request it meant would be worse.

Concurrent requests with one key: the row for the key is inserted *before* the write, inside the
write's transaction, and the unique index on (caller, key) makes the second insert wait for the
first transaction — PostgreSQL blocks on the index entry, SQLite (BEGIN IMMEDIATE) on the
database — and then fail, after which the stored answer is there to read. Refusals are not
stored: nothing was written, so a retry simply asks again.

Privacy: the stored answer names a patron and a copy, so it is deleted with the loan or hold it
created (a foreign key with CASCADE), and in any case after TTL: a caller's expired answers go
when it next sends a key, everyone's in the daily run (`purge_expired`, from tasks.run_daily).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from toshokan.core.domain import DomainError

from .models import Hold, IdempotentRequest, Loan

HEADER = "Idempotency-Key"
TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 255


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"


class InvalidIdempotencyKey(DomainError):
    code = "invalid_idempotency_key"


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a write answered: its HTTP status, its JSON body, and the loan or hold it created (whose
    deletion must take the stored answer with it)."""

    status: int
    body: Any
    loan: Loan | None = None
    hold: Hold | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: Any
    replayed: bool


def fingerprint(path: str, payload: Any) -> str:
    canonical = json.dumps({"path": path, "body": payload}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def check_key(key: str) -> str:
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
        raise InvalidIdempotencyKey(
            f"Idempotency-Key は {MAX_KEY_LENGTH} 文字以内の ASCII 文字列です "
            f"(1-{MAX_KEY_LENGTH} printable ASCII characters)"
        )
    return key


def perform_once(
    *, actor: str, key: str | None, path: str, payload: Any, write: Callable[[], Outcome]
) -> Answer:
    """Run `write` unless this caller already sent this key; answer as the first time did.

    `actor` names the caller ("staff:<user id>", "patron:<patron id>"), so two callers never share
    keys. `payload` is the parsed request body; with `path` it makes the fingerprint."""
    if key is None:
        outcome = write()
        return Answer(outcome.status, outcome.body, replayed=False)
    key = check_key(key)
    digest = fingerprint(path, payload)
    with transaction.atomic():
        for _attempt in range(3):
            now = timezone.now()
            try:
                with transaction.atomic():
                    row = IdempotentRequest.objects.create(
                        key=key, actor=actor, path=path, fingerprint=digest, status=0, body={}
                    )
                break
            except IntegrityError:
                stored = IdempotentRequest.objects.filter(actor=actor, key=key).first()
                if stored is None:
                    continue  # deleted meanwhile (its loan was returned): the key is free again
                if stored.created_at < now - TTL:
                    stored.delete()
                    continue
                if stored.fingerprint != digest:
                    raise IdempotencyKeyReused(
                        "この Idempotency-Key は別の要求に使われています "
                        "(this Idempotency-Key was used for a different request)"
                    ) from None
                return Answer(stored.status, stored.body, replayed=True)
        else:  # pragma: no cover - three deletions racing three inserts
            raise IdempotencyKeyReused("Idempotency-Key could not be claimed; retry")
        outcome = write()
        row.status, row.body, row.loan, row.hold = outcome.status, outcome.body, outcome.loan, outcome.hold
        row.save(update_fields=["status", "body", "loan", "hold"])
        IdempotentRequest.objects.filter(actor=actor, created_at__lt=now - TTL).delete()
    return Answer(outcome.status, outcome.body, replayed=False)


def purge_expired(*, now: datetime | None = None) -> int:
    """Delete every stored answer older than TTL (the daily run); returns how many."""
    deleted, _ = IdempotentRequest.objects.filter(created_at__lt=(now or timezone.now()) - TTL).delete()
    return deleted
