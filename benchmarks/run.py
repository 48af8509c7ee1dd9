"""`python -m benchmarks` (`make bench`): one run, every engine on the same records and queries.

    python -m benchmarks [--records N] [--queries N] [--seed S]
                         [--only search,http,import,relevance,circulation,federation,ocr,iiif]
                         [--skip groonga,tantivy-ngram,sqlite-fts5,pg] [--quick]
                         [--circ-ops N] [--circ-clients 1,2,4] [--circ-databases sqlite,postgresql]
                         [--fed-systems N] [--fed-repeats N]

Steps, in order (each can be selected with --only):

search     generate the corpus (cached), the query set and the exact totals (cached); build
           toshokan's index twice (one process; then worker processes making documents) and time
           queries with one and two clients; then each baseline on the same records and queries.
http       the app server on that index and a database of the same records: GET /api/v1/search.
import     MARC records/s through the import service, at two sizes, with peak memory.
relevance  the dev query set (data/eval/search_dev.jsonl) on the Aozora catalogue.
circulation checkouts and returns per second with p50/p95/p99: a bare lock-insert-update
           transaction, the circulation services and POST /api/v1/loans, on SQLite and PostgreSQL,
           with 1, 2 and 4 clients (benchmarks/circulation.py).
federation live availability: 10 ISBNs across 1,000 simulated library systems on loopback
           (benchmarks/federation.py).
ocr        Tesseract on the NDL-DocL Edo-period pages (line-detection recall against their layout
           annotations) and on modern vertical print set from an Aozora text (character error
           rate) (benchmarks/ocr.py).
iiif       IIIF tiles of a 1600×1200 page and a 10,000×8,000 scan: p50/p95 cold and warm and tiles/s
           with two clients, against the same files from a static server (benchmarks/iiif.py).

Progress goes to stderr; the table to stdout; the JSON to benchmarks/results/<time>.json and
benchmarks/results/latest.json. Nothing is asserted: targets are reported as met or missed.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import hashlib
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import paths, report
from .circulation import MODES as CIRCULATION_MODES
from .corpus import GENERATOR_VERSION, Corpus, generate
from .keys import KeyTable

STEPS = ("search", "http", "import", "relevance", "circulation", "federation", "ocr", "iiif")
BASELINES = ("groonga", "groonga-split", "tantivy-ngram", "sqlite-fts5", "pg-trgm")
ALIASES = {"pg": "pg-trgm", "postgres": "pg-trgm", "fts5": "sqlite-fts5", "sqlite": "sqlite-fts5",
           "ngram": "tantivy-ngram", "tantivy": "tantivy-ngram"}  # fmt: skip
TARGETS = {"records_per_s": 20_000, "gib_per_million": 0.5, "http_p95_ms": 20.0}
_started = time.monotonic()


def log(message: str) -> None:
    print(f"[{time.monotonic() - _started:7.1f} s] {message}", file=sys.stderr, flush=True)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    p.add_argument("--records", type=int, help="corpus size (default 1,000,000; 20,000 with --quick)")
    p.add_argument("--queries", type=int, help="query count (default 1,000; 300 with --quick)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--only", default=",".join(STEPS), help=f"steps to run, from {','.join(STEPS)}")
    p.add_argument(
        "--skip", default="", help=f"baselines to leave out, from {','.join(BASELINES)} (groonga: both)"
    )
    p.add_argument("--quick", action="store_true", help="a small run (20k records) that ends within a minute")
    p.add_argument(
        "--pg-queries", type=int, help="queries for pg_trgm (default: all up to 100k records, else 200)"
    )
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="document worker processes")
    p.add_argument("--import-records", type=int, help="MARC records in the first import run (default 20,000)")
    p.add_argument(
        "--circ-ops", type=int, help="checkouts per circulation run (default 1,000; 200 with --quick)"
    )
    p.add_argument("--circ-clients", default="1,2,4", help="concurrent clients of the circulation runs")
    p.add_argument("--circ-databases", default="sqlite,postgresql", help="databases of the circulation step")
    p.add_argument(
        "--circ-modes",
        default=",".join(CIRCULATION_MODES),
        help=f"circulation paths, from {','.join(CIRCULATION_MODES)}",
    )
    p.add_argument(
        "--fed-systems", type=int, help="simulated library systems (default 1,000; 200 with --quick)"
    )
    p.add_argument("--fed-repeats", type=int, default=3, help="checks measured per federation mode")
    p.add_argument("--results", type=Path, default=paths.RESULTS_DIR)
    args = p.parse_args(argv)
    args.circ_ops = args.circ_ops or (200 if args.quick else 1000)
    args.circ_clients = [int(n) for n in args.circ_clients.split(",") if n.strip()]
    args.circ_databases = [d.strip() for d in args.circ_databases.split(",") if d.strip()]
    args.circ_modes = [m.strip() for m in args.circ_modes.split(",") if m.strip()]
    if set(args.circ_databases) - {"sqlite", "postgresql"}:
        p.error("--circ-databases: choose from sqlite, postgresql")
    if set(args.circ_modes) - set(CIRCULATION_MODES):
        p.error(f"--circ-modes: choose from {', '.join(CIRCULATION_MODES)}")
    args.fed_systems = args.fed_systems or (200 if args.quick else 1000)
    args.records = args.records or (20_000 if args.quick else 1_000_000)
    args.queries = args.queries or (200 if args.quick else 1000)
    args.import_records = args.import_records or (300 if args.quick else 20_000)
    if args.pg_queries is None:
        args.pg_queries = 50 if args.quick else (args.queries if args.records <= 100_000 else 200)
    args.only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(args.only) - set(STEPS)
    if unknown:
        p.error(f"unknown steps {sorted(unknown)}; choose from {', '.join(STEPS)}")
    skip = {ALIASES.get(s.strip(), s.strip()) for s in args.skip.split(",") if s.strip()}
    if "groonga" in skip:
        skip.add("groonga-split")
    unknown = skip - set(BASELINES)
    if unknown:
        p.error(f"unknown baselines {sorted(unknown)}; choose from {', '.join(BASELINES)}")
    args.skip = skip
    return args


def code_fingerprint() -> str:
    """Changes when the code that makes match keys or parses queries changes (keys the truth cache)."""
    h = hashlib.sha256()
    for folder in ("toshokan/core/japanese", "toshokan/search/domain"):
        for path in sorted((paths.ROOT / folder).glob("*.py")):
            h.update(path.read_bytes())
    return h.hexdigest()[:12]


def machine() -> dict[str, Any]:
    info: dict[str, Any] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "sqlite": sqlite3.sqlite_version,
    }
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["memory_gib"] = round(int(line.split()[1]) / 1024**2, 1)
    except OSError:
        pass
    try:
        from importlib.metadata import version

        info["tantivy"] = version("tantivy")
    except Exception:
        pass
    return info


# -- search ---------------------------------------------------------------------------------------------
def compare_totals(queries: list[str], got: list[int], truth: list[int]) -> dict[str, Any]:
    pairs = list(zip(queries, got, truth, strict=False))
    wrong = [{"q": q, "got": g, "exact": t} for q, g, t in pairs if g != t]
    return {"exact": len(pairs) - len(wrong), "compared": len(pairs), "mismatches": wrong[:20]}


def by_kind(queries: list[str], latencies: list[float], kinds: dict[str, str]) -> dict[str, Any]:
    """p50/p95 per query kind, and the slowest queries: where an engine's time goes."""
    from .measure import summarise

    groups: dict[str, list[float]] = {}
    for q, t in zip(queries, latencies, strict=False):
        groups.setdefault(kinds.get(q, "?"), []).append(t)
    out: dict[str, Any] = {
        kind: {
            "n": len(ts),
            **{k: v for k, v in summarise(ts).items() if k in ("p50_ms", "p95_ms", "max_ms")},
        }
        for kind, ts in sorted(groups.items())
    }
    slowest = sorted(zip(latencies, queries, strict=False), reverse=True)[:10]
    out["slowest"] = [{"q": q, "kind": kinds.get(q, "?"), "ms": round(t * 1000, 2)} for t, q in slowest]
    return out


