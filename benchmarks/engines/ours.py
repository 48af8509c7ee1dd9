"""toshokan's search engine: TantivyBackend over our positional bigrams, exactly as the app uses it.

Building is measured in its parts: making SearchDocuments from records in Python
(`build_document`), turning them into Tantivy documents (`to_tantivy`, also Python) and the
engine's own work (adding, committing, merging), first in one process and then with documents
made by worker processes that feed the one writer.
"""

from __future__ import annotations

import multiprocessing
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

from ..corpus import Corpus, to_source
from ..keys import SEP, KeyTable
from . import dir_size, fresh_dir

_state: dict[str, Any] = {}


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
        `manage.py rebuild_index` does, timing build_document and to_tantivy apart from the rest.

        Every record's match keys are collected on the way (the ground truth and the baselines
        use them).
        """
        ids: array = array("q")  # type: ignore[type-arg]
        surface: list[str] = []
        romaji: list[str] = []
        spent = {"build_document": 0.0, "to_tantivy": 0.0}
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

        original = getattr(tantivy_backend, "to_tantivy", None)

        def timed_to_tantivy(doc: SearchDocument) -> Any:
            t0 = clock()
            out = original(doc)  # type: ignore[misc]
            spent["to_tantivy"] += clock() - t0
            return out

        fresh_dir(self.path)
        if original is not None:
            tantivy_backend.to_tantivy = timed_to_tantivy  # type: ignore[assignment]
        try:
            t0 = clock()
            TantivyBackend(self.path).rebuild(documents())
            total = clock() - t0
        finally:
            if original is not None:
                tantivy_backend.to_tantivy = original  # type: ignore[assignment]
        stats = {
            "build_document_s": round(spent["build_document"], 2),
            "to_tantivy_s": round(spent["to_tantivy"], 2),
            "engine_s": round(total - spent["build_document"] - spent["to_tantivy"], 2),
            "sequential_s": round(total, 2),
            "sequential_rate": round(corpus.size / total, 1),
            "size_bytes": dir_size(self.path),
        }
        return stats, KeyTable(ids, surface, romaji)

    def build_parallel(self, corpus: Corpus, workers: int) -> dict[str, Any]:
        """Records → documents in `workers` processes, fed in order to the one writer here."""
        fresh_dir(self.path)
        t0 = time.perf_counter()
        TantivyBackend(self.path).rebuild(parallel_documents(corpus, workers))
        total = time.perf_counter() - t0
        return {"seconds": round(total, 2), "workers": workers, "size_bytes": dir_size(self.path)}


def _documents_for(span: tuple[int, int]) -> list[SearchDocument]:
    corpus: Corpus = _state["corpus"]
    return [build_document(to_source(rec, corpus.creators)) for rec in corpus.records[span[0] : span[1]]]


def parallel_documents(corpus: Corpus, workers: int, chunk: int = 2000) -> Iterator[SearchDocument]:
    """SearchDocuments of the whole corpus, in id order, made by forked worker processes."""
    _state["corpus"] = corpus  # inherited by the forked workers, not pickled
    spans = [(i, min(i + chunk, len(corpus.records))) for i in range(0, len(corpus.records), chunk)]
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for batch in pool.imap(_documents_for, spans):
                yield from batch
    finally:
        _state.clear()


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)
