"""manage.py export_catalog --format marcxml|marc|dc|json|csv [--q QUERY] OUTFILE

Writes the whole catalogue, or the records a search finds (best first, with the filters of
/api/v1/search), to OUTFILE ("-" for standard output), a record at a time with a progress bar.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from toshokan.catalog.exporters import ExportFormat, export_many
from toshokan.catalog.exporters.common import iter_all_records
from toshokan.catalog.models import Record
from toshokan.search.domain.query import Filters, SearchRequest
from toshokan.search.selectors import search_catalog

_PAGE = 200


def _search(request: SearchRequest, limit: int | None) -> tuple[int, Iterator[Record]]:
    first = search_catalog(SearchRequest(q=request.q, filters=request.filters, limit=1, facets=False))
    total = first.total if limit is None else min(first.total, limit)

    def records() -> Iterator[Record]:
        offset = 0
        while offset < total:
            page = search_catalog(
                SearchRequest(q=request.q, filters=request.filters, limit=min(_PAGE, total - offset), offset=offset,
                              facets=False)
            )  # fmt: skip
            if not page.records:
                return
            yield from page.records
            offset += len(page.records)

    return total, records()


class Command(BaseCommand):
    help = "Export catalogue records as MARCXML, MARC (ISO 2709), Dublin Core, JSON or CSV."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("outfile", help='file to write, or "-" for standard output')
        parser.add_argument("--format", required=True, choices=[f.value for f in ExportFormat])
        parser.add_argument("--q", default=None, help="export only what this search finds (best first)")
        parser.add_argument(
            "--ndc", action="append", default=[], help="with --q: NDC class prefix (repeatable)"
        )
        parser.add_argument("--language", action="append", default=[], help="with --q: ISO 639-2 code")
        parser.add_argument("--limit", type=int, default=None, help="at most this many records")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        fmt = ExportFormat(options["format"])
        limit = options["limit"]
        if options["q"] is not None:
            request = SearchRequest(
                q=options["q"],
                filters=Filters(ndc=tuple(options["ndc"]), language=tuple(options["language"])),
            )
            total, records = _search(request, limit)
        else:
            total = Record.objects.count() if limit is None else min(limit, Record.objects.count())
            records = iter_all_records()
        bar = tqdm(
            total=total,
            unit=" rec",
            disable=options["no_progress"] or not sys.stderr.isatty(),
            file=sys.stderr,
        )

        written = 0

        def counted() -> Iterator[Record]:
            nonlocal written
            for record in records:
                if limit is not None and written >= limit:
                    return
                yield record
                written += 1
                bar.update(1)

        outfile = options["outfile"]
        try:
            if outfile == "-":
                for chunk in export_many(fmt, counted()):
                    sys.stdout.buffer.write(chunk)
                sys.stdout.buffer.flush()
            else:
                with open(Path(outfile), "wb") as out:
                    for chunk in export_many(fmt, counted()):
                        out.write(chunk)
        except OSError as exc:
            raise CommandError(f"cannot write {outfile}: {exc}") from exc
        finally:
            bar.close()
        if outfile != "-":
            self.stdout.write(f"{written} records written to {outfile} ({fmt.value})")
