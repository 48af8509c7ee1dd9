"""Exact totals by brute force: how many records each query must find under search's matching rule.

The rule is toshokan.search.domain.query's: a record matches when every term occurs as a
contiguous run of some value's match key: the term's `fold` key in a surface value (title,
reading, creator, creator reading, publisher, subject), or its romaji key (two letters or more)
in a romaji value. No index is involved: each term is looked for with `str.find` in one long
string of every record's keys, then the other terms are checked in the records that survive.
Queries are shared out over worker processes (one per core); the result is cached under
var/bench/ next to the corpus it belongs to.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import time
from bisect import bisect_right
from pathlib import Path

from toshokan.search.domain.query import ParsedQuery, Term, parse_query

from . import paths
from .keys import KeyTable

TRUTH_VERSION = 1

_state: dict[str, object] = {}


class Scanner:
    """Every record's keys in two long strings, and where each record starts in them."""

    def __init__(self, table: KeyTable) -> None:
        self.table = table
        self.surface, self.surface_starts = self._blob(table.surface)
        self.romaji, self.romaji_starts = self._blob(table.romaji)

    @staticmethod
    def _blob(values: list[str]) -> tuple[str, list[int]]:
        starts: list[int] = []
        pos = 0
        for v in values:
            starts.append(pos)
            pos += len(v) + 1
        starts.append(pos)  # sentinel: the end
        return "\n".join(values) + "\n", starts

    @staticmethod
    def _scan(blob: str, starts: list[int], key: str, into: set[int]) -> None:
        pos = blob.find(key)
        while pos != -1:
            record = bisect_right(starts, pos) - 1
            into.add(record)
            pos = blob.find(key, starts[record + 1])

    def matching(self, term: Term) -> set[int]:
        found: set[int] = set()
        if term.key:
            self._scan(self.surface, self.surface_starts, term.key, found)
        if len(term.romaji) >= 2:
            self._scan(self.romaji, self.romaji_starts, term.romaji, found)
        return found

    def matches(self, record: int, term: Term) -> bool:
        t = self.table
        return bool(term.key and term.key in t.surface[record]) or (
            len(term.romaji) >= 2 and term.romaji in t.romaji[record]
        )

    def count(self, query: ParsedQuery) -> int:
        terms = sorted(query.terms, key=lambda t: -max(len(t.key), len(t.romaji)))
        if not terms:
            return len(self.table)
        candidates = self.matching(terms[0])
        for term in terms[1:]:
            candidates = {r for r in candidates if self.matches(r, term)}
        return len(candidates)


def _count_worker(q: str) -> int:
    scanner = _state["scanner"]
    assert isinstance(scanner, Scanner)
    return scanner.count(parse_query(q))


def exact_totals(table: KeyTable, queries: list[str], *, processes: int | None = None) -> list[int]:
    """The exact total of each query, in order."""
    scanner = Scanner(table)
    processes = processes or min(2, os.cpu_count() or 1)
    if processes <= 1 or len(queries) < 50:
        return [scanner.count(parse_query(q)) for q in queries]
    _state["scanner"] = scanner  # inherited by the forked workers, not pickled
    try:
        with multiprocessing.get_context("fork").Pool(processes) as pool:
            return pool.map(_count_worker, queries, chunksize=8)
    finally:
        _state.clear()


def cache_path(corpus_key: str, queries: list[str]) -> Path:
    digest = hashlib.sha256("\n".join(queries).encode()).hexdigest()[:16]
    return paths.bench_dir() / f"truth-v{TRUTH_VERSION}-{corpus_key}-{digest}.json"


def cached_exact_totals(
    table: KeyTable, queries: list[str], corpus_key: str
) -> tuple[list[int], float, bool]:
    """(totals, seconds, whether they came from the cache)."""
    started = time.perf_counter()
    path = cache_path(corpus_key, queries)
    if path.exists():
        data = json.loads(path.read_text())
        if data.get("queries") == queries:
            return data["totals"], time.perf_counter() - started, True
    totals = exact_totals(table, queries)
    path.write_text(json.dumps({"queries": queries, "totals": totals}, ensure_ascii=False))
    return totals, time.perf_counter() - started, False
