"""toshokan's search engine: TantivyBackend over our positional bigrams, exactly as the app uses it.

Building is measured in its parts: making SearchDocuments from records in Python
(`build_document`), turning them into Tantivy's field values (`document_fields`, also Python) and the
engine's own work (adding, committing, merging), first in one process and then with documents
made by worker processes that feed the one writer.
"""

from __future__ import annotations

import os
import time
from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from toshokan.search.backends import tantivy_backend
from toshokan.search.backends.tantivy_backend import TantivyBackend
from toshokan.search.domain.documents import SearchDocument, build_document
from toshokan.search.domain.query import SearchRequest, parse_query
from toshokan.search.indexing import rebuild_from

from ..corpus import Corpus
from ..keys import SEP, KeyTable
from . import dir_size, fresh_dir


class OursClient:
    def __init__(self, path: Path) -> None:
        self.backend = TantivyBackend(path)

    def search(self, q: str) -> tuple[int, list[int]]:
        result = self.backend.search(parse_query(q), SearchRequest(q=q, limit=20, facets=False))
        return result.total, [h.id for h in result.hits]

    def close(self) -> None:
        pass


class Ours:
    name = "toshokan"
    label = "toshokan (TantivyBackend, positional bigrams)"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def unavailable(self) -> str | None:
        return None

    def connect(self) -> OursClient:
        return OursClient(self.path)

    def build_one_process(self, corpus: Corpus) -> tuple[dict[str, Any], KeyTable]:
        """Stream the corpus through build_document into TantivyBackend.rebuild, as
        `manage.py rebuild_index --workers 1` does, timing build_document and document_fields apart
        from the rest.

        Every record's match keys are collected on the way (the ground truth and the baselines
        use them).
        """
        ids: array = array("q")  # type: ignore[type-arg]
        surface: list[str] = []
        romaji: list[str] = []
        spent = {"build_document": 0.0, "document_fields": 0.0}
        clock = time.perf_counter

        def documents() -> Iterator[SearchDocument]:
            for source in corpus.sources():
                t0 = clock()
                d = build_document(source)
                spent["build_document"] += clock() - t0
                ids.append(d.id)
                surface.append(SEP.join([*d.title, *d.reading, *d.creator, *d.creator_reading, *d.other]))
                romaji.append(SEP.join([*d.romaji, *d.creator_romaji]))
                yield d

        original = tantivy_backend.document_fields

        def timed_fields(doc: SearchDocument) -> Any:
            t0 = clock()
            out = original(doc)
            spent["document_fields"] += clock() - t0
            return out

        fresh_dir(self.path)
        tantivy_backend.document_fields = timed_fields  # type: ignore[assignment]
        try:
            t0 = clock()
            TantivyBackend(self.path).rebuild(documents())
            total = clock() - t0
        finally:
            tantivy_backend.document_fields = original  # type: ignore[assignment]
        stats = {
            "build_document_s": round(spent["build_document"], 2),
            "document_fields_s": round(spent["document_fields"], 2),
            "engine_s": round(total - spent["build_document"] - spent["document_fields"], 2),
            "sequential_s": round(total, 2),
            "sequential_rate": round(corpus.size / total, 1),
            "size_bytes": dir_size(self.path),
        }
        return stats, KeyTable(ids, surface, romaji)

    def build_parallel(self, corpus: Corpus, workers: int) -> dict[str, Any]:
        """As `manage.py rebuild_index --workers N` does: worker processes make the documents that
        the one writer here indexes (toshokan.search.services.rebuild_from)."""
        fresh_dir(self.path)
        t0 = time.perf_counter()
        rebuild_from(corpus.sources(), TantivyBackend(self.path), workers=workers)
        total = time.perf_counter() - t0
        return {"seconds": round(total, 2), "workers": workers, "size_bytes": dir_size(self.path)}


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)
