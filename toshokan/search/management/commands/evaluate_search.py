"""manage.py evaluate_search [FILE] — relevance of the catalogue search on a query set, per kind."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from toshokan.search.evaluation import catalogue_search, evaluate, load_queries


class Command(BaseCommand):
    help = "Score search relevance (MRR@10 / precision@10 per kind) on a query set."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "file", nargs="?", type=Path, default=settings.TOSHOKAN_DATA_DIR / "eval" / "search_dev.jsonl"
        )
        parser.add_argument("--misses", action="store_true", help="list the queries that scored below 1")
        parser.add_argument("--kind", help="only queries of this kind")
        parser.add_argument(
            "--draw",
            type=int,
            metavar="SEED",
            help="instead of FILE, draw a fresh query set from the Aozora catalogue with this seed",
        )
        parser.add_argument("--per-kind", type=int, default=30)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["draw"] is not None:
            from toshokan.search.evaluation_sets import draw

            catalogue = settings.TOSHOKAN_DATA_DIR / "aozora" / "list_person_all_extended_utf8.csv.gz"
            queries = draw(catalogue, per_kind=options["per_kind"], seed=options["draw"])
        else:
            queries = load_queries(options["file"])
        if options["kind"]:
            queries = [q for q in queries if q["kind"] == options["kind"]]
        result = evaluate(queries, catalogue_search)
        for kind, score in result.per_kind.items():
            self.stdout.write(f"{kind:28s} {score:.3f}")
        self.stdout.write(f"{'macro':28s} {result.macro:.3f}")
        if options["misses"]:
            for miss in result.misses:
                self.stdout.write(json.dumps(miss, ensure_ascii=False))
