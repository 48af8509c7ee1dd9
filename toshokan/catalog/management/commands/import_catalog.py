"""manage.py import_catalog FILE… [--format aozora|marc|marcxml|dcndl]

Imports records with a progress bar and ends with a summary; every malformed record is reported
with its position and reason, and the rest go in. Running it again on the same file updates the
records it made (matched by source and source key) instead of adding copies.

Built for big files: the file is read (and each record's rows worked out) in a second process
while this one writes, and the search index takes the new records `--index-every` at a time
rather than after every batch (docs/import-export.md, "Speed"). When the command ends, every
record it stored is searchable.
"""

from __future__ import annotations

import json
import sys
from functools import partial
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from toshokan.catalog import services
from toshokan.catalog.importers.registry import READERS, detect_format, read_in_worker


def queue_depth(index_every: int, chunk_size: int = 250) -> int:
    """Lists of `chunk_size` records the reading process may have ready: enough for it to go on
    reading while this one indexes `index_every` records (a few MB; memory stays bounded)."""
    return max(8, index_every // chunk_size + 8)


class Command(BaseCommand):
    help = "Import bibliographic records (Aozora catalogue CSV, MARC21, MARCXML, DC-NDL XML)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("files", nargs="+", type=Path)
        parser.add_argument("--format", choices=sorted(READERS), help="default: from the file name")
        parser.add_argument("--batch-size", type=int, default=1000, help="records a transaction")
        parser.add_argument(
            "--index-every",
            type=int,
            default=10_000,
            help="records handed to the search index at a time (0: each batch as it commits)",
        )
        parser.add_argument(
            "--no-worker", action="store_true", help="read the file in this process, not a second one"
        )
        parser.add_argument("--no-progress", action="store_true")
        parser.add_argument("--report", type=Path, help="write problems as JSON lines to this file")

    def handle(self, *args: Any, **options: Any) -> None:
        total_problems = 0
        for path in options["files"]:
            if not path.exists():
                raise CommandError(f"{path}: no such file")
            fmt = options["format"] or detect_format(path)
            if fmt not in READERS:
                raise CommandError(f"format {fmt!r} is not supported (choose from {sorted(READERS)})")
            bar = tqdm(
                desc=path.name,
                unit=" rec",
                disable=options["no_progress"] or not sys.stderr.isatty(),
                file=sys.stderr,
            )

            def advance(count: int, bar: tqdm[Any] = bar) -> None:
                bar.update(count)

            items = (
                READERS[fmt](path)
                if options["no_worker"]
                else read_in_worker(
                    partial(READERS[fmt], path),
                    transform=services.prepare_record,
                    name=path.name,
                    depth=queue_depth(options["index_every"]),
                )
            )
            summary = services.import_records(
                items,
                batch_size=options["batch_size"],
                on_progress=advance,
                index_every=options["index_every"],
            )
            bar.close()
            self.stdout.write(
                f"{path}: {summary.imported} records imported "
                f"({summary.created} new, {summary.updated} updated), {len(summary.problems)} problems"
            )
            for problem in summary.problems:
                where = f"record {problem.position}" + (
                    f" (byte {problem.offset})" if problem.offset is not None else ""
                )
                self.stderr.write(f"  {path.name}: {where}: {problem.reason}")
            if options["report"]:
                with open(options["report"], "a", encoding="utf-8") as report:
                    for p in summary.problems:
                        report.write(
                            json.dumps(
                                {"file": str(path), **p.__dict__}
                                if hasattr(p, "__dict__")
                                else {
                                    "file": str(path),
                                    "position": p.position,
                                    "offset": p.offset,
                                    "reason": p.reason,
                                    "source_key": p.source_key,
                                },
                                ensure_ascii=False,
                            )
                            + "\n"
                        )
            total_problems += len(summary.problems)
        if total_problems:
            self.stdout.write(f"{total_problems} records could not be imported; the rest are in.")
