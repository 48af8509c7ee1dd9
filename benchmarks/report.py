"""The run's results as a table for people (stdout) and as JSON for the record (benchmarks/results/)."""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path
from typing import Any

from . import paths

GIB = 1024**3


def _f(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, int | float):
        if abs(value) >= 10_000:
            return f"{value:,.0f}"
        return f"{value:.{digits}f}"
    return str(value)


def gib_per_million(size_bytes: int | None, records: int) -> float | None:
    if not size_bytes or not records:
        return None
    return size_bytes / GIB / records * 1_000_000


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(header)]
    line = "  ".join(
        h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths, strict=True))
    )
    out = [line, "-" * len(line)]
    for r in rows:
        out.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True))
            )
        )
    return "\n".join(out)


def engines_table(result: dict[str, Any]) -> str:
    records = result["corpus"]["records"]
    header = [
        "engine",
        "build s",
        "rec/s",
        "GiB/M",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "qps 2cl",
        "p95 2cl",
        "exact totals",
    ]
    rows: list[list[str]] = []
    for name, e in result.get("engines", {}).items():
        if e.get("skipped"):
            rows.append([name, "skipped: " + e["skipped"], *[""] * 8])
            continue
        one, two = e.get("latency_1") or {}, e.get("latency_2") or {}
        build_s = e.get("build_s")
        exact = f"{e['exact']}/{e['compared']}" if "exact" in e else "–"
        if e.get("query_cap"):
            exact += f" (first {e['query_cap']} queries)"
        rows.append([
            name, _f(build_s), _f(records / build_s if build_s else None, 0),
            _f(gib_per_million(e.get("size_bytes"), records), 3),
            _f(one.get("p50_ms"), 2), _f(one.get("p95_ms"), 2), _f(one.get("p99_ms"), 2),
            _f(two.get("qps"), 0), _f(two.get("p95_ms"), 2), exact,
        ])  # fmt: skip
    return _table(header, rows)


def circulation_table(circ: dict[str, Any]) -> str:
    if circ.get("skipped"):
        return f"Checkouts: skipped: {circ['skipped']}"
    header = ["database / path", "clients", "checkouts/s", "p50 ms", "p95 ms", "p99 ms", "returns/s",
              "p99 ms ", "× bare"]  # fmt: skip
    rows: list[list[str]] = []
    skipped: list[str] = []
    ratios = circ.get("ratios_to_bare", {})
    for kind, entry in circ.get("databases", {}).items():
        if entry.get("skipped"):
            skipped.append(f"  {kind}: {entry['skipped']}")
            continue
        for mode, runs in entry.items():
            if mode == "setup":
                continue
            if isinstance(runs, dict):
                skipped.append(f"  {kind} {mode}: {runs.get('skipped')}")
                continue
            for r in runs:
                c, b = r["checkout"], r["return"]
                by_clients = ratios.get(kind, {}).get(mode, {})
                ratio = by_clients.get(r["clients"], by_clients.get(str(r["clients"])))  # JSON keys are text
                rows.append([
                    f"{kind} {mode}", str(r["clients"]), _f(c["per_s"], 0), _f(c["p50_ms"], 2),
                    _f(c["p95_ms"], 2), _f(c["p99_ms"], 2), _f(b["per_s"], 0), _f(b["p99_ms"], 2),
                    "1" if mode == "bare" else _f(ratio, 3),
                ])  # fmt: skip
    title = (
        f"Checkouts ({circ['ops']:,} per run, a quarter of that where every checkout commits the index, then as"
        f" many returns; {circ['records']:,} records in the index; bare = lock, insert, update, commit):"
    )
    loads = " ".join(f"{k} {v}" for k, v in circ.get("load", {}).items())
    notes = [f"  load averages (1/5/15 min) at the start of each database: {loads}"] if loads else []
    return "\n".join([title, _table(header, rows), *notes, *(["skipped:", *skipped] if skipped else [])])


