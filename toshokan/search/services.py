"""Keeping the search index in step with the catalogue."""

from __future__ import annotations

import logging
from collections.abc import Callable

from toshokan.catalog import selectors as catalog_selectors

from . import indexing
from .domain.documents import build_document
from .engine import get_backend

log = logging.getLogger(__name__)


def index_records(record_ids: list[int]) -> None:
    """(Re)index these records; ids that no longer exist are removed from the index."""
    if not record_ids:
        return
    sources = catalog_selectors.sources_for_ids(record_ids)
    backend = get_backend()
    present = {s.id for s in sources}
    gone = [i for i in record_ids if i not in present]
    if gone:
        backend.delete(gone)
    backend.index(build_document(s) for s in sources)


def records_changed(record_ids: list[int]) -> None:
    """Listener for catalogue changes (see toshokan.core.hooks): searchable once this returns."""
    index_records(record_ids)


def rebuild_index(*, on_progress: Callable[[int], None] | None = None, workers: int = 1) -> int:
    """Replace the whole index from the catalogue; searches keep answering from the old one meanwhile.

    With `workers` > 1, that many processes turn records into the engine's documents (the Python
    part of indexing) while this one reads the catalogue and feeds the engine.
    """
    return indexing.rebuild_from(
        catalog_selectors.iter_all_sources(), get_backend(), on_progress=on_progress, workers=workers
    )
