"""Query latency with one client and with several at once, each client in a process of its own.

Every engine is measured the same way: a client process connects (opens the index, or a
connection to the server), runs a short warm-up, waits until every client is ready, and then times
each query from the call to the parsed answer (top 20 and the total). With one client the whole
query set runs once, in order; with two, both clients run the whole set at the same time from
different starting points, and throughput is the number of queries answered over the wall time.
Separate processes keep one client's Python from waiting on the other's (the GIL), and keep the
benchmark's own large heap (the corpus) out of the timed process.
"""

from __future__ import annotations

import math
import multiprocessing
import time
from collections.abc import Callable
from typing import Any, Protocol


class Client(Protocol):
    def search(self, q: str) -> tuple[int, list[int]]:
        """(exact total, ids of the top 20)."""

    def close(self) -> None: ...


class Connectable(Protocol):
    def connect(self) -> Client: ...


def percentile(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def summarise(latencies_s: list[float]) -> dict[str, float]:
    ms = sorted(x * 1000 for x in latencies_s)
    return {
        "p50_ms": round(percentile(ms, 50), 3),
        "p95_ms": round(percentile(ms, 95), 3),
        "p99_ms": round(percentile(ms, 99), 3),
        "mean_ms": round(sum(ms) / len(ms), 3) if ms else float("nan"),
        "max_ms": round(ms[-1], 3) if ms else float("nan"),
    }


def _client_process(
    engine: Connectable,
    queries: list[str],
    start: int,
    warmup: int,
    ready: Any,
    go: Any,
    results: Any,
) -> None:
    try:
        client = engine.connect()
        for q in queries[start : start + warmup] or queries[:warmup]:
            client.search(q)
        ready.release()
        go.wait()
        latencies: list[float] = []
        totals: list[int] = []
        n = len(queries)
        began = time.perf_counter()
        for i in range(n):
            q = queries[(start + i) % n]
            t0 = time.perf_counter()
            total, _ = client.search(q)
            latencies.append(time.perf_counter() - t0)
            totals.append(total)
        ended = time.perf_counter()
        client.close()
        results.put(
            {"start": start, "latencies": latencies, "totals": totals, "began": began, "ended": ended}
        )
    except BaseException as exc:
        ready.release()
        results.put({"error": f"{type(exc).__name__}: {exc}"})
        raise


def run(engine: Connectable, queries: list[str], *, clients: int = 1, warmup: int = 50) -> dict[str, Any]:
    """Latency figures for `clients` concurrent clients, and (for one client) each query's total."""
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Semaphore(0)
    go = ctx.Event()
    results = ctx.Queue()
    n = len(queries)
    procs = [
        ctx.Process(
            target=_client_process,
            args=(engine, queries, (k * n) // clients, min(warmup, n), ready, go, results),
            daemon=True,
        )
        for k in range(clients)
    ]
    for p in procs:
        p.start()
    for _ in procs:
        ready.acquire()
    go.set()
    outcomes = [results.get() for _ in procs]
    for p in procs:
        p.join()
    errors = [o["error"] for o in outcomes if "error" in o]
    if errors:
        raise RuntimeError("; ".join(errors))
    latencies = [x for o in outcomes for x in o["latencies"]]
    wall = max(o["ended"] for o in outcomes) - min(o["began"] for o in outcomes)
    out: dict[str, Any] = {"clients": clients, "queries": len(latencies), **summarise(latencies)}
    out["qps"] = round(len(latencies) / wall, 1) if wall > 0 else float("nan")
    first = min(outcomes, key=lambda o: o["start"])
    if first["start"] == 0:
        out["totals"] = first["totals"]
        out["latencies_s"] = first["latencies"]
    return out


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t0 = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - t0
