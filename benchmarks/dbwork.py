"""The benchmark steps that need Django and a database, each run in a process of its own.

    python -m benchmarks.dbwork fill      '{"size": …, "seed": …}'
    python -m benchmarks.dbwork import    '{"marc": path, "records": n}'
    python -m benchmarks.dbwork relevance '{"catalogue": path, "queries": path, "build": true}'
    python -m benchmarks.dbwork circulation '{"records": n, "copies": n, "patrons": n, "card_serial": n}'

The database is the SQLite file in $TOSHOKAN_BENCH_DB (or the PostgreSQL database in
$TOSHOKAN_BENCH_DATABASE_URL) and the index the directory in
$TOSHOKAN_INDEX_DIR (see benchmarks/settings.py). A step prints one JSON object as its last line of
output. A process of its own gives each step a clean peak RSS and keeps Django's database
configuration out of the benchmark's main process.
"""

from __future__ import annotations

import json
import os
import resource
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any


def _setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _peak_rss_mib() -> float:
    # VmHWM, not getrusage's ru_maxrss: Linux keeps ru_maxrss across execve, so a step started by a
    # benchmark process holding a million-record corpus would report that process's size.
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- fill: the corpus as catalogue rows, for the HTTP measurement -------------------------------------
def fill(size: int, seed: int) -> dict[str, Any]:
    """Bulk-insert the corpus through the ORM: records with their ids, creators, ISBNs and subjects."""
    _setup()
    from django.db import connection, transaction

    from toshokan.catalog.models import Creator, Identifier, Record, RecordCreator, Subject

    from .corpus import generate

    corpus = generate(size, seed)
    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("PRAGMA synchronous=OFF")
    with transaction.atomic():
        Creator.objects.bulk_create(
            (
                Creator(
                    id=i + 1, name=name, reading=reading, romanized=romanized, authority_id=f"bench:{i + 1}"
                )
                for i, (name, reading, romanized) in enumerate(corpus.creators)
            ),
            batch_size=2000,
        )
    chunk = 5000
    for start in range(0, len(corpus.records), chunk):
        records, links, idents, subjects = [], [], [], []
        for rec in corpus.records[start : start + chunk]:
            (rid, title, reading, romanized, subtitle, subtitle_reading, original, series, publisher, year, ndc,
             creator_links, isbn, subject) = rec  # fmt: skip
            records.append(
                Record(
                    id=rid, title=title, title_reading=reading, title_romanized_auto=romanized, subtitle=subtitle,
                    subtitle_reading=subtitle_reading, original_title=original, series=series, publisher=publisher,
                    year=year, ndc=ndc, language="jpn", material_type="book", source="bench", source_key=str(rid),
                )
            )  # fmt: skip
            for position, (creator, role) in enumerate(creator_links):
                links.append(
                    RecordCreator(record_id=rid, creator_id=creator + 1, role=role, position=position)
                )
            if isbn:
                idents.append(Identifier(record_id=rid, scheme="isbn", value=isbn))
            if subject:
                subjects.append(Subject(record_id=rid, term=subject, scheme="ndc"))
        if start % 100_000 == 0:
            print(
                f"fill: {start:,} records in {time.perf_counter() - started:.0f} s",
                file=sys.stderr,
                flush=True,
            )
        with transaction.atomic():
            Record.objects.bulk_create(records)
            RecordCreator.objects.bulk_create(links)
            Identifier.objects.bulk_create(idents)
            Subject.objects.bulk_create(subjects)
    return {"records": Record.objects.count(), "seconds": round(time.perf_counter() - started, 1)}


# -- import: MARC records/s through the import service -------------------------------------------------
def repeated_marc(source: Path, records: int, out: Path) -> int:
    """`records` MARC records: the source file's records over and over, each copy with its own 001.

    Works on the ISO 2709 bytes (leader, directory, fields), so a record the MARC reader would
    reject is repeated as it is, and nothing is re-encoded.
    """
    raw = [r + b"\x1d" for r in source.read_bytes().split(b"\x1d") if len(r) > 24]
    written = 0
    with open(out, "wb") as f:
        copy = 0
        while written < records:
            for record in raw:
                if written == records:
                    break
                f.write(_with_control_number(record, f"b{copy:03d}-" if copy else ""))
                written += 1
            copy += 1
    return written


def _with_control_number(record: bytes, prefix: str) -> bytes:
    if not prefix:
        return record
    try:
        base = int(record[12:17])
        directory = record[24 : base - 1]
        entries = [
            (directory[i : i + 3], int(directory[i + 3 : i + 7]), int(directory[i + 7 : i + 12]))
            for i in range(0, len(directory) - 11, 12)
        ]
    except ValueError:
        return record  # not well-formed: repeated as is, for the reader to report
    fields = [(tag, record[base + start : base + start + length]) for tag, length, start in entries]
    if any(tag == b"001" for tag, _ in fields):
        fields = [(tag, prefix.encode() + data if tag == b"001" else data) for tag, data in fields]
    else:
        fields.insert(0, (b"001", prefix.encode() + b"\x1e"))
    out_dir = b""
    body = b""
    for tag, data in fields:
        out_dir += tag + b"%04d%05d" % (len(data), len(body))
        body += data
    new_base = 24 + len(out_dir) + 1
    total = new_base + len(body) + 1
    leader = b"%05d" % total + record[5:12] + b"%05d" % new_base + record[17:24]
    return leader + out_dir + b"\x1e" + body + b"\x1d"


