"""What a check session adds to the engine: 10 ISBNs × 1,000 simulated systems through `/calil/check`'s
sessions (the in-process runner and the "federation" cache), polled as a client polls.

    .venv/bin/python -m toshokan.federation.tests.scale.measure_sessions [--poll-s 0.2] [--runs 3]
        [--redis redis://127.0.0.1:6379/7] [--answer-cache]

The simulated systems are benchmarks/federation.py's (one loopback port each, log-normal latency
around 300 ms, 2% never answer), so the figures sit beside `make bench`'s engine-only ones. Printed
per check: when the first and the last answering system became visible to the poller, that last time
against the slowest system's own latency, when `continue` became 0, the CPU seconds of the runner
(engine and session writes) and of the polling (a poll reads and renders every answer so far), and
the size of the last poll's JSON. Without `--answer-cache` the engine's answer cache is off, so every
check asks every system (and the file cache's per-write directory listing is not measured with it).
Not a test: it prints figures; docs/calil-api.md quotes them.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--poll-s", type=float, default=0.2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--redis", default="", help="Redis URL for the federation cache (default: files)")
    parser.add_argument("--answer-cache", action="store_true", help="keep the engine's answer cache on")
    args = parser.parse_args(argv)

    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    os.environ["TOSHOKAN_VAR_DIR"] = tempfile.mkdtemp(prefix="toshokan-sessions-")
    if args.redis:
        os.environ["TOSHOKAN_REDIS_URL"] = args.redis
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    # The benchmark's simulated systems (benchmarks/ is a tool beside the package, not part of it).
    simulated = importlib.import_module("benchmarks.federation")
    from toshokan.catalog.domain.identifiers import InvalidIdentifier, normalize_isbn
    from toshokan.federation import checks
    from toshokan.federation.calil.check import payload
    from toshokan.federation.domain.availability import SystemStatus
    from toshokan.federation.domain.registry import BranchSpec, CheckSettings, Connector, Registry, SystemSpec

    if not args.answer_cache:
        checks._answer_cache = lambda: None

    def valid(isbn: str) -> bool:
        try:
            normalize_isbn(isbn)
        except InvalidIdentifier:
            return False
        return True

    isbns = [i for i in simulated.ISBNS if valid(i)]
    isbns += ["9784003101117"] * (10 - len(isbns))  # keep ten (the simulated list has a bad check digit)
    layout = simulated.plan(1000, 1)
    answering = [s for s in layout if not s["hang"]]
    slowest = max(s["latency_s"] for s in answering)
    server = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.federation", "serve"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdin is not None and server.stdout is not None
    server.stdin.write(json.dumps(layout))
    server.stdin.close()
    ports = json.loads(server.stdout.readline())["ports"]
    branches = (BranchSpec(libkey="中央", formal="中央"), BranchSpec(libkey="分館", formal="分館"))
    systems = tuple(
        SystemSpec(
            systemid=f"Sim_{n}",
            name=f"Sim {n}",
            connector=Connector.TOSHOKAN,
            endpoint=f"http://127.0.0.1:{p}",
            branches=branches,
        )
        for n, p in enumerate(ports)
    )
    registry = Registry(check=CheckSettings(deadline_s=simulated.registry_deadline()), systems=systems)
    ids = [s.systemid for s in systems]
    print(
        f"10 ISBNs × {len(systems)} systems ({len(systems) - len(answering)} never answer; slowest answering "
        f"{slowest:.2f} s); cache: {'Redis' if args.redis else 'files'}; answer cache "
        f"{'on' if args.answer_cache else 'off'}; polling every {args.poll_s:g} s"
    )
    try:
        for run in range(args.runs):
            cpu, polling, started = time.process_time(), time.thread_time(), time.perf_counter()
            session = checks.start(list(dict.fromkeys(isbns)), ids, registry=registry)
            seen: dict[str, float] = {}
            body = b""
            while True:
                state = checks.poll(session)
                assert state is not None
                now = time.perf_counter() - started
                for per_system in state.books.values():
                    for systemid, answer in per_system.items():
                        if answer.status in (SystemStatus.OK, SystemStatus.CACHE):
                            seen.setdefault(systemid, now)
                body = json.dumps(payload(state), ensure_ascii=False).encode()
                if not state.running:
                    break
                time.sleep(args.poll_s)
            done = time.perf_counter() - started
            polling = time.thread_time() - polling
            runner = time.process_time() - cpu - polling
            last = max(seen.values())
            print(
                f"check {run + 1}: {len(seen)}/{len(answering)} answering systems seen; first "
                f"{min(seen.values()):.2f} s, last {last:.2f} s (×{last / slowest:.2f} the slowest); "
                f"continue=0 at {done:.2f} s; CPU: runner {runner:.2f} s, polling {polling:.2f} s; "
                f"last poll {len(body) / 1e6:.2f} MB",
                flush=True,
            )
            checks.drain(timeout_s=120)
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main(sys.argv[1:])
