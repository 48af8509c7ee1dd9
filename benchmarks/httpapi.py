"""The search API measured end to end: the real app server over loopback, on the benchmark's index.

The server is started the way `manage.py serve` starts its web process (uvicorn running
config.asgi:application; the command line is taken from the serve command itself when it is
there), with benchmarks/settings.py pointing it at a scratch SQLite database that holds the same
records as the index — GET /api/v1/search loads its top 20 from the database — and at the index the
engine measurement built. The database is filled once per corpus through the ORM's bulk_create
(benchmarks.dbwork fill) and kept under var/bench/.

Clients are plain keep-alive HTTP/1.1 connections (http.client), one per client process, each
timing `GET /api/v1/search?q=…&limit=20&facets=false` from request to parsed JSON.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path
from typing import Any

from . import paths
from .engines.groonga import free_port


def bench_env(db: Path, index: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmarks.settings",
        "TOSHOKAN_BENCH_DB": str(db),
        "TOSHOKAN_INDEX_DIR": str(index),
        "PYTHONPATH": os.pathsep.join(p for p in (str(paths.ROOT), os.environ.get("PYTHONPATH", "")) if p),
    }


def run_step(step: str, args: dict[str, Any], env: dict[str, str], log: Path) -> dict[str, Any]:
    """Run one benchmarks.dbwork step in its own process; its JSON result."""
    with open(log, "a") as out:
        proc = subprocess.run(
            [sys.executable, "-m", "benchmarks.dbwork", step, json.dumps(args)],
            env=env, cwd=paths.ROOT, stdout=subprocess.PIPE, stderr=out, text=True, check=False,
        )  # fmt: skip
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"benchmarks.dbwork {step} failed (exit {proc.returncode}); see {log}")
    return dict(json.loads(lines[-1]))


def filled_database(size: int, seed: int, corpus_key: str, log: Path) -> tuple[Path, dict[str, Any]]:
    """The scratch database holding the corpus, filled on first use."""
    db = paths.bench_dir() / f"http-{corpus_key}.sqlite3"
    done = db.with_suffix(".done")
    if done.exists() and db.exists():
        return db, {**json.loads(done.read_text()), "cached": True}
    for p in (db, db.with_suffix(".sqlite3-wal"), db.with_suffix(".sqlite3-shm"), done):
        p.unlink(missing_ok=True)
    env = bench_env(db, paths.bench_dir() / "unused-index")
    result = run_step("fill", {"size": size, "seed": seed}, env, log)
    done.write_text(json.dumps(result))
    return db, {**result, "cached": False}


def server_command(port: int) -> list[str]:
    """The web process of `manage.py serve`, or uvicorn as serve runs it when that command is missing."""
    try:
        import django
        from django.conf import settings

        if not settings.configured:
            os.environ.setdefault("TOSHOKAN_BENCH_DB", str(paths.bench_dir() / "unused.sqlite3"))
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
            django.setup()
        from toshokan.core.management.commands.serve import Command, default_web_workers

        return list(Command().commands("127.0.0.1", port, False, default_web_workers())["web"])
    except Exception:
        return [sys.executable, "-m", "uvicorn", "config.asgi:application", "--host", "127.0.0.1",
                "--port", str(port), "--no-access-log"]  # fmt: skip


class AppServer:
    def __init__(self, db: Path, index: Path, log: Path) -> None:
        self.port = free_port()
        self.command = server_command(self.port)
        with open(log, "a") as out:
            self.proc = subprocess.Popen(
                self.command, env=bench_env(db, index), cwd=paths.ROOT, stdout=out, stderr=out
            )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the app server exited with code {self.proc.returncode}; see {log}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                conn.request("GET", "/api/v1/health")
                response = conn.getresponse()
                body = response.read()
                conn.close()
                if response.status == 200:
                    self.health = json.loads(body)
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"the app server did not answer /api/v1/health within 120 s; see {log}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class HttpClient:
    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    def search(self, q: str) -> tuple[int, list[int]]:
        path = "/api/v1/search?" + urllib.parse.urlencode({"q": q, "limit": 20, "facets": "false"})
        try:
            self.conn.request("GET", path)
            response = self.conn.getresponse()
        except (http.client.HTTPException, ConnectionError):
            self.conn.close()
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.conn.request("GET", path)
            response = self.conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {path}: HTTP {response.status}: {body[:200]!r}")
        data = json.loads(body)
        return int(data["total"]), [int(r["id"]) for r in data["results"]]

    def close(self) -> None:
        self.conn.close()


class Api:
    """The search API as something measure.run can connect to."""

    name = "http"

    def __init__(self, port: int) -> None:
        self.port = port

    def connect(self) -> HttpClient:
        return HttpClient(self.port)
