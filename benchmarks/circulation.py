"""Checkouts per second: through the services, through HTTP, and as a bare transaction beside them.

    python -m benchmarks --only circulation [--circ-ops N] [--circ-clients 1,2,4] [--skip pg]

On each database (SQLite, and PostgreSQL unless skipped) the step fills a scratch database once
(benchmarks.dbwork circulation: branches, records, a pool of copies, patrons, a staff API token,
and a search index of those records) and then measures, for 1, 2 and 4 concurrent clients:

bare      what a checkout cannot do without: lock the copy, insert the loan row, update the copy,
          commit (psycopg 3 or sqlite3 directly, on the same tables, as ../shared/FACTS.md
          measured it); the return is the same with a delete.
services  toshokan.circulation.services.checkout / checkin, as the desk, the SIP2 server and the
          API call them — patron looked up by card, rules, calendar, limits, holds, statistics
          event, and the search index following the copy's availability.
http      POST /api/v1/loans and POST /api/v1/returns with a staff Bearer token, against the app
          server as `manage.py serve` runs it (one web process per core).

`services` and `http` run twice when the index is the embedded Tantivy one: with availability
written to the index after every commit (TOSHOKAN_SEARCH_AVAILABILITY_DELAY_S=0, one Tantivy commit
per checkout) and coalesced (the default delay: a background thread commits every change of the
last moments at once; see toshokan.search.availability).

Every client is a process of its own with its own slice of the copy pool and of the patrons. It
warms up on copies of its own, waits for the others, checks out its whole slice (each checkout
timed from the call to its answer), waits again, and returns the slice, so each run ends where it
began and every run sees the same database. Checkouts/s is all checkouts over the wall time of the
checkout phase; p50/p95/p99 are nearest-rank over every checkout of the run.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import multiprocessing
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from . import paths
from .measure import summarise

CARD_PREFIX = "2900"
CARD_SERIAL = 500_000
BRANCH = "central"
WARMUP = 20
MODES = ("bare", "services", "services-coalesced", "http", "http-coalesced")
COALESCE_DELAY_S = "1"  # the product's default (config/settings/base.py)
UNCOALESCED_MIN_OPS = 100
TARGET_PER_S = 200
TARGET_P99_MS = 100.0


def barcode(n: int) -> str:
    return f"9{n:09d}"


def card(n: int) -> str:
    from toshokan.patrons.domain.cards import make_card_number

    return make_card_number(CARD_PREFIX, CARD_SERIAL + n)


def pg_dsn(dbname: str) -> str:
    base = os.environ.get("TOSHOKAN_BENCH_PG", "host=127.0.0.1 port=5432 user=postgres")
    return f"{base} dbname={dbname} connect_timeout=3"


def pg_database() -> str:
    return os.environ.get("TOSHOKAN_BENCH_CIRCULATION_DB", "toshokan_bench_circulation")


def pg_url(dbname: str) -> str:
    """The libpq keywords of TOSHOKAN_BENCH_PG as a postgres:// URL (what Django's settings take)."""
    words = dict(w.split("=", 1) for w in os.environ.get("TOSHOKAN_BENCH_PG", "").split() if "=" in w)
    user = words.get("user", "postgres")
    password = f":{words['password']}" if "password" in words else ""
    host = words.get("host", "127.0.0.1")
    port = words.get("port", "5432")
    return f"postgres://{user}{password}@{host}:{port}/{dbname}"


# -- the databases ----------------------------------------------------------------------------------------


