"""Copies' availability in the search index, written a moment after it changes, many at once.

A checkout, return or hold trap changes one copy's status and with it its record's "available at"
facet. Written in the transaction's on-commit hook, every such change cost an index commit of its
own — for Tantivy an fsync and a new segment, serialised across processes by the writer lock
(docs/benchmarks.md, "Checkouts", measures checkouts both ways). So circulation's
status changes (catalog.services.update_holding_status → core.hooks.availability_changed) come
here instead: the record ids join a set in this process, and a background thread indexes
whatever has gathered once `TOSHOKAN_SEARCH["AVAILABILITY_DELAY_S"]` seconds (1 by default) have
passed since the first of them — one commit for all the checkouts of that second.

What a searcher sees: availability is at most about that delay behind the database (plus one
index commit). Anything that must be exact reads the database: a checkout checks the copy itself,
and a record's page lists its holdings from the database. Catalogue edits (records, new copies, a
status staff set by hand) are still indexed at once (core.hooks.records_changed).

The thread reads the records when it flushes, after their transactions committed, so it indexes
their latest state even when several changes were gathered. If indexing fails, the ids stay
pending and are tried again after the next delay. At exit the process flushes what is pending
(atexit); a process killed outright can leave up to one delay's changes unindexed until those
records change again or `manage.py rebuild_index` runs. A delay of 0 (the test settings) indexes
in the on-commit hook, as before.
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from typing import Any, cast

from django.conf import settings
from django.db import connections

log = logging.getLogger(__name__)

_lock = threading.Condition()
_pending: set[int] = set()
_since = 0.0  # when the oldest pending change arrived (time.monotonic)
_thread: threading.Thread | None = None
_owner_pid = 0
_flushes = 0  # index writes made by flush(), for tests and the benchmark's log


def delay() -> float:
    return float(cast(dict[str, Any], settings.TOSHOKAN_SEARCH).get("AVAILABILITY_DELAY_S", 0) or 0)


def changed(record_ids: list[int]) -> None:
    """Listener for core.hooks.availability_changed: index these records soon (or now, delay 0)."""
    if not record_ids:
        return
    if delay() <= 0:
        _index(sorted(set(record_ids)))
        return
    global _since
    with _lock:
        if not _pending:
            _since = time.monotonic()
        _pending.update(record_ids)
        _ensure_thread()
        _lock.notify()


def pending() -> list[int]:
    with _lock:
        return sorted(_pending)


def flush() -> int:
    """Index everything pending now, in the calling thread; the number of records indexed."""
    global _flushes
    with _lock:
        ids = sorted(_pending)
        _pending.clear()
    if not ids:
        return 0
    try:
        _index(ids)
    except BaseException:
        with _lock:
            _pending.update(ids)  # tried again after the next delay
        raise
    _flushes += 1
    return len(ids)


def flush_count() -> int:
    return _flushes


def _index(ids: list[int]) -> None:
    from . import services

    services.index_records(ids)


def _ensure_thread() -> None:
    """Start the flusher (called with _lock held); again in a child process after a fork."""
    global _thread, _owner_pid
    if _thread is not None and _thread.is_alive() and _owner_pid == os.getpid():
        return
    _owner_pid = os.getpid()
    _thread = threading.Thread(target=_run, name="toshokan-availability", daemon=True)
    _thread.start()


def _run() -> None:
    global _since
    while True:
        with _lock:
            while not _pending:
                _lock.wait()
            wait = _since + delay() - time.monotonic()
            if wait > 0:
                # Gather what else changes meanwhile; look again at least every quarter second,
                # so that a flush by someone else or a shorter delay is noticed.
                _lock.wait(timeout=min(wait, 0.25))
                continue
        try:
            flush()
        except Exception:
            log.exception("indexing availability failed; it is retried after the next delay")
            with _lock:
                _since = time.monotonic()
        finally:
            # This thread's database connection is its own; don't keep it open between flushes.
            connections.close_all()


@atexit.register
def _flush_at_exit() -> None:
    if _pending and _owner_pid == os.getpid():
        try:
            flush()
        except Exception:
            log.exception("availability changes of %d records could not be indexed at exit", len(_pending))