def measure_engine(
    engine: Any,
    queries: list[str],
    truth: list[int],
    entry: dict[str, Any],
    kinds: dict[str, str] | None = None,
) -> None:
    from . import measure

    entry["load_before"] = load()
    one = measure.run(engine, queries, clients=1)
    latencies = one.pop("latencies_s", [])
    entry.update(compare_totals(queries, one.pop("totals"), truth))
    entry["latency_1"] = one
    if kinds:
        entry["by_kind"] = by_kind(queries, latencies, kinds)
    two = measure.run(engine, queries, clients=2)
    two.pop("totals", None)
    two.pop("latencies_s", None)
    entry["latency_2"] = two
    entry["load_after"] = load()


def load() -> list[float]:
    """The machine's 1/5/15-minute load averages: other work on a shared machine shows here."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def run_ours(corpus: Corpus, args: argparse.Namespace, result: dict[str, Any]) -> KeyTable:
    """Build toshokan's index in one process, then with document worker processes."""
    from .engines.ours import Ours

    ours = Ours(index_path(corpus))
    log(f"toshokan: indexing {corpus.size:,} records in one process")
    build, table = ours.build_one_process(corpus)
    log(f"toshokan: one process {build['sequential_s']:.1f} s ({build['sequential_rate']:,.0f} records/s)")
    if args.workers > 1 and not args.quick:
        log(f"toshokan: indexing with {args.workers} document worker processes")
        parallel = ours.build_parallel(corpus, args.workers)
        build.update(
            parallel_s=parallel["seconds"],
            parallel_rate=round(corpus.size / parallel["seconds"], 1),
            workers=args.workers,
            size_bytes=parallel["size_bytes"],
        )
        log(f"toshokan: {args.workers} workers {parallel['seconds']:.1f} s")
    result["ours_build"] = build
    best = min(build["sequential_s"], build.get("parallel_s") or float("inf"))
    result["engines"]["toshokan"] = {"label": Ours.label, "build_s": best, "size_bytes": build["size_bytes"]}
    return table


