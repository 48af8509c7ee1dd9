"""manage.py rebuild_index — rebuild the whole search index from the catalogue, with progress."""

from __future__ import annotations

import sys
import time
from typing import Any

from django.core.management.base import BaseCommand
from tqdm import tqdm

from toshokan.catalog.selectors import record_count
from toshokan.search import services


class Command(BaseCommand):
    help = "Rebuild the search index from the catalogue (searches keep working meanwhile)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--no-progress", action="store_true")
        parser.add_argument(
            "--workers",
            type=int,
            default=1,
            help="processes that make the documents (default 1: none; pays from about 4 cores)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.monotonic()
        bar = tqdm(
            total=record_count(),
            unit=" rec",
            desc="index",
            disable=options["no_progress"] or not sys.stderr.isatty(),
            file=sys.stderr,
        )

        def advance(count: int) -> None:
            bar.update(count)

        count = services.rebuild_index(on_progress=advance, workers=options["workers"])
        bar.close()
        elapsed = time.monotonic() - started
        self.stdout.write(f"indexed {count} records in {elapsed:.1f} s ({count / max(elapsed, 1e-9):.0f}/s)")
