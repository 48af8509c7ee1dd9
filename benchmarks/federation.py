"""Live availability at national scale: one check of 10 ISBNs across 1,000 simulated library systems.

    python -m benchmarks --only federation [--fed-systems 1000] [--fed-repeats 3]

The systems are real sockets on loopback, one listening port each (so the engine's per-host cap
applies to each as it would to 1,000 OPACs), served by one separate process: each system has its
own latency drawn from a log-normal distribution with a median of 300 ms (σ = 0.5), measured
from the request's arrival to its answer; 2% never answer. They answer as another toshokan's
availability API does (the `toshokan` connector).

Measured, in a fresh client process per mode after one warm-up check (medians of the repeats):
- time to the first answer, and to the last answer of a system that answers;
- that last time against the slowest answering system's own latency (the ratio; aim ≤ 1.2: the
  fan-out adds at most a fifth to the slowest library's own time), and when the check returned
  (bounded by the deadline and the systems' timeouts);
- CPU seconds of the checking process per check, its peak RSS during the check (Django and the
  engine loaded) and how much the check raised it above the RSS before it (+ MiB; after the warm-up
  a check reuses the memory the first one took, so the first check's figure is shown too).
Modes: `toshokan` is engine.check_sync (as the task workers run it: uvloop's event loop when
installed) with every limit on (per-host cap, connection cap, size cap, breakers, deadline);
`toshokan-asyncio` the same engine.check on asyncio's own loop; `baseline` a bare asyncio +
aiohttp gather of the same requests with only the deadline — what the limits cost.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import resource
import statistics
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parent.parent
MEDIAN_S, SIGMA, NEVER = 0.300, 0.5, 0.02
TARGET_RATIO = 1.2
# Real ISBN-13s (check digits right), so the engine sends every one.
ISBNS = [
    "9784003101018", "9784101010137", "9784480020130", "9784061311138", "9784041001011",
    "9784167110017", "9784062748681", "9784309410012", "9784122000018", "9784087520019",
]  # fmt: skip


def registry_deadline() -> float:
    """The check deadline of the shipped registry (data/libraries/demo.toml), as a deployment would use."""
    path = ROOT / "data" / "libraries" / "demo.toml"
    try:
        return float(tomllib.loads(path.read_text())["check"]["deadline_s"])
    except (OSError, KeyError, ValueError):
        return 10.0


def plan(systems: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    out = []
    for n in range(systems):
        latency = math.exp(rng.gauss(math.log(MEDIAN_S), SIGMA))
        out.append({"n": n, "latency_s": round(latency, 4), "hang": rng.random() < NEVER})
    return out


# -- the simulated systems (a separate process) -----------------------------------------------------------
class _System(asyncio.Protocol):
    def __init__(self, latency_s: float, hang: bool, n: int) -> None:
        self.latency_s, self.hang, self.n = latency_s, hang, n
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if b"\r\n\r\n" not in self.buffer or self.hang:
            return
        target = self.buffer.split(b"\r\n", 1)[0].split(b" ")[1].decode()
        self.buffer = b""
        isbns = [i for v in parse_qs(urlsplit(target).query).get("isbn", []) for i in v.split(",") if i]
        # Each system holds a different few of the ISBNs, at one or two branches.
        answer = {
            i: {
                "libkeys": ({"中央": "貸出可", "分館": "貸出中"} if (self.n + k) % 3 == 0 else {}),
                "reserveurl": "",
            }
            for k, i in enumerate(isbns)
        }
        body = json.dumps({"isbns": answer}, ensure_ascii=False).encode()
        head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        asyncio.get_running_loop().call_later(self.latency_s, self._send, head.encode() + body)

    def _send(self, payload: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(payload)


async def _serve(systems: list[dict[str, Any]]) -> None:
    loop = asyncio.get_running_loop()
    ports = []
    for s in systems:

        def factory(s: dict[str, Any] = s) -> _System:
            return _System(s["latency_s"], s["hang"], s["n"])

        server = await loop.create_server(factory, "127.0.0.1", 0, backlog=64)
        ports.append(server.sockets[0].getsockname()[1])
    print(json.dumps({"ports": ports}), flush=True)
    await asyncio.Event().wait()


# -- the checking process ---------------------------------------------------------------------------------
def _peak_rss_reset() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM (Linux)


def _peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


async def _baseline(
    ports: list[int], isbns: list[str], deadline_s: float, arrived: Callable[[int], None]
) -> None:
    import aiohttp

    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:

        async def one(n: int, port: int) -> None:
            url = f"http://127.0.0.1:{port}/api/v1/federation/availability"
            async with session.get(url, params={"isbn": ",".join(isbns)}) as response:
                await response.json()
            arrived(n)

        tasks = [asyncio.ensure_future(one(n, p)) for n, p in enumerate(ports)]
        _, pending = await asyncio.wait(tasks, timeout=deadline_s)
        for task in pending:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _one_check(mode: str, ports: list[int], isbns: list[str], deadline_s: float) -> dict[str, Any]:
    from toshokan.federation import engine
    from toshokan.federation.domain.availability import SystemStatus
    from toshokan.federation.domain.registry import BranchSpec, Connector, SystemSpec

    first: dict[int, float] = {}
    started = time.perf_counter()

    def arrived(n: int) -> None:
        first.setdefault(n, time.perf_counter() - started)

    _peak_rss_reset()
    rss_before = _peak_rss_mib()
    cpu = _cpu()
    started = time.perf_counter()
    if mode.startswith("toshokan"):
        branches = (BranchSpec(libkey="中央", formal="中央"), BranchSpec(libkey="分館", formal="分館"))
        systems = [
            SystemSpec(systemid=f"Sim_{n}", name=f"Sim {n}", connector=Connector.TOSHOKAN,
                       endpoint=f"http://127.0.0.1:{p}", branches=branches)
            for n, p in enumerate(ports)
        ]  # fmt: skip
        index = {s.systemid: n for n, s in enumerate(systems)}

        def on_answer(systemid: str, isbn: str, answer: Any) -> None:
            if answer.status is SystemStatus.OK:
                arrived(index[systemid])

        if mode == "toshokan":
            engine.check_sync(
                isbns, systems, deadline_s=deadline_s, on_answer=on_answer, breakers=engine.Breakers()
            )
        else:
            asyncio.run(
                engine.check(
                    isbns, systems, deadline_s=deadline_s, on_answer=on_answer, breakers=engine.Breakers()
                )
            )
    else:
        asyncio.run(_baseline(ports, isbns, deadline_s, arrived))
    returned = time.perf_counter() - started
    return {
        "answered": len(first),
        "first_s": min(first.values(), default=math.nan),
        "last_s": max(first.values(), default=math.nan),
        "returned_s": returned,
        "cpu_s": _cpu() - cpu,
        "peak_rss_mib": _peak_rss_mib(),
        "rss_before_mib": rss_before,
        "answered_ids": sorted(first),
    }


def client_main(config: dict[str, Any]) -> dict[str, Any]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    runs = [_one_check(config["mode"], config["ports"], config["isbns"], config["deadline_s"])
            for _ in range(config["repeats"] + 1)]  # fmt: skip
    # The first check of a process pays for imports and has no history of the systems' latencies.
    return {"first": runs[0], "runs": runs[1:]}


# -- the step ---------------------------------------------------------------------------------------------
def _median(runs: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(r[key] for r in runs))


def run(
    *, systems: int = 1000, isbns: int = 10, repeats: int = 3, seed: int = 1,
    log: Callable[[str], None] = print, modes: tuple[str, ...] = ("toshokan", "toshokan-asyncio", "baseline"),
) -> dict[str, Any]:  # fmt: skip
    deadline_s = registry_deadline()
    layout = plan(systems, seed)
    answering = [s for s in layout if not s["hang"]]
    slowest = max(s["latency_s"] for s in answering)
    out: dict[str, Any] = {
        "systems": systems, "isbns": isbns, "deadline_s": deadline_s, "never_answer": systems - len(answering),
        "latency": {"median_ms": MEDIAN_S * 1000, "sigma": SIGMA, "slowest_answering_s": slowest},
        "repeats": repeats, "modes": {},
    }  # fmt: skip
    log(f"federation: starting {systems:,} simulated systems ({out['never_answer']} never answer)")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.federation", "serve"], cwd=ROOT, env=env,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert server.stdin is not None and server.stdout is not None
        server.stdin.write(json.dumps(layout))
        server.stdin.close()
        ports = json.loads(server.stdout.readline())["ports"]
        for mode in modes:
            log(f"federation: {mode}: {repeats} checks of {isbns} ISBNs × {systems:,} systems (+1 warm-up)")
            config = {"mode": mode, "ports": ports, "isbns": ISBNS[:isbns], "deadline_s": deadline_s,
                      "repeats": repeats}  # fmt: skip
            done = subprocess.run(
                [sys.executable, "-m", "benchmarks.federation", "client"], cwd=ROOT, env=env,
                input=json.dumps(config), capture_output=True, text=True, check=True, timeout=600,
            )  # fmt: skip
            measured = json.loads(done.stdout)
            runs = measured["runs"]
            expected = {s["n"] for s in answering}
            entry = {
                k: round(_median(runs, k), 3)
                for k in ("first_s", "last_s", "returned_s", "cpu_s", "peak_rss_mib")
            }
            entry["check_rss_mib"] = round(
                statistics.median(r["peak_rss_mib"] - r["rss_before_mib"] for r in runs), 1
            )
            entry["answered"] = int(_median(runs, "answered"))
            entry["all_answering_in"] = all(set(r["answered_ids"]) == expected for r in runs)
            entry["ratio_last_to_slowest"] = round(entry["last_s"] / slowest, 3)
            entry["runs"] = [{k: v for k, v in r.items() if k != "answered_ids"} for r in runs]
            first = measured["first"]
            entry["first_check"] = {
                k: round(first[k], 3) for k in ("first_s", "last_s", "returned_s", "cpu_s")
            }
            entry["first_check"]["ratio_last_to_slowest"] = round(first["last_s"] / slowest, 3)
            entry["first_check"]["check_rss_mib"] = round(first["peak_rss_mib"] - first["rss_before_mib"], 1)
            out["modes"][mode] = entry
            log(
                f"federation: {mode}: first {entry['first_s']:.2f} s, last {entry['last_s']:.2f} s "
                f"(slowest system {slowest:.2f} s, ratio {entry['ratio_last_to_slowest']:.2f}), returned "
                f"{entry['returned_s']:.2f} s, {entry['answered']} answered, CPU {entry['cpu_s']:.2f} s"
            )
    finally:
        server.terminate()
        server.wait(10)
    return out


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    ours = result.get("modes", {}).get("toshokan")
    if not ours:
        return []
    base = result["modes"].get("baseline", {})
    ratio = ours["ratio_last_to_slowest"]
    against = f"; baseline {base['ratio_last_to_slowest']:.2f}" if base else ""
    return [
        {
            "name": f"availability, last answer vs the slowest system's own latency ({result['systems']:,} systems)",
            "target": f"≤ {TARGET_RATIO}×",
            "value": f"{ours['last_s']:.2f} s vs {result['latency']['slowest_answering_s']:.2f} s "
            f"(ratio {ratio:.2f}{against})",
            "met": ratio <= TARGET_RATIO,
        },
        {
            "name": "availability, every answering system in, check returned by the deadline",
            "target": f"all, ≤ {result['deadline_s']:g} s",
            "value": f"{ours['answered']} of {result['systems'] - result['never_answer']}, returned at "
            f"{ours['returned_s']:.2f} s",
            "met": bool(ours["all_answering_in"]) and ours["returned_s"] <= result["deadline_s"] + 0.5,
        },
    ]


def render(result: dict[str, Any]) -> str:
    if result.get("skipped"):
        return f"Availability fan-out: skipped: {result['skipped']}"
    lines = [
        f"Availability fan-out: {result['isbns']} ISBNs × {result['systems']:,} simulated systems on loopback "
        f"(log-normal latency, median {result['latency']['median_ms']:.0f} ms, σ {result['latency']['sigma']}; "
        f"{result['never_answer']} never answer; deadline {result['deadline_s']:g} s; medians of {result['repeats']}):",
        f"  {'mode':16s} {'answered':>8s} {'first s':>8s} {'last s':>7s} {'× slowest':>9s} {'returned s':>10s}"
        f" {'CPU s':>6s} {'peak MiB':>8s} {'+ MiB':>6s}",
    ]
    for mode, e in result["modes"].items():
        lines.append(
            f"  {mode:16s} {e['answered']:>8d} {e['first_s']:>8.2f} {e['last_s']:>7.2f} "
            f"{e['ratio_last_to_slowest']:>9.2f} {e['returned_s']:>10.2f} {e['cpu_s']:>6.2f} {e['peak_rss_mib']:>8.0f} {e.get('check_rss_mib', 0):>6.1f}"
        )
    lines.append(
        f"  slowest answering system's own latency: {result['latency']['slowest_answering_s']:.2f} s"
    )
    lines.append("  the first check of each process (imports, no latency history yet):")
    for mode, e in result["modes"].items():
        f = e.get("first_check")
        if f:
            lines.append(
                f"  {mode:16s} first {f['first_s']:.2f} s, last {f['last_s']:.2f} s "
                f"(× {f['ratio_last_to_slowest']:.2f}), CPU {f['cpu_s']:.2f} s, "
                f"+{f.get('check_rss_mib', 0):.1f} MiB over the process before it"
            )
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.federation")
    parser.add_argument("role", choices=["serve", "client", "run"])
    parser.add_argument("--systems", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    if args.role == "serve":
        asyncio.run(_serve(json.loads(sys.stdin.read())))
    elif args.role == "client":
        print(json.dumps(client_main(json.loads(sys.stdin.read()))))
    else:
        result = run(systems=args.systems, repeats=args.repeats, log=lambda m: print(m, file=sys.stderr))
        print(render(result))


if __name__ == "__main__":
    main(sys.argv[1:])