def index_path(corpus: Corpus) -> Path:
    return paths.bench_dir() / f"index-n{corpus.size}-s{corpus.seed}"


def corpus_key(corpus: Corpus) -> str:
    return f"v{GENERATOR_VERSION}-n{corpus.size}-s{corpus.seed}"


def baselines(corpus: Corpus, args: argparse.Namespace) -> list[Any]:
    from .engines.groonga import Groonga
    from .engines.pg_trgm import PgTrgm
    from .engines.sqlite_fts5 import SqliteFts5
    from .engines.tantivy_ngram import TantivyNgram

    work = paths.bench_dir() / "baselines"
    work.mkdir(exist_ok=True)
    made = {
        "groonga": lambda: Groonga(work / "groonga", "TokenBigram"),
        "groonga-split": lambda: Groonga(work / "groonga-split", "TokenBigramSplitSymbolAlphaDigit"),
        "tantivy-ngram": lambda: TantivyNgram(work / "tantivy-ngram"),
        "sqlite-fts5": lambda: SqliteFts5(work / "fts5.sqlite3"),
        "pg-trgm": lambda: PgTrgm(),
    }
    return [(name, made[name]()) for name in BASELINES if name not in args.skip]


def run_search(corpus: Corpus, args: argparse.Namespace, result: dict[str, Any]) -> None:
    from . import queries as query_set
    from . import truth as ground_truth
    from .engines.ours import Ours

    bench_queries = query_set.make_queries(corpus, args.queries, args.seed)
    result["queries"] = query_set.describe(bench_queries)
    qs = [q.q for q in bench_queries]
    kinds = {q.q: q.kind for q in bench_queries}
    result["_kinds"] = kinds
    result["engines"] = {}
    table = run_ours(corpus, args, result)

    log("exact totals (brute force)")
    truth, seconds, cached = ground_truth.cached_exact_totals(
        table, qs, f"{corpus_key(corpus)}-{code_fingerprint()}"
    )
    result["truth"] = {
        "seconds": round(seconds, 1),
        "cached": cached,
        "zero_hits": sum(1 for t in truth if t == 0),
    }
    result["_truth"] = (qs, truth)

    log("toshokan: queries")
    measure_engine(Ours(index_path(corpus)), qs, truth, result["engines"]["toshokan"], kinds)

    for name, engine in baselines(corpus, args):
        entry: dict[str, Any] = {"label": getattr(engine, "label", name)}
        result["engines"][name] = entry
        reason = engine.unavailable()
        entry["label"] = getattr(engine, "label", name)
        if reason:
            entry["skipped"] = reason
            log(f"{name}: skipped ({reason})")
            continue
        try:
            log(f"{name}: building")
            built = engine.build(table)
            entry.update(build_s=built["seconds"], size_bytes=built["size_bytes"])
            n = min(len(qs), args.pg_queries) if name == "pg-trgm" else len(qs)
            if n < len(qs):
                entry["query_cap"] = n
            log(f"{name}: built in {built['seconds']:.1f} s; queries")
            measure_engine(engine, qs[:n], truth[:n], entry, kinds)
        except Exception as exc:
            entry["skipped"] = f"failed: {type(exc).__name__}: {exc}"
            log(f"{name}: failed: {exc}")
        finally:
            cleanup = getattr(engine, "cleanup", None)
            if cleanup:
                try:
                    cleanup()
                except Exception as exc:
                    log(f"{name}: cleanup failed: {exc}")
    shutil.rmtree(paths.bench_dir() / "baselines", ignore_errors=True)


