"""Explicit hand-offs between contexts that must not import each other.

The catalogue changes records; search (and later others) must follow. The catalogue cannot import
search, which reads the catalogue, without a cycle, so search registers a listener here when its
app is ready, and catalogue services call `records_changed` after their transaction commits.
Circulation's status changes call `availability_changed`, which search may follow a moment later.

Bulk work (loading the demo library, a data repair) that changes thousands of records one
transaction at a time can wrap itself in `batched_changes()`: the listeners then hear once, at the
end, about every record changed inside — one index commit instead of thousands.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator

RecordListener = Callable[[list[int]], None]
_record_listeners: list[RecordListener] = []
_availability_listeners: list[RecordListener] = []
_batch = threading.local()


def on_records_changed(listener: RecordListener) -> None:
    if listener not in _record_listeners:
        _record_listeners.append(listener)


def records_changed(record_ids: list[int]) -> None:
    pending: set[int] | None = getattr(_batch, "pending", None)
    if pending is not None:
        pending.update(record_ids)
        return
    for listener in _record_listeners:
        listener(record_ids)


def on_availability_changed(listener: RecordListener) -> None:
    if listener not in _availability_listeners:
        _availability_listeners.append(listener)


def availability_changed(record_ids: list[int]) -> None:
    """Only copies' statuses changed (a checkout, a return): listeners may take a moment to follow
    (search coalesces them: toshokan.search.availability). With no such listener, or inside
    `batched_changes()`, this is a record change like any other."""
    if getattr(_batch, "pending", None) is not None or not _availability_listeners:
        records_changed(record_ids)
        return
    for listener in _availability_listeners:
        listener(record_ids)


@contextlib.contextmanager
def batched_changes() -> Iterator[None]:
    """Collect this thread's record changes and hand them to the listeners once, on leaving the
    outermost block (also when it is left by an exception: what was committed must be followed)."""
    if getattr(_batch, "pending", None) is not None:
        yield
        return
    _batch.pending = set()
    try:
        yield
    finally:
        ids = sorted(_batch.pending)
        _batch.pending = None
        if ids:
            records_changed(ids)
