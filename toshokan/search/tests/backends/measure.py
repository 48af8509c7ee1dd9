"""Measure the search backends side by side on a synthetic catalogue (corpus.py).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/toshokan_bench \\
      .venv/bin/python -m toshokan.search.tests.backends.measure --records 1000000 --queries 1000

builds (or reuses, with --reuse) both indexes from the same documents, runs the same mixed queries
on each (relevance, top 20, exact total; facets too unless --no-facets), checks that the totals
agree, and prints build times and latency percentiles per query kind. The PostgreSQL database must
exist and be migrated (`manage.py migrate`); its search table is replaced.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from collections import defaultdict
from pathlib import Path


def make_queries(n: int, seed: int = 11) -> list[tuple[str, str]]:
    """(kind, query) pairs drawn from the real Aozora titles and people, as people type them."""
    from toshokan.core.japanese.normalize import fold

    from .corpus import load_aozora

    works, people = load_aozora()
    rng = random.Random(seed)
    titles = [w.title for w in works if len(fold(w.title)) >= 2]
    readings = [w.reading for w in works if len(w.reading) >= 4]
    japanese_people = [p for p in people if p.romanized and p.reading]

    def piece(text: str, lo: int, hi: int) -> str:
        key = fold(text)
        length = min(len(key), rng.randint(lo, hi))
        start = rng.randrange(0, len(key) - length + 1)
        return key[start : start + length]

    kinds = {
        "title": lambda: rng.choice(titles),
        "title part (3-6 chars)": lambda: piece(rng.choice(titles), 3, 6),
        "2 chars": lambda: piece(rng.choice(titles), 2, 2),
        "1 char": lambda: piece(rng.choice(titles), 1, 1),
        "kana reading part": lambda: piece(rng.choice(readings), 3, 6),
        "author": lambda: rng.choice(japanese_people).name,
        "author romaji": lambda: rng.choice(japanese_people).romanized,
        "author + title part": lambda: (
            f"{rng.choice(japanese_people).name.split(' ')[0]} {piece(rng.choice(titles), 2, 4)}"
        ),
    }
    names = list(kinds)
    return [(kind, kinds[kind]()) for kind in (names[i % len(names)] for i in range(n))]


def percentiles(values: list[float]) -> tuple[float, float, float]:
    ordered = sorted(values)

    def at(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]

    return statistics.median(ordered), at(0.95), at(0.99)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--backends", default="tantivy,postgres")
    parser.add_argument("--reuse", action="store_true", help="search the indexes already built")
    parser.add_argument("--no-facets", action="store_true")
    parser.add_argument(
        "--rounds", type=int, default=1, help="run the query set this many times; a query's time is its best"
    )
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    import django

    django.setup()
    from django.conf import settings

    from toshokan.search.backends.base import SearchBackend
    from toshokan.search.domain.query import SearchRequest, parse_query

    from .corpus import cached_documents

    backends: dict[str, SearchBackend] = {}
    for name in args.backends.split(","):
        if name == "tantivy":
            from toshokan.search.backends.tantivy_backend import TantivyBackend

            backends[name] = TantivyBackend(
                Path(settings.VAR_DIR) / "bench" / "search-backends" / f"tantivy-{args.records}"
            )
        elif name == "postgres":
            from toshokan.search.backends.postgres_backend import PostgresBackend

            backends[name] = PostgresBackend()

    if not args.reuse:
        started = time.monotonic()
        docs = cached_documents(args.records)
        print(f"corpus: {len(docs)} documents ({time.monotonic() - started:.1f} s to load or build)")
        for name, backend in backends.items():
            started = time.monotonic()
            backend.rebuild(iter(docs))
            print(
                f"build {name}: {time.monotonic() - started:.1f} s, {backend.count()} documents", flush=True
            )
        del docs

    queries = make_queries(args.queries)
    best: dict[str, list[float]] = {name: [float("inf")] * len(queries) for name in backends}
    totals: dict[str, list[int]] = {name: [] for name in backends}
    for round_number in range(args.rounds):
        for i, (_, q) in enumerate(queries):
            parsed = parse_query(q)
            request = SearchRequest(q=q, limit=20, facets=not args.no_facets)
            for name, backend in backends.items():
                started = time.perf_counter()
                result = backend.search(parsed, request)
                best[name][i] = min(best[name][i], (time.perf_counter() - started) * 1000)
                if round_number == 0:
                    totals[name].append(result.total)
    timings: dict[str, dict[str, list[float]]] = {name: defaultdict(list) for name in backends}
    for name in backends:
        for (kind, _), elapsed in zip(queries, best[name], strict=True):
            timings[name][kind].append(elapsed)
            timings[name]["all"].append(elapsed)

    names = list(backends)
    if len(names) > 1:
        agree = sum(1 for t in zip(*(totals[n] for n in names), strict=True) if len(set(t)) == 1)
        print(f"totals agree on {agree}/{len(queries)} queries")
        for (kind, q), *ts in zip(queries, *(totals[n] for n in names), strict=True):
            if len(set(ts)) != 1:
                print(f"  differs: {kind} {q!r} {dict(zip(names, ts, strict=True))}")
    print(f"\n{'kind':24} " + " ".join(f"{n + ' p50/p95/p99 ms':>32}" for n in names) + "   median total")
    kinds = ["all", *dict.fromkeys(k for k, _ in queries)]
    for kind in kinds:
        cells = []
        for name in names:
            p50, p95, p99 = percentiles(timings[name][kind])
            cells.append(f"{p50:9.2f} {p95:9.2f} {p99:9.2f}".rjust(32))
        kind_totals = [t for (k, _), t in zip(queries, totals[names[0]], strict=True) if kind in ("all", k)]
        print(f"{kind:24} " + " ".join(cells) + f"   {statistics.median(kind_totals):>12.0f}")


if __name__ == "__main__":
    main()