def import_marc(marc: str, records: int, batch_size: int = 1000, index_every: int = 10_000) -> dict[str, Any]:
    """As `manage.py import_catalog` imports a file: read and prepared in a second process, stored
    here `batch_size` records a transaction, the search index fed `index_every` records at a time."""
    _setup()
    from functools import partial

    from toshokan.catalog import services
    from toshokan.catalog.importers.registry import READERS, read_in_worker
    from toshokan.catalog.management.commands.import_catalog import queue_depth

    if "marc" not in READERS:
        return {
            "skipped": "no MARC reader registered yet (toshokan.catalog.importers.registry.READERS['marc'])"
        }
    path = Path(os.environ["TOSHOKAN_BENCH_DB"]).with_suffix(".mrc")
    written = repeated_marc(Path(marc), records, path)
    rss_before = _rss_mib()
    started = time.perf_counter()
    items = read_in_worker(
        partial(READERS["marc"], path),
        transform=services.prepare_record,
        name=path.name,
        depth=queue_depth(index_every),
    )
    summary = services.import_records(items, batch_size=batch_size, index_every=index_every)
    seconds = time.perf_counter() - started
    path.unlink()
    return {
        "records_in_file": written,
        "imported": summary.imported,
        "problems": len(summary.problems),
        "seconds": round(seconds, 2),
        "records_per_s": round(summary.imported / seconds, 1) if seconds else None,
        "rss_before_mib": round(rss_before, 1),
        "peak_rss_mib": round(_peak_rss_mib(), 1),
        "reader_peak_rss_mib": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1),
    }


# -- relevance: the dev query set on the Aozora catalogue --------------------------------------------
def relevance(catalogue: str, queries: str, build: bool) -> dict[str, Any]:
    _setup()
    from django.core.management import call_command

    from toshokan.catalog.selectors import record_count
    from toshokan.search.evaluation import catalogue_search, evaluate, load_queries

    built_s = None
    if record_count() == 0:
        if not build:
            return {"skipped": "no Aozora database in var/bench yet (a run without --quick builds it)"}
        started = time.perf_counter()
        call_command("import_catalog", catalogue, "--no-progress", verbosity=0)
        built_s = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    result = evaluate(load_queries(Path(queries)), catalogue_search)
    return {
        "records": record_count(),
        "import_s": built_s,
        "queries": sum(1 for _ in open(queries, encoding="utf-8") if _.strip()),
        "per_kind": {k: round(v, 3) for k, v in result.per_kind.items()},
        "macro": round(result.macro, 3),
        "below_1": len(result.misses),
        "seconds": round(time.perf_counter() - started, 1),
    }


# -- circulation: what the checkout benchmark lends from ------------------------------------------------
def circulation(records: int, copies: int, patrons: int, card_serial: int) -> dict[str, Any]:
    """Branches, `records` records in the search index, `copies` copies (barcodes 9000000000, …) of
    the first of them at the central library, `patrons` patrons registered through the service
    (cards from `card_serial`), a staff user with an API token; the demo library's rules and
    calendars."""
    _setup()
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from toshokan.catalog.models import Branch, Holding, Record
    from toshokan.patrons import services as patron_services
    from toshokan.patrons.domain.cards import make_card_number
    from toshokan.search import services as search_services

    from .circulation import BRANCH, CARD_PREFIX, barcode

    started = time.perf_counter()
    central, _ = Branch.objects.get_or_create(code=BRANCH, defaults={"name": "中央図書館"})
    Branch.objects.get_or_create(code="ekimae", defaults={"name": "駅前分館", "position": 1})
    with transaction.atomic():
        Record.objects.bulk_create(
            Record(title=f"貸出の計測用の本 その{n}", title_reading=f"かしだしのけいそくようのほん その{n}",
                   ndc="913.6", year=2000 + n % 25, source="bench", source_key=f"circ{n}")
            for n in range(records)
        )  # fmt: skip
    ids = list(Record.objects.order_by("pk").values_list("pk", flat=True))
    with transaction.atomic():
        Holding.objects.bulk_create(
            Holding(record_id=ids[n // 2 % len(ids)], branch=central, barcode=barcode(n), shelf_mark="913.6/カ",
                    location="一般開架", material_type="book", status="available")
            for n in range(copies)
        )  # fmt: skip
    for n in range(patrons):
        patron_services.register_patron(
            family_name="計測",
            given_name=str(n),
            home_branch=central,
            card_number=make_card_number(CARD_PREFIX, card_serial + n),
        )
    # The demo library's rules and calendars: weekly closing days, 年末年始, inventory weeks.
    from toshokan.circulation import demo

    branches = {b.code: b for b in Branch.objects.all()}
    demo.load_rules(lambda _: None)
    demo.load_calendars(lambda _: None, branches, date.today())
    staff = get_user_model().objects.create_superuser("bench-desk", password=None)
    token = None
    try:
        from toshokan.core.tokens import create_api_token

        _, token = create_api_token(user=staff, name="benchmark")
    except ImportError:
        pass
    indexed = search_services.rebuild_index()
    return {
        "records": records,
        "copies": copies,
        "patrons": patrons,
        "indexed": indexed,
        "token": token,
        "seconds": round(time.perf_counter() - started, 1),
    }


def main(argv: list[str]) -> None:
    step, args = argv[0], json.loads(argv[1]) if len(argv) > 1 else {}
    steps: dict[str, Callable[..., dict[str, Any]]] = {
        "fill": fill,
        "import": import_marc,
        "relevance": relevance,
        "circulation": circulation,
    }
    result = steps[step](**args)
    sys.stdout.write("\n" + json.dumps(result, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
