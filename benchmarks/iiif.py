"""IIIF tiles: latency and throughput of /iiif/3 against the same bytes served as static files.

    python -m benchmarks --only iiif [--iiif-rounds 5] [--iiif-seconds 5]

Two images are ingested through `manage.py ingest_images` into a scratch database and archive
directory under var/bench/iiif/: a 1600 × 1200 NDL page (data/archive/page_images) and a generated
10,000 × 8,000 scan (paper tone, strokes and grain; cached as a JPEG). Then two servers are started,
the same way and with the same number of uvicorn workers:
- toshokan's web process (uvicorn on config.asgi, as `manage.py serve` runs it) answering IIIF URLs;
- a static file server: a minimal ASGI app in this module that reads the requested file from the
  pyramid directory and sends it — the same bytes, with no Django, no database and no IIIF parsing.

Per image, on each server:
- cold: a freshly started server, the first request of every tile of the grid info.json announces
  (every scale factor), each once (the files are in the OS page cache: they were just written);
- warm: every tile again, `rounds` times in shuffled order, one client on a keep-alive connection;
- tiles/s with two client processes requesting the tiles in a loop for `seconds` seconds;
- IIIF only, computed: regions off the grid at sizes a viewer asks for (`!512,512`, `pct:`), which are
  made from the nearest pyramid level.
Latencies are client-side (request sent → body read), p50 and p95. The target is warm p95 ≤ 3× static.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import math
import multiprocessing
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.utils.text import slugify

from . import paths
from .engines.groonga import free_port

TARGET_RATIO = 3.0
PAGE = paths.ROOT / "data" / "archive" / "page_images" / "3508165_sanpo_shojo" / "3508165_8.jpg"
SCAN_SIZE = (10_000, 8_000)


# ---------------------------------------------------------------------------- the static file server
async def app(scope: dict[str, Any], receive: Callable[..., Any], send: Callable[..., Any]) -> None:
    """ASGI: GET /<path> → the file under $TOSHOKAN_BENCH_STATIC_ROOT, read from disk each time."""
    if scope["type"] != "http":
        return
    root = Path(os.environ["TOSHOKAN_BENCH_STATIC_ROOT"]).resolve()
    path = (root / scope["path"].lstrip("/")).resolve()
    if root in path.parents and path.is_file():
        body = path.read_bytes()
        status, headers = (
            200,
            [(b"content-type", b"image/jpeg"), (b"content-length", str(len(body)).encode())],
        )
    else:
        body, status, headers = b"not found", 404, [(b"content-type", b"text/plain")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


# ---------------------------------------------------------------------------- set-up
def make_scan(path: Path) -> Path:
    """A 10,000 × 8,000 'scan': paper tone, dark strokes and grain, so JPEG has real work to do."""
    if path.exists():
        return path
    from PIL import Image, ImageDraw, ImageFilter

    rng = random.Random(6)
    small = Image.new("RGB", (SCAN_SIZE[0] // 4, SCAN_SIZE[1] // 4), (226, 214, 188))
    draw = ImageDraw.Draw(small)
    for _ in range(2500):
        x, y = rng.randrange(small.width), rng.randrange(small.height)
        tone = rng.randrange(20, 90)
        draw.line(
            [(x, y), (x + rng.randrange(-6, 7), y + rng.randrange(8, 60))],
            fill=(tone, tone - 5, tone - 10),
            width=rng.randrange(1, 4),
        )
    scan = small.resize(SCAN_SIZE, Image.Resampling.BICUBIC).filter(ImageFilter.GaussianBlur(1))
    grain = Image.effect_noise(SCAN_SIZE, 12).convert("RGB")
    scan = Image.blend(scan, grain, 0.08)
    path.parent.mkdir(parents=True, exist_ok=True)
    scan.save(path, "JPEG", quality=88)
    return path


def env(work: Path, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        **extra,
        "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        "TOSHOKAN_BENCH_DB": str(work / "db.sqlite3"),
        "TOSHOKAN_INDEX_DIR": str(work / "index"),
        "TOSHOKAN_ARCHIVE_DIR": str(work / "archive"),
        "TOSHOKAN_BENCH_STATIC_ROOT": str(work / "archive"),
        "PYTHONPATH": os.pathsep.join(p for p in (str(paths.ROOT), os.environ.get("PYTHONPATH", "")) if p),
    }


def manage(work: Path, *args: str, log: Path) -> float:
    started = time.monotonic()
    with open(log, "a") as out:
        subprocess.run(
            [sys.executable, str(paths.ROOT / "manage.py"), *args], env=env(work), cwd=paths.ROOT,
            stdout=out, stderr=out, check=True,
        )  # fmt: skip
    return time.monotonic() - started


def image_facts(work: Path, identifier: str) -> dict[str, Any]:
    code = (
        "import json; from toshokan.archive.models import ArchiveImage as A; "
        f"i = A.objects.get(identifier={identifier!r}); "
        "print(json.dumps({'w': i.width, 'h': i.height, 'tile': i.tile_size, 's': i.scale_factors, 'p': i.pyramid_path}))"
    )
    out = subprocess.run(
        [sys.executable, str(paths.ROOT / "manage.py"), "shell", "-c", code], env=env(work), cwd=paths.ROOT,
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(out.stdout.strip().splitlines()[-1])


def tile_urls(identifier: str, facts: dict[str, Any]) -> list[tuple[str, str]]:
    """(IIIF URL, static URL) of every tile of the grid, as OpenSeadragon and Mirador ask for them."""
    w, h, t = facts["w"], facts["h"], facts["tile"]
    pairs = []
    for s in facts["s"]:
        span = t * s
        for row in range(math.ceil(h / span)):
            for col in range(math.ceil(w / span)):
                x, y = col * span, row * span
                rw, rh = min(span, w - x), min(span, h - y)
                iiif = f"/iiif/3/{identifier}/{x},{y},{rw},{rh}/{math.ceil(rw / s)},/0/default.jpg"
                pairs.append((iiif, f"/{facts['p']}/{s}/{col}_{row}.jpg"))
    return pairs


def computed_urls(identifier: str, facts: dict[str, Any], n: int, rng: random.Random) -> list[str]:
    w, h = facts["w"], facts["h"]
    urls = []
    for i in range(n):
        rw, rh = rng.randrange(512, min(w, 4000)), rng.randrange(512, min(h, 4000))
        x, y = rng.randrange(0, w - rw), rng.randrange(0, h - rh)
        size = "!512,512" if i % 2 else f"pct:{rng.choice([10, 25, 50])}"
        urls.append(f"/iiif/3/{identifier}/{x},{y},{rw},{rh}/{size}/0/default.jpg")
    return urls


# ---------------------------------------------------------------------------- servers and clients
class Server:
    def __init__(self, target: str, work: Path, workers: int, log: Path, ready: str, **extra: str) -> None:
        self.port = free_port()
        command = [sys.executable, "-m", "uvicorn", target, "--host", "127.0.0.1", "--port", str(self.port),
                   "--no-access-log", "--workers", str(workers)]  # fmt: skip
        with open(log, "a") as out:
            self.proc = subprocess.Popen(
                command, env=env(work, **extra), cwd=paths.ROOT, stdout=out, stderr=out
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{target} exited with code {self.proc.returncode}; see {log}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                conn.request("GET", ready)
                response = conn.getresponse()
                response.read()
                conn.close()
                if response.status == 200:
                    return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{target} did not answer {ready} within 120 s; see {log}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def timed_gets(port: int, urls: list[str]) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    times = []
    for url in urls:
        started = time.perf_counter()
        conn.request("GET", url)
        response = conn.getresponse()
        body = response.read()
        times.append(time.perf_counter() - started)
        if response.status != 200 or not body:
            raise RuntimeError(f"GET {url}: HTTP {response.status}")
    conn.close()
    return times


def _hammer(args: tuple[int, list[str], float, int]) -> int:
    port, urls, seconds, seed = args
    rng = random.Random(seed)
    order = urls[:]
    rng.shuffle(order)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    done, end = 0, time.monotonic() + seconds
    while time.monotonic() < end:
        conn.request("GET", order[done % len(order)])
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}")
        done += 1
    conn.close()
    return done


def tiles_per_second(port: int, urls: list[str], seconds: float, clients: int = 2) -> float:
    with multiprocessing.get_context("spawn").Pool(clients) as pool:
        started = time.monotonic()
        counts = pool.map(_hammer, [(port, urls, seconds, i) for i in range(clients)])
        elapsed = time.monotonic() - started
    return sum(counts) / max(elapsed, seconds)


def _ms(times: list[float]) -> dict[str, float]:
    ordered = sorted(times)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)] * 1000, 2),
        "n": len(ordered),
    }


# ---------------------------------------------------------------------------- the step
def run(
    *, rounds: int = 5, seconds: float = 5.0, workers: int = 2, log: Callable[[str], None] = print
) -> dict[str, Any]:
    work = paths.bench_dir() / "iiif"
    logfile = paths.bench_dir() / "bench.log"
    for stale in ("db.sqlite3", "db.sqlite3-wal", "db.sqlite3-shm"):
        (work / stale).unlink(missing_ok=True)
    shutil.rmtree(work / "archive", ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    log("iiif: migrating a scratch database")
    manage(work, "migrate", "--verbosity", "0", log=logfile)
    log(f"iiif: generating the {SCAN_SIZE[0]:,} × {SCAN_SIZE[1]:,} scan (cached)")
    scan = make_scan(paths.bench_dir() / "iiif-scan-10000x8000.jpg")
    images: dict[str, dict[str, Any]] = {}
    for name, source in (("page 1600×1200", PAGE), (f"scan {SCAN_SIZE[0]}×{SCAN_SIZE[1]}", scan)):
        seconds_in = manage(work, "ingest_images", "bench", str(source), "--collection-title", "bench",
                            "--publish", "--no-progress", log=logfile)  # fmt: skip
        identifier = f"bench-{slugify(source.stem)}-0001"  # as ingest_images names a file's item and page
        facts = image_facts(work, identifier)
        images[name] = {"identifier": identifier, "facts": facts, "ingest_s": round(seconds_in, 1),
                        "bytes": source.stat().st_size}  # fmt: skip
        log(f"iiif: ingested {name} in {seconds_in:.1f} s (scale factors {facts['s']})")

    rng = random.Random(1)
    result: dict[str, Any] = {
        "workers": workers,
        "rounds": rounds,
        "seconds": seconds,
        "clients": 2,
        "images": {},
    }
    for name, image in images.items():
        pairs = tile_urls(image["identifier"], image["facts"])
        entry: dict[str, Any] = {"size": [image["facts"]["w"], image["facts"]["h"]], "tiles": len(pairs),
                                 "ingest_s": image["ingest_s"], "source_bytes": image["bytes"]}  # fmt: skip
        info = f"/iiif/3/{image['identifier']}/info.json"
        tiles, files = [p[0] for p in pairs], [p[1] for p in pairs]
        servers: list[tuple[str, str, list[str], str, dict[str, str]]] = [
            ("iiif", "config.asgi:application", tiles, info, {}),
            ("django", "config.asgi:application", tiles, info, {"TOSHOKAN_IIIF_FAST_TTL_S": "0"}),
            ("static", "benchmarks.iiif:app", files, files[-1], {}),
        ]
        for kind, target, urls, ready, extra in servers:
            server = Server(target, work, workers, logfile, ready, **extra)
            try:
                cold = timed_gets(server.port, urls)
                warm_order = urls * rounds
                rng.shuffle(warm_order)
                warm = timed_gets(server.port, warm_order)
                tps = tiles_per_second(server.port, urls, seconds)
                figures: dict[str, Any] = {"cold": _ms(cold), "warm": _ms(warm), "tiles_per_s": round(tps, 1),
                                           "first_ms": round(cold[0] * 1000, 1)}  # fmt: skip
                if kind != "static":
                    computed = computed_urls(image["identifier"], image["facts"], 40, rng)
                    figures["computed"] = _ms(timed_gets(server.port, computed))
            finally:
                server.stop()
            entry[kind] = figures
            log(f"iiif: {name} {kind}: cold p95 {figures['cold']['p95_ms']} ms, warm p50 "
                f"{figures['warm']['p50_ms']} p95 {figures['warm']['p95_ms']} ms, {figures['tiles_per_s']} tiles/s")  # fmt: skip
        entry["warm_p95_ratio"] = round(
            entry["iiif"]["warm"]["p95_ms"] / entry["static"]["warm"]["p95_ms"], 2
        )
        entry["warm_p50_ratio"] = round(
            entry["iiif"]["warm"]["p50_ms"] / entry["static"]["warm"]["p50_ms"], 2
        )
        entry["cold_p95_ratio"] = round(
            entry["iiif"]["cold"]["p95_ms"] / entry["static"]["cold"]["p95_ms"], 2
        )
        entry["throughput_ratio"] = round(entry["static"]["tiles_per_s"] / entry["iiif"]["tiles_per_s"], 2)
        result["images"][name] = entry
    return result


def targets(result: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for name, e in result.get("images", {}).items():
        out.append({
            "name": f"IIIF tile p95 warm vs static, {name}",
            "target": f"≤ {TARGET_RATIO:g}× static",
            "value": f"{e['iiif']['warm']['p95_ms']:.2f} ms vs {e['static']['warm']['p95_ms']:.2f} ms "
                     f"({e['warm_p95_ratio']:.2f}×)",
            "met": e["warm_p95_ratio"] <= TARGET_RATIO,
        })  # fmt: skip
    return out


def render(result: dict[str, Any]) -> str:
    if result.get("skipped"):
        return f"IIIF tiles: skipped: {result['skipped']}"
    lines = [
        f"IIIF tiles: every tile of the grid, cold (first request, fresh server) and warm ({result['rounds']} rounds, "
        f"one keep-alive client); tiles/s with {result['clients']} client processes for {result['seconds']:g} s; "
        f"{result['workers']} uvicorn workers each; iiif = toshokan's web process (grid tiles on the ASGI fast path), "
        f"django = the same with the fast path off (every tile through the Django view), static = the same files "
        f"from a bare ASGI file server; first = the first request a fresh server answers",
        f"  {'image':18s} {'server':7s} {'tiles':>5s} {'cold p50':>8s} {'cold p95':>8s} {'warm p50':>8s} "
        f"{'warm p95':>8s} {'tiles/s':>8s}",
    ]
    for name, e in result["images"].items():
        for kind in ("iiif", "django", "static"):
            f = e[kind]
            lines.append(
                f"  {name:18s} {kind:7s} {e['tiles']:>5d} {f['cold']['p50_ms']:>8.2f} {f['cold']['p95_ms']:>8.2f} "
                f"{f['warm']['p50_ms']:>8.2f} {f['warm']['p95_ms']:>8.2f} {f['tiles_per_s']:>8.1f} {f['first_ms']:>8.1f}"
            )
        c = e["iiif"]["computed"]
        d = e["django"]["warm"]
        lines.append(
            f"  {'':18s} ratios: warm p50 {e['warm_p50_ratio']:.2f}×, warm p95 {e['warm_p95_ratio']:.2f}×, cold p95 "
            f"{e['cold_p95_ratio']:.2f}×, static tiles/s over IIIF {e['throughput_ratio']:.2f}×; off-grid "
            f"(computed) p50 {c['p50_ms']:.1f} ms, p95 {c['p95_ms']:.1f} ms; Django view alone warm p95 "
            f"{d['p95_ms'] / e['static']['warm']['p95_ms']:.2f}× static; ingest {e['ingest_s']:.1f} s"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(run(log=lambda m: print(m, file=sys.stderr))))