# -- http -------------------------------------------------------------------------------------------------
def run_http(corpus: Corpus, args: argparse.Namespace, result: dict[str, Any]) -> None:
    from .engines.ours import Ours
    from .httpapi import Api, AppServer, filled_database

    index = index_path(corpus)
    log_file = paths.bench_dir() / "bench.log"
    if not (index / "meta.json").exists():
        log("http: no index from a search step; building one")
        Ours(index).build_parallel(corpus, max(1, args.workers))
    log(
        "http: database of the same records (filled once per corpus through bulk_create; slow the first time)"
    )
    db, fill = filled_database(corpus.size, corpus.seed, corpus_key(corpus), log_file)
    qs, truth = result.get("_truth") or (None, None)
    if qs is None:
        from . import queries as query_set
        from . import truth as ground_truth
        from .engines.ours import OursClient

        qs = [q.q for q in query_set.make_queries(corpus, args.queries, args.seed)]
        cached = ground_truth.cache_path(f"{corpus_key(corpus)}-{code_fingerprint()}", qs)
        if cached.exists():
            import json

            truth = json.loads(cached.read_text())["totals"]
        else:
            client = OursClient(index)
            truth = [client.search(q)[0] for q in qs]  # the engine's own totals, when no truth is cached
    log("http: starting the app server")
    server = AppServer(db, index, log_file)
    try:
        entry: dict[str, Any] = {"server": server.command, "database": fill}
        n = 100 if args.quick else len(qs)
        if n < len(qs):
            entry["query_cap"] = n
        log("http: queries")
        measure_engine(Api(server.port), qs[:n], truth[:n], entry, result.get("_kinds"))
        result["http"] = entry
    finally:
        server.stop()


# -- import -----------------------------------------------------------------------------------------------
def run_import(args: argparse.Namespace, result: dict[str, Any]) -> None:
    from .httpapi import bench_env, run_step

    marc = paths.find_data(paths.MARC_SAMPLE)
    if marc is None:
        result["import"] = {"skipped": f"{paths.MARC_SAMPLE} is in neither data directory"}
        return
    runs = []
    for size in (args.import_records, 2 * args.import_records):
        db = paths.bench_dir() / f"import-{size}.sqlite3"
        index = paths.bench_dir() / f"import-{size}-index"
        for p in (db, db.with_suffix(".sqlite3-wal"), db.with_suffix(".sqlite3-shm")):
            p.unlink(missing_ok=True)
        shutil.rmtree(index, ignore_errors=True)
        log(f"import: {size:,} MARC records")
        outcome = run_step("import", {"marc": str(marc), "records": size}, bench_env(db, index),
                           paths.bench_dir() / "bench.log")  # fmt: skip
        for p in (db, db.with_suffix(".sqlite3-wal"), db.with_suffix(".sqlite3-shm")):
            p.unlink(missing_ok=True)
        shutil.rmtree(index, ignore_errors=True)
        if outcome.get("skipped"):
            result["import"] = {"skipped": outcome["skipped"]}
            return
        runs.append(outcome)
    result["import"] = {"source": str(marc), "runs": runs}