def render(result: dict[str, Any]) -> str:
    c = result["corpus"]
    q = result.get("queries", {})
    parts = [
        f"toshokan search benchmark — {c['records']:,} records (seed {c['seed']}), "
        f"{q.get('count', 0)} queries ({q.get('with_short_term', 0)} with a term of 1–2 characters), "
        f"top 20 + exact total",
    ]
    if result.get("engines"):
        parts += ["", engines_table(result)]
    b = result.get("ours_build")
    if b:
        parts += [
            "",
            "toshokan indexing, where the time goes:",
            f"  one process:   build_document {_f(b['build_document_s'])} s + document_fields {_f(b['document_fields_s'])} s"
            f" + engine (add, commit, merge) {_f(b['engine_s'])} s = {_f(b['sequential_s'])} s"
            f" → {_f(b['sequential_rate'], 0)} records/s",
        ]
        if b.get("parallel_s"):
            parts.append(
                f"  {b['workers']} worker processes making documents for the one writer: {_f(b['parallel_s'])} s"
                f" → {_f(b['parallel_rate'], 0)} records/s"
            )
    h = result.get("http")
    if h:
        if h.get("skipped"):
            parts += ["", f"HTTP: skipped: {h['skipped']}"]
        else:
            one, two = h["latency_1"], h["latency_2"]
            server = (
                h["server"][h["server"].index("uvicorn") + 1 :] if "uvicorn" in h["server"] else h["server"]
            )
            parts += [
                "",
                f"HTTP GET /api/v1/search (limit=20, facets=false), uvicorn {' '.join(server)}:",
                f"  1 client:  p50 {_f(one['p50_ms'], 2)} / p95 {_f(one['p95_ms'], 2)} / p99 {_f(one['p99_ms'], 2)} ms,"
                f" {_f(one['qps'], 0)} req/s",
                f"  2 clients: p50 {_f(two['p50_ms'], 2)} / p95 {_f(two['p95_ms'], 2)} / p99 {_f(two['p99_ms'], 2)} ms,"
                f" {_f(two['qps'], 0)} req/s; exact totals {h['exact']}/{h['compared']}",
            ]
    imp = result.get("import")
    if imp:
        parts += ["", "MARC import as manage.py import_catalog runs it (reader process, index every 10,000):"]
        if imp.get("skipped"):
            parts.append(f"  skipped: {imp['skipped']}")
        else:
            for run in imp["runs"]:
                parts.append(
                    f"  {run['records_in_file']:,} records: {_f(run['records_per_s'], 0)} records/s,"
                    f" peak RSS {_f(run['peak_rss_mib'], 0)} MiB (before import {_f(run['rss_before_mib'], 0)} MiB;"
                    f" reading process {_f(run.get('reader_peak_rss_mib'), 0)} MiB),"
                    f" {run['problems']} problems"
                )
    rel = result.get("relevance")
    if rel:
        parts += ["", "Relevance (data/eval/search_dev.jsonl on the Aozora catalogue):"]
        if rel.get("skipped"):
            parts.append(f"  skipped: {rel['skipped']}")
        else:
            for kind, score in rel["per_kind"].items():
                parts.append(f"  {kind:28s} {score:.3f}")
            parts.append(f"  {'macro':28s} {rel['macro']:.3f}")
    circ = result.get("circulation")
    if circ:
        parts += ["", circulation_table(circ)]
    fed = result.get("federation")
    if fed:
        from .federation import render as federation_render

        parts += ["", federation_render(fed)]
    ocr = result.get("ocr")
    if ocr:
        from .ocr import render as ocr_render

        parts += ["", ocr_render(ocr)]
    iiif = result.get("iiif")
    if iiif:
        from .iiif import render as iiif_render

        parts += ["", iiif_render(iiif)]
    t = result.get("targets")
    if t:
        parts += ["", "Targets (measured in this run):"]
        for target in t:
            mark = {True: "met", False: "MISSED", None: "n/a"}[target["met"]]
            parts.append(f"  [{mark:6s}] {target['name']}: {target['value']} (target {target['target']})")
    return "\n".join(parts)


def write(result: dict[str, Any], directory: Path | None = None) -> Path:
    directory = directory or paths.RESULTS_DIR
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%dT%H%M%S")
    text = json.dumps(result, ensure_ascii=False, indent=2, default=str)
    path = directory / f"{stamp}.json"
    path.write_text(text)
    (directory / "latest.json").write_text(text)
    return path
