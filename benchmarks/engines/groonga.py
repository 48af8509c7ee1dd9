"""Baseline: Groonga (Debian `groonga-bin`) over HTTP, the engine Japanese full-text search is usually
measured against.

The same folded keys go into a table with two text columns (surface keys, romaji keys), each with
a full-text index of bigrams (TokenBigram, NormalizerNFKC150 — Groonga 13's current NFKC — and
WITH_POSITION, so a term is a phrase of adjacent bigrams). The index columns are made after the
load, which is Groonga's fast static build. The server is `groonga -s --protocol http` on a
loopback port with its default two threads, queried with `select`: each term is
`surface:@"key"` (OR `romaji:@"key"` for a Latin term), the terms ANDed, top 20 by `_score`, the
total from `n_hits`. Match escalation is turned off (`--match_escalation_threshold -1`), so a
query that finds nothing is not retried as a looser one and every total is what the query matched.

TokenBigram keeps a run of Latin letters or digits as one token, so a Latin term matches only a
whole Latin word, never part of one; `--groonga-tokenizer TokenBigramSplitSymbolAlphaDigit`
splits those runs into bigrams too.
"""

from __future__ import annotations

import http.client
import json
import shutil
import socket
import subprocess
import time
import urllib.parse
from pathlib import Path
from typing import Any

from toshokan.search.domain.query import parse_query

from ..keys import SEP, KeyTable
from . import dir_size, fresh_dir

NORMALIZER = "NormalizerNFKC150"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _quote(key: str) -> str:
    return '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def query_text(q: str) -> str:
    clauses = []
    for term in parse_query(q).terms:
        parts = [f"surface:@{_quote(term.key)}"] if term.key else []
        if len(term.romaji) >= 2:
            parts.append(f"romaji:@{_quote(term.romaji)}")
        if parts:
            clauses.append("(" + " OR ".join(parts) + ")")
    return " ".join(clauses)


class GroongaHttp:
    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

    def request(self, command: str, params: dict[str, Any], body: bytes | None = None) -> Any:
        url = f"/d/{command}?" + urllib.parse.urlencode(params)
        for attempt in (1, 2):
            try:
                if body is None:
                    self.conn.request("GET", url)
                else:
                    self.conn.request("POST", url, body, {"Content-Type": "application/json"})
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.HTTPException, ConnectionError):
                self.conn.close()
                self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
                if attempt == 2:
                    raise
        header, *rest = json.loads(data)
        if header[0] != 0:
            raise RuntimeError(f"groonga {command}: {header}")
        return rest[0] if rest else None

    def close(self) -> None:
        self.conn.close()


class GroongaClient:
    def __init__(self, port: int) -> None:
        self.http = GroongaHttp(port)

    def search(self, q: str) -> tuple[int, list[int]]:
        text = query_text(q)
        if not text:
            return 0, []
        body = self.http.request(
            "select",
            {
                "table": "Records",
                "match_columns": "surface",
                "query": text,
                "output_columns": "_key",
                "sort_keys": "-_score",
                "limit": 20,
                "match_escalation_threshold": -1,
                "cache": "no",
            },
        )
        result = body[0]
        return int(result[0][0]), [int(row[0]) for row in result[2:]]

    def close(self) -> None:
        self.http.close()


class Groonga:
    name = "groonga"

    def __init__(self, path: Path, tokenizer: str = "TokenBigram") -> None:
        self.path = Path(path)
        self.tokenizer = tokenizer
        self.port = 0
        self.label = f"Groonga ({tokenizer}, over HTTP)"
        self._server: subprocess.Popen[bytes] | None = None

    def unavailable(self) -> str | None:
        exe = shutil.which("groonga")
        if not exe:
            return "groonga is not installed (Debian: groonga-bin; `make bench` installs it as root)"
        out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False).stdout
        self.label = f"{out.split('[')[0].strip()} ({self.tokenizer}, over HTTP)"
        return None

    def _start(self) -> None:
        self.port = free_port()
        self._server = subprocess.Popen(
            ["groonga", "-s", "--protocol", "http", "--bind-address", "127.0.0.1", "--port", str(self.port),
             "--log-path", str(self.path.parent / f"{self.path.name}.log"), str(self.path / "db")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                GroongaHttp(self.port).request("status", {})
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("groonga did not start")

    def build(self, table: KeyTable) -> dict[str, Any]:
        self.cleanup()
        fresh_dir(self.path)
        # The load's JSON is made before the clock starts: the build time is Groonga's own work.
        payloads: list[bytes] = []
        batch: list[dict[str, Any]] = []
        for rid, surface, romaji in zip(table.ids, table.surface, table.romaji, strict=True):
            # Values are kept apart by a space, a blank that no bigram spans.
            batch.append(
                {"_key": rid, "surface": surface.replace(SEP, " "), "romaji": romaji.replace(SEP, " ")}
            )
            if len(batch) == 20_000:
                payloads.append(json.dumps(batch, ensure_ascii=False).encode())
                batch = []
        if batch:
            payloads.append(json.dumps(batch, ensure_ascii=False).encode())
        t0 = time.perf_counter()
        subprocess.run(["groonga", "-n", str(self.path / "db"), "status"], check=True, capture_output=True)
        self._start()
        g = GroongaHttp(self.port)
        g.request("table_create", {"name": "Records", "flags": "TABLE_HASH_KEY", "key_type": "UInt32"})
        g.request(
            "column_create", {"table": "Records", "name": "surface", "flags": "COLUMN_SCALAR", "type": "Text"}
        )
        g.request(
            "column_create", {"table": "Records", "name": "romaji", "flags": "COLUMN_SCALAR", "type": "Text"}
        )
        for payload in payloads:
            g.request("load", {"table": "Records"}, payload)
        g.request(
            "table_create",
            {"name": "Terms", "flags": "TABLE_PAT_KEY", "key_type": "ShortText",
             "default_tokenizer": self.tokenizer, "normalizer": NORMALIZER},
        )  # fmt: skip
        for column in ("surface", "romaji"):
            g.request(
                "column_create",
                {"table": "Terms", "name": f"records_{column}", "flags": "COLUMN_INDEX|WITH_POSITION",
                 "type": "Records", "source": column},
            )  # fmt: skip
        g.close()
        seconds = time.perf_counter() - t0
        return {"seconds": round(seconds, 2), "size_bytes": dir_size(self.path)}

    def connect(self) -> GroongaClient:
        return GroongaClient(self.port)

    def cleanup(self) -> None:
        if self._server and self._server.poll() is None:
            try:
                GroongaHttp(self.port).request("shutdown", {})
            except Exception:
                self._server.terminate()
            try:
                self._server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._server.kill()
                self._server.wait()
        self._server = None

    def __getstate__(self) -> dict[str, Any]:
        # Client processes need only the port, never the server's handle.
        return {
            "path": self.path,
            "tokenizer": self.tokenizer,
            "port": self.port,
            "label": self.label,
            "_server": None,
        }