# -- relevance --------------------------------------------------------------------------------------------
def run_relevance(args: argparse.Namespace, result: dict[str, Any]) -> None:
    from .httpapi import bench_env, run_step

    catalogue = paths.find_data(paths.AOZORA_CATALOGUE)
    dev = paths.find_data(paths.SEARCH_DEV)
    if catalogue is None or dev is None:
        result["relevance"] = {"skipped": "the Aozora catalogue or data/eval/search_dev.jsonl is missing"}
        return
    # The database is rebuilt when the code that makes keys changes, since the index is kept with it.
    stem = f"aozora-{catalogue.stat().st_size}-{code_fingerprint()}"
    db = paths.bench_dir() / f"{stem}.sqlite3"
    index = paths.bench_dir() / f"{stem}-index"
    for old in paths.bench_dir().glob("aozora-*"):
        if not old.name.startswith(stem):
            shutil.rmtree(old) if old.is_dir() else old.unlink()
    log("relevance: evaluating" + ("" if db.exists() else " (importing the Aozora catalogue first)"))
    outcome = run_step(
        "relevance",
        {"catalogue": str(catalogue), "queries": str(dev), "build": not args.quick},
        bench_env(db, index),
        paths.bench_dir() / "bench.log",
    )
    if outcome.get("skipped"):
        for p in (db, db.with_suffix(".sqlite3-wal"), db.with_suffix(".sqlite3-shm")):
            p.unlink(missing_ok=True)
        shutil.rmtree(index, ignore_errors=True)
    result["relevance"] = outcome


# -- circulation ------------------------------------------------------------------------------------------
def run_circulation(args: argparse.Namespace, result: dict[str, Any]) -> None:
    from . import circulation

    out = circulation.run(
        ops=args.circ_ops,
        clients=args.circ_clients,
        databases=args.circ_databases,
        modes=args.circ_modes,
        log=log,
        log_file=paths.bench_dir() / "bench.log",
    )
    out["ratios_to_bare"] = circulation.ratios(out)
    result["circulation"] = out


# -- targets ----------------------------------------------------------------------------------------------
def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    engines = result.get("engines", {})
    ours = engines.get("toshokan")
    records = result["corpus"]["records"]
    if ours and "latency_1" in ours:
        for name in ("groonga", "groonga-split"):
            g = engines.get(name)
            if g and "latency_1" in g:
                for n in (1, 2):
                    mine, theirs = ours[f"latency_{n}"]["p95_ms"], g[f"latency_{n}"]["p95_ms"]
                    out.append({
                        "name": f"engine p95, {n} client{'s' if n > 1 else ''}, vs {name}",
                        "target": f"≤ {name} p95",
                        "value": f"{mine:.2f} ms vs {theirs:.2f} ms (ratio {mine / theirs:.2f})",
                        "met": mine <= theirs,
                    })  # fmt: skip
        out.append({
            "name": "exact totals", "target": "every query",
            "value": f"{ours['exact']}/{ours['compared']}", "met": ours["exact"] == ours["compared"],
        })  # fmt: skip
    b = result.get("ours_build")
    if b:
        rate = max(b["sequential_rate"], b.get("parallel_rate") or 0)
        out.append({
            "name": "indexing rate", "target": f"≥ {TARGETS['records_per_s']:,} records/s",
            "value": f"{rate:,.0f} records/s", "met": rate >= TARGETS["records_per_s"],
        })  # fmt: skip
        size = report.gib_per_million(b["size_bytes"], records) or 0.0
        out.append({
            "name": "index size", "target": f"≤ {TARGETS['gib_per_million']} GiB per million records",
            "value": f"{size:.3f} GiB per million", "met": size <= TARGETS["gib_per_million"],
        })  # fmt: skip
    h = result.get("http")
    if h and "latency_1" in h:
        p95 = h["latency_1"]["p95_ms"]
        out.append({
            "name": "HTTP p95, 1 client", "target": f"≤ {TARGETS['http_p95_ms']:.0f} ms",
            "value": f"{p95:.2f} ms", "met": p95 <= TARGETS["http_p95_ms"],
        })  # fmt: skip
    if result.get("circulation"):
        from .circulation import targets as circulation_targets

        out += circulation_targets(result["circulation"])
    if result.get("federation", {}).get("modes"):
        from .federation import targets as federation_targets

        out += federation_targets(result["federation"])
    if result.get("iiif", {}).get("images"):
        from .iiif import targets as iiif_targets

        out += iiif_targets(result["iiif"])
    return out