class Database:
    """A scratch database of one kind, with the environment Django and the bare clients read."""

    def __init__(self, kind: str, work: Path) -> None:
        self.kind = kind
        self.work = work
        self.index = work / f"circulation-{kind}-index"
        self.sqlite = work / "circulation.sqlite3"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
            "TOSHOKAN_INDEX_DIR": str(self.index),
            "TOSHOKAN_SEARCH_BACKEND": "tantivy",
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(paths.ROOT), os.environ.get("PYTHONPATH", "")) if p
            ),
        }
        if kind == "postgresql":
            self.env["TOSHOKAN_BENCH_DATABASE_URL"] = pg_url(pg_database())
            self.env.pop("TOSHOKAN_BENCH_DB", None)
        else:
            self.env["TOSHOKAN_BENCH_DB"] = str(self.sqlite)
            self.env.pop("TOSHOKAN_BENCH_DATABASE_URL", None)

    def unavailable(self) -> str | None:
        if self.kind != "postgresql":
            return None
        try:
            import psycopg

            with psycopg.connect(pg_dsn("postgres"), autocommit=True) as conn:
                conn.execute("SELECT 1")
        except Exception as exc:
            return f"PostgreSQL not reachable ({type(exc).__name__}: {exc})"
        return None

    def create(self) -> None:
        self.drop()
        if self.kind == "postgresql":
            import psycopg

            with psycopg.connect(pg_dsn("postgres"), autocommit=True) as admin:
                admin.execute(f"CREATE DATABASE \"{pg_database()}\" ENCODING 'UTF8' TEMPLATE template0")

    def drop(self) -> None:
        shutil.rmtree(self.index, ignore_errors=True)
        if self.kind == "postgresql":
            import psycopg

            with psycopg.connect(pg_dsn("postgres"), autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{pg_database()}" WITH (FORCE)')
        else:
            for p in (self.sqlite, Path(f"{self.sqlite}-wal"), Path(f"{self.sqlite}-shm")):
                p.unlink(missing_ok=True)


# -- the clients -------------------------------------------------------------------------------------------


class Bare:
    """Lock the copy, insert or delete the loan, update the copy, commit — nothing else."""

    def __init__(self, env: dict[str, str], cards: list[str]) -> None:
        self.pg = "TOSHOKAN_BENCH_DATABASE_URL" in env
        if self.pg:
            import psycopg

            self.conn: Any = psycopg.connect(pg_dsn(pg_database()), autocommit=False)
            self.mark = "%s"
        else:
            self.conn = sqlite3.connect(env["TOSHOKAN_BENCH_DB"], isolation_level=None, timeout=10)
            for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=10000"):
                self.conn.execute(f"PRAGMA {pragma}")
            self.mark = "?"
        m = self.mark
        cur = self.conn.cursor()
        cur.execute(f"SELECT id FROM catalog_branch WHERE code = {m}", (BRANCH,))
        self.branch = cur.fetchone()[0]
        self.patrons: dict[str, int] = {}
        for c in cards:
            cur.execute(f"SELECT id FROM patrons_patron WHERE card_number = {m}", (c,))
            self.patrons[c] = cur.fetchone()[0]
        self._end()

    def _begin(self) -> Any:
        cur = self.conn.cursor()
        if not self.pg:
            cur.execute("BEGIN IMMEDIATE")
        return cur

    def _end(self) -> None:
        if self.pg:
            self.conn.commit()
        elif self.conn.in_transaction:
            self.conn.execute("COMMIT")

    def _now(self) -> Any:
        """Now, as Django stores it: timestamptz on PostgreSQL, naive UTC text on SQLite."""
        from datetime import UTC, datetime

        now = datetime.now(UTC)
        return now if self.pg else now.replace(tzinfo=None).isoformat(sep=" ")

    def _lock(self, cur: Any, code: str) -> int:
        m = self.mark
        lock = " FOR UPDATE" if self.pg else ""
        cur.execute(f"SELECT id FROM catalog_holding WHERE barcode = {m}{lock}", (code,))
        return int(cur.fetchone()[0])

    def checkout(self, code: str, patron: str) -> None:
        m = self.mark
        cur = self._begin()
        holding = self._lock(cur, code)
        cur.execute(
            "INSERT INTO circulation_loan (holding_id, patron_id, branch_id, state, checked_out_at, due_on, renewals)"
            f" VALUES ({m}, {m}, {m}, 'active', {m}, {m}, 0)",
            (holding, self.patrons[patron], self.branch, self._now(), _due_text()),
        )
        cur.execute(
            f"UPDATE catalog_holding SET status = 'on_loan', updated_at = {m} WHERE id = {m}",
            (self._now(), holding),
        )
        self._end()

    def checkin(self, code: str) -> None:
        m = self.mark
        cur = self._begin()
        holding = self._lock(cur, code)
        cur.execute(f"DELETE FROM circulation_loan WHERE holding_id = {m}", (holding,))
        cur.execute(
            f"UPDATE catalog_holding SET status = 'available', updated_at = {m} WHERE id = {m}",
            (self._now(), holding),
        )
        self._end()

    def close(self) -> None:
        self.conn.close()


def _due_text() -> str:
    from datetime import date, timedelta

    return (date.today() + timedelta(days=14)).isoformat()


class Services:
    """The circulation services in this process, as the desk and the SIP2 server call them."""

    def __init__(self, env: dict[str, str], cards: list[str]) -> None:
        import django

        django.setup()
        from toshokan.catalog.models import Branch
        from toshokan.circulation import services

        self.services = services
        self.branch = Branch.objects.get(code=BRANCH)

    def checkout(self, code: str, patron: str) -> None:
        self.services.checkout(barcode=code, patron=patron, branch=self.branch)

    def checkin(self, code: str) -> None:
        self.services.checkin(barcode=code, branch=self.branch)

    def close(self) -> None:
        from toshokan.search.availability import flush

        flush()  # what this process coalesced reaches the index before it exits


class Http:
    """POST /api/v1/loans and /api/v1/returns over one keep-alive connection, with a staff token."""

    def __init__(self, env: dict[str, str], cards: list[str]) -> None:
        self.port = int(env["TOSHOKAN_BENCH_PORT"])
        self.headers = {
            "Authorization": f"Bearer {env['TOSHOKAN_BENCH_TOKEN']}",
            "Content-Type": "application/json",
        }
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def _post(self, path: str, body: dict[str, str], expect: int) -> None:
        data = json.dumps(body)
        try:
            self.conn.request("POST", path, data, self.headers)
            response = self.conn.getresponse()
        except (http.client.HTTPException, ConnectionError):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.conn.request("POST", path, data, self.headers)
            response = self.conn.getresponse()
        answer = response.read()
        if response.status != expect:
            raise RuntimeError(f"POST {path}: HTTP {response.status}: {answer[:300]!r}")
        json.loads(answer)

    def checkout(self, code: str, patron: str) -> None:
        self._post("/api/v1/loans", {"barcode": code, "card_number": patron, "branch": BRANCH}, 201)

    def checkin(self, code: str) -> None:
        self._post("/api/v1/returns", {"barcode": code, "branch": BRANCH}, 200)

    def close(self) -> None:
        self.conn.close()


CLIENTS: dict[str, Callable[[dict[str, str], list[str]], Any]] = {
    "bare": Bare,
    "services": Services,
    "http": Http,
}


def _client_process(
    kind: str,
    env: dict[str, str],
    warm: list[tuple[str, str]],
    work: list[tuple[str, str]],
    barrier: Any,
    results: Any,
) -> None:
    try:
        os.environ.update(env)
        client = CLIENTS[kind](env, sorted({c for _, c in warm + work}))
        for code, patron in warm:
            client.checkout(code, patron)
            client.checkin(code)
        phases: dict[str, Any] = {}
        for phase in ("checkout", "return"):
            barrier.wait()
            latencies: list[float] = []
            began = time.perf_counter()
            for code, patron in work:
                t0 = time.perf_counter()
                if phase == "checkout":
                    client.checkout(code, patron)
                else:
                    client.checkin(code)
                latencies.append(time.perf_counter() - t0)
            phases[phase] = {"latencies": latencies, "began": began, "ended": time.perf_counter()}
        client.close()
        results.put(phases)
    except BaseException as exc:
        barrier.abort()
        results.put({"error": f"{type(exc).__name__}: {exc}"})
        raise


def measure(kind: str, env: dict[str, str], clients: int, ops: int, max_clients: int) -> dict[str, Any]:
    """One run: `clients` processes checking out, then returning, `ops` copies between them."""
    warm_base = WARMUP * max_clients
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(clients)
    results = ctx.Queue()
    procs = []
    per = ops // clients
    for k in range(clients):
        # Client k lends copies k, k + clients, … to patrons of its own, five copies each; its
        # warm-up copies and patron come first in the pool.
        work = [
            (barcode(warm_base + k + clients * i), card(max_clients + (k * per + i) // 5)) for i in range(per)
        ]
        warm = [(barcode(k * WARMUP + i), card(k)) for i in range(WARMUP)]
        procs.append(
            ctx.Process(target=_client_process, args=(kind, env, warm, work, barrier, results), daemon=True)
        )
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=3600) for _ in procs]
    for p in procs:
        p.join(timeout=60)
    errors = [o["error"] for o in outcomes if "error" in o]
    if errors:
        raise RuntimeError("; ".join(sorted(set(errors))))
    out: dict[str, Any] = {"clients": clients, "ops": per * clients}
    for phase in ("checkout", "return"):
        latencies = [x for o in outcomes for x in o[phase]["latencies"]]
        wall = max(o[phase]["ended"] for o in outcomes) - min(o[phase]["began"] for o in outcomes)
        out[phase] = {**summarise(latencies), "per_s": round(len(latencies) / wall, 1) if wall > 0 else None}
    return out


# -- the app server ---------------------------------------------------------------------------------------


@contextlib.contextmanager
def app_server(env: dict[str, str], log: Path) -> Iterator[int]:
    import subprocess

    from .engines.groonga import free_port
    from .httpapi import server_command

    port = free_port()
    command = server_command(port)
    with open(log, "a") as out:
        proc = subprocess.Popen(command, env=env, cwd=paths.ROOT, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the app server exited with code {proc.returncode}; see {log}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                conn.request("GET", "/api/v1/health")
                response = conn.getresponse()
                response.read()
                conn.close()
                if response.status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the app server did not answer /api/v1/health within 120 s; see {log}")
            time.sleep(0.2)
        yield port
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


# -- the step ---------------------------------------------------------------------------------------------


def run(
    *,
    ops: int,
    clients: list[int],
    databases: list[str],
    modes: list[str],
    log: Callable[[str], None],
    log_file: Path,
    records: int = 5000,
) -> dict[str, Any]:
    from .httpapi import run_step

    work = paths.bench_dir()
    copies = WARMUP * max(clients) + ops
    patrons = max(clients) + ops // 5 + 1
    out: dict[str, Any] = {
        "ops": ops,
        "clients": clients,
        "records": records,
        "copies": copies,
        "databases": {},
    }
    for kind in databases:
        db = Database(kind, work)
        entry: dict[str, Any] = {}
        out["databases"][kind] = entry
        out.setdefault("load", {})[kind] = [round(x, 2) for x in os.getloadavg()]
        reason = db.unavailable()
        if reason:
            entry["skipped"] = reason
            log(f"circulation {kind}: skipped ({reason})")
            continue
        try:
            db.create()
            log(f"circulation {kind}: filling ({records:,} records, {copies:,} copies)")
            entry["setup"] = run_step(
                "circulation",
                {"records": records, "copies": copies, "patrons": patrons, "card_serial": CARD_SERIAL},
                db.env,
                log_file,
            )
            token = entry["setup"].get("token")
            for mode in modes:
                kind_of_client = mode.split("-")[0]
                delay = COALESCE_DELAY_S if mode.endswith("-coalesced") or mode == "bare" else "0"
                env = {**db.env, "TOSHOKAN_SEARCH_AVAILABILITY_DELAY_S": delay}
                runs: list[dict[str, Any]] = []
                entry[mode] = runs
                try:
                    # One index commit per checkout is slow: those paths lend a quarter as many.
                    n_ops = ops if delay != "0" else min(ops, max(UNCOALESCED_MIN_OPS, ops // 4))
                    if kind_of_client == "http":
                        if not token:
                            raise RuntimeError("no staff API token (toshokan.core.tokens is missing)")
                        env["TOSHOKAN_BENCH_TOKEN"] = token
                        with app_server(env, log_file) as port:
                            env["TOSHOKAN_BENCH_PORT"] = str(port)
                            for n in clients:
                                runs.append(
                                    _one(kind, mode, kind_of_client, env, n, n_ops, max(clients), log)
                                )
                    else:
                        for n in clients:
                            runs.append(_one(kind, mode, kind_of_client, env, n, n_ops, max(clients), log))
                except Exception as exc:
                    entry[mode] = {"skipped": f"failed: {type(exc).__name__}: {exc}"}
                    log(f"circulation {kind} {mode}: failed: {exc}")
        finally:
            db.drop()
    return out


def _one(
    kind: str,
    mode: str,
    client: str,
    env: dict[str, str],
    n: int,
    ops: int,
    max_clients: int,
    log: Callable[[str], None],
) -> dict[str, Any]:
    result = measure(client, env, n, ops, max_clients)
    c = result["checkout"]
    log(
        f"circulation {kind} {mode}, {n} client{'s' if n > 1 else ''}: {c['per_s']:,.0f} checkouts/s,"
        f" p50 {c['p50_ms']:.1f} / p95 {c['p95_ms']:.1f} / p99 {c['p99_ms']:.1f} ms;"
        f" {result['return']['per_s']:,.0f} returns/s"
    )
    return result


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    """≥ 200 checkouts/s with p99 < 100 ms on PostgreSQL, through the services and through HTTP."""
    out: list[dict[str, Any]] = []
    pg = result.get("databases", {}).get("postgresql") or {}
    for mode in ("services-coalesced", "http-coalesced", "services", "http"):
        runs = pg.get(mode)
        if not isinstance(runs, list) or not runs:
            continue
        best = max(
            runs, key=lambda r: r["checkout"]["per_s"] if r["checkout"]["p99_ms"] < TARGET_P99_MS else 0
        )
        c = best["checkout"]
        out.append({
            "name": f"PostgreSQL checkouts, {mode}",
            "target": f"≥ {TARGET_PER_S} checkouts/s with p99 < {TARGET_P99_MS:.0f} ms",
            "value": f"{c['per_s']:,.0f}/s, p99 {c['p99_ms']:.1f} ms ({best['clients']} client{'s' if best['clients'] > 1 else ''})",
            "met": c["per_s"] >= TARGET_PER_S and c["p99_ms"] < TARGET_P99_MS,
        })  # fmt: skip
    return out


def ratios(result: dict[str, Any]) -> dict[str, dict[str, dict[int, float]]]:
    """Checkouts/s of each mode over the bare transaction's, per database and client count."""
    out: dict[str, dict[str, dict[int, float]]] = {}
    for kind, entry in result.get("databases", {}).items():
        bare = {
            r["clients"]: r["checkout"]["per_s"]
            for r in entry.get("bare", [])
            if isinstance(entry.get("bare"), list)
        }
        for mode, runs in entry.items():
            if mode in ("bare", "setup", "skipped") or not isinstance(runs, list):
                continue
            out.setdefault(kind, {})[mode] = {
                r["clients"]: round(r["checkout"]["per_s"] / bare[r["clients"]], 3)
                for r in runs
                if bare.get(r["clients"])
            }
    return out
