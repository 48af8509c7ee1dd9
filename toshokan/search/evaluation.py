"""Relevance evaluation: a query set with the records each query should find, scored per kind.

Each line of a query set is JSON: {"q", "relevant": [Aozora work ids], "metric": "rank" | "p10",
"kind"}. `rank` scores the reciprocal rank of the first relevant record in the top 10 (MRR@10);
`p10` the share of the top 10 that is relevant, out of min(10, number relevant) (precision@10,
for author queries with many works). The macro average is the mean of the per-kind means.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

SearchFn = Callable[[str], list[str]]  # query → Aozora ids of the top 10, best first


@dataclass
class Evaluation:
    per_kind: dict[str, float]
    macro: float
    misses: list[dict[str, object]] = field(default_factory=list)


def load_queries(path: Path) -> list[dict[str, object]]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def score_query(ranked: list[str], relevant: Iterable[str], metric: str) -> float:
    wanted = set(relevant)
    top = ranked[:10]
    if metric == "p10":
        return sum(1 for r in top if r in wanted) / min(10, len(wanted))
    for rank, rid in enumerate(top, start=1):
        if rid in wanted:
            return 1.0 / rank
    return 0.0


def evaluate(queries: list[dict[str, object]], search: SearchFn) -> Evaluation:
    scores: dict[str, list[float]] = defaultdict(list)
    misses: list[dict[str, object]] = []
    for q in queries:
        ranked = search(str(q["q"]))
        s = score_query(ranked, q["relevant"], str(q["metric"]))  # type: ignore[arg-type]
        scores[str(q["kind"])].append(s)
        if s < 1.0:
            misses.append({**q, "score": round(s, 3), "got": ranked[:5]})
    per_kind = {k: sum(v) / len(v) for k, v in sorted(scores.items())}
    macro = sum(per_kind.values()) / len(per_kind) if per_kind else 0.0
    return Evaluation(per_kind=per_kind, macro=macro, misses=misses)


def catalogue_search(q: str) -> list[str]:
    """Search the catalogue as GET /api/v1/search does; Aozora ids of the top 10."""
    from .domain.query import SearchRequest
    from .selectors import search_catalog

    page = search_catalog(SearchRequest(q=q, limit=10, facets=False))
    ids = []
    for record in page.records:
        aozora = next((i.value for i in record.identifiers.all() if i.scheme == "aozora"), "")
        ids.append(aozora)
    return ids
