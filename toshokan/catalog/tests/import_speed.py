"""How fast MARC records import, and how much memory it takes (not a test: run it by hand).

    .venv/bin/python -m toshokan.catalog.tests.import_speed [--copies 10] [--batch-size 1000]
        [--index-every 10000] [--per-batch-index]

Reads data/marc/solrmarc/uva_001_2000.mrc `--copies` times (each copy under its own source keys,
so every record is new: 20,000 records by default) into a fresh SQLite database in a temporary
directory (or the PostgreSQL database named by DATABASE_URL, which must be a scratch one), and
prints the rates of separate passes, so the stages can be told apart:

1. the MARC reader alone (ISO 2709 → BibRecord, no database);
2. `services.import_records` in one process with the search index's listener switched off;
3. (`--per-batch-index`) the same with each batch indexed as it commits, as before 2026-11;
4. the import as `manage.py import_catalog` runs it: the file read and prepared in a second
   process (`read_in_worker`), records stored here, the search index fed `--index-every`
   records at a time; every record is searchable when it ends (checked).

Each pass prints records/s by the wall clock and by CPU time (this process, plus the reading
process in pass 4, where the two run at once on two cores), and the peak resident memory of this
process (and of the reading process). The uva records are Latin-script, so the MeCab
readings/romaji the service makes for Japanese titles are not part of these figures
(`derive_keys` skips Latin titles); pass `--japanese` to import the five Japanese records of
data/marc/japanese repeated instead, which does exercise them.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]


def _peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def _children_cpu() -> float:
    times = os.times()
    return times.children_user + times.children_system


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--index-every", type=int, default=10_000)
    parser.add_argument("--per-batch-index", action="store_true", help="also time indexing after every batch")
    parser.add_argument(
        "--japanese", action="store_true", help="the 5 Japanese records, repeated to the same total"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary database and index")
    args = parser.parse_args(argv)

    workdir = tempfile.mkdtemp(prefix="toshokan-import-speed-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")  # DEBUG off, as in production
    os.environ["TOSHOKAN_VAR_DIR"] = workdir
    os.environ["TOSHOKAN_INDEX_DIR"] = str(Path(workdir) / "index")
    sys.path.insert(0, str(REPO))
    import django

    django.setup()
    from django.core.management import call_command

    from toshokan.catalog import services
    from toshokan.catalog.domain.records import BibRecord, ImportProblem
    from toshokan.catalog.importers.marc import read_marc
    from toshokan.catalog.importers.registry import read_in_worker
    from toshokan.catalog.management.commands.import_catalog import queue_depth
    from toshokan.catalog.models import Record
    from toshokan.core import hooks
    from toshokan.search.engine import get_backend

    call_command("migrate", verbosity=0)
    if args.japanese:
        source = REPO / "data" / "marc" / "japanese" / "japanese_880_records.mrc"
        copies = args.copies * 400
    else:
        source = REPO / "data" / "marc" / "solrmarc" / "uva_001_2000.mrc"
        copies = args.copies

    def records(tag: str) -> Iterator[BibRecord | ImportProblem]:
        for copy in range(copies):
            with open(source, "rb") as stream:
                for item in read_marc(stream, name=source.name):
                    if isinstance(item, BibRecord):
                        item.source_key = f"{item.source_key}#{tag}{copy}"
                    yield item

    print(f"source: {source.relative_to(REPO)} × {copies}; database: {django.db.connection.vendor}; "
          f"batch size {args.batch_size}; index every {args.index_every}")  # fmt: skip

    def report(label: str, count: int, wall: float, cpu: float, worker_cpu: float = 0.0) -> None:
        worker = f" + reader process {worker_cpu:5.1f} s" if worker_cpu else ""
        print(f"{label:34s} {count:6d} records in {wall:6.1f} s = {count / wall:6.0f} rec/s "
              f"(CPU {cpu:6.1f} s{worker} = {count / (cpu + worker_cpu):6.0f} rec/s), "
              f"peak RSS {_peak_rss_mb():.0f} MB")  # fmt: skip

    start, cpu = time.perf_counter(), time.process_time()
    count = sum(1 for _ in records("r"))
    report("1. reader only", count, time.perf_counter() - start, time.process_time() - cpu)

    listeners = list(hooks._record_listeners)
    hooks._record_listeners.clear()
    start, cpu = time.perf_counter(), time.process_time()
    summary = services.import_records(records("a"), batch_size=args.batch_size)
    report(
        "2. import, search index off",
        summary.imported,
        time.perf_counter() - start,
        time.process_time() - cpu,
    )
    hooks._record_listeners.extend(listeners)

    if args.per_batch_index:
        start, cpu = time.perf_counter(), time.process_time()
        summary = services.import_records(records("b"), batch_size=args.batch_size)
        report(
            "3. import, index after each batch",
            summary.imported,
            time.perf_counter() - start,
            time.process_time() - cpu,
        )

    before = get_backend().count()
    start, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
    summary = services.import_records(
        read_in_worker(
            lambda: records("c"),
            transform=services.prepare_record,
            name=source.name,
            depth=queue_depth(args.index_every),
        ),
        batch_size=args.batch_size,
        index_every=args.index_every,
    )
    report(
        "4. import as import_catalog runs it",
        summary.imported,
        time.perf_counter() - start,
        time.process_time() - cpu,
        _children_cpu() - children,
    )
    print(f"   reader process peak RSS {_peak_rss_mb(resource.RUSAGE_CHILDREN):.0f} MB")
    searchable = get_backend().count() - before
    print(f"records in the database: {Record.objects.count()}; made searchable by pass 4: {searchable}")
    if args.keep:
        print(f"work directory kept: {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