def main(argv: list[str] | None = None) -> dict[str, Any]:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    result: dict[str, Any] = {
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python -m benchmarks " + " ".join(sys.argv[1:] if argv is None else argv),
        "machine": machine(),
        "load_at_start": load(),
        "settings": {"records": args.records, "queries": args.queries, "seed": args.seed, "steps": args.only,
                     "skipped_baselines": sorted(args.skip), "pg_queries": args.pg_queries, "workers": args.workers},
    }  # fmt: skip
    with contextlib.suppress(OSError):
        result["machine"]["groonga"] = (
            subprocess.run(["groonga", "--version"], capture_output=True, text=True, check=False)
            .stdout.split("[")[0]
            .strip()
        )
    corpus = None
    if "search" in args.only or "http" in args.only:
        log(f"corpus: {args.records:,} records, seed {args.seed}")
        gc.disable()
        corpus = generate(args.records, args.seed)
        gc.enable()
        gc.freeze()  # a million tuples never need collecting; keeps GC pauses out of the timings
        log(f"corpus: {'loaded' if corpus.cached else 'generated'} in {corpus.seconds:.1f} s")
        result["corpus"] = {"records": corpus.size, "seed": corpus.seed, "creators": len(corpus.creators),
                            "seconds": round(corpus.seconds, 1), "cached": corpus.cached}  # fmt: skip
    else:
        result["corpus"] = {"records": args.records, "seed": args.seed}
    if corpus is not None and "search" in args.only:
        run_search(corpus, args, result)

    def step(name: str, run: Callable[[], None]) -> None:
        # One step's failure is reported in its place and the others still run.
        try:
            run()
        except Exception as exc:
            result[name] = {"skipped": f"failed: {type(exc).__name__}: {exc}"}
            log(f"{name}: failed: {exc}")

    if corpus is not None and "http" in args.only:
        step("http", lambda: run_http(corpus, args, result))
    if "import" in args.only:
        step("import", lambda: run_import(args, result))
    if "relevance" in args.only:
        step("relevance", lambda: run_relevance(args, result))
    if "circulation" in args.only:
        step("circulation", lambda: run_circulation(args, result))
    if "federation" in args.only:
        from . import federation

        def run_federation() -> None:
            result["federation"] = federation.run(systems=args.fed_systems, repeats=args.fed_repeats, log=log)

        step("federation", run_federation)
    if "ocr" in args.only:
        from . import ocr

        def run_ocr() -> None:
            result["ocr"] = ocr.run(log=log)

        step("ocr", run_ocr)
    if "iiif" in args.only:
        from . import iiif

        def run_iiif() -> None:
            result["iiif"] = iiif.run(
                rounds=5 if not args.quick else 2, seconds=5.0 if not args.quick else 2.0, log=log
            )

        step("iiif", run_iiif)
    for scratch in ("_table", "_truth", "_kinds"):
        result.pop(scratch, None)
    result["targets"] = targets(result)
    result["seconds"] = round(time.monotonic() - _started, 1)
    path = report.write(result, args.results)
    print(report.render(result))
    print(f"\nJSON: {path}")
    return result
