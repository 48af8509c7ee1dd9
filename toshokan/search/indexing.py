"""Rebuilding an index from a stream of records, in one process or with worker processes.

No database here (services.rebuild_index reads the catalogue and calls this; the benchmark feeds
generated records), so it runs wherever the search backends do.
"""

from __future__ import annotations

import collections
import itertools
import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from toshokan.catalog.domain.snapshots import RecordSource

from .backends.base import SearchBackend
from .domain.documents import build_document


def rebuild_from(
    sources: Iterable[RecordSource],
    backend: SearchBackend,
    *,
    on_progress: Callable[[int], None] | None = None,
    workers: int = 1,
    chunk: int = 1000,
) -> int:
    """Replace `backend`'s whole index with these records; the number indexed.

    With `workers` > 1, that many processes turn records into the engine's documents (the Python
    part of indexing) while this one reads `sources` and feeds the engine.
    """
    count = 0

    def counted(items: Iterable[Any]) -> Iterator[Any]:
        nonlocal count
        for item in items:
            count += 1
            yield item

    if workers <= 1:
        backend.rebuild_prepared(
            counted(backend.prepare(build_document(s)) for s in sources), on_progress=on_progress
        )
        return count
    # Forked before the engine opens its writer or the catalogue query starts: the workers get the
    # backend by inheritance and never touch the database or the index.
    _worker_state["backend"] = backend
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            items = _in_workers(pool, _chunks(sources, chunk), ahead=2 * workers)
            backend.rebuild_prepared(counted(items), on_progress=on_progress)
    finally:
        _worker_state.clear()
    return count


_worker_state: dict[str, Any] = {}


def _prepare_chunk(sources: list[RecordSource]) -> list[Any]:
    backend = _worker_state["backend"]
    return [backend.prepare(build_document(s)) for s in sources]


def _chunks(sources: Iterable[RecordSource], size: int) -> Iterator[list[RecordSource]]:
    it = iter(sources)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def _in_workers(pool: Any, chunks: Iterator[list[RecordSource]], *, ahead: int) -> Iterator[Any]:
    """Prepared documents in the order of `chunks`, with at most `ahead` chunks in flight.

    The chunks are read here, in the calling thread (a database cursor belongs to its thread), and
    only as fast as the workers keep up, so memory stays flat whatever the catalogue's size.
    """
    pending: collections.deque[Any] = collections.deque()
    for chunk in chunks:
        pending.append(pool.apply_async(_prepare_chunk, (chunk,)))
        if len(pending) >= ahead:
            yield from pending.popleft().get()
    while pending:
        yield from pending.popleft().get()
