"""The checkout benchmark's machinery on a tiny pool: it fills, lends, returns, compares and reports.

No timing is asserted (speed is what `make bench` reports); these tests make sure a run can happen,
that every copy lent comes back, and that the ratios and targets compare what they should.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks import circulation, report


@pytest.fixture
def bench_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TOSHOKAN_BENCH_DIR", str(tmp_path / "bench"))
    return tmp_path / "bench"


def _run(kind: str, per_s: float, p99: float, clients: int = 1) -> dict[str, object]:
    phase = {"p50_ms": 1.0, "p95_ms": 2.0, "p99_ms": p99, "mean_ms": 1.0, "max_ms": p99, "per_s": per_s}
    return {"clients": clients, "ops": 100, "checkout": dict(phase), "return": dict(phase)}


def test_ratios_divide_each_path_by_the_bare_transaction_with_as_many_clients() -> None:
    result = {
        "databases": {
            "postgresql": {
                "bare": [_run("bare", 2000, 1, 1), _run("bare", 1000, 2, 2)],
                "services": [_run("s", 500, 10, 1), _run("s", 500, 20, 2)],
                "http": {"skipped": "failed: no server"},
            }
        }
    }
    assert circulation.ratios(result) == {"postgresql": {"services": {1: 0.25, 2: 0.5}}}


def test_the_target_needs_both_the_rate_and_the_p99_in_one_run() -> None:
    fast_but_slow_tail = {
        "databases": {"postgresql": {"services": [_run("s", 900, 150, 2), _run("s", 150, 40, 1)]}}
    }
    [target] = circulation.targets(fast_but_slow_tail)
    assert target["met"] is False
    both = {"databases": {"postgresql": {"services": [_run("s", 900, 150, 4), _run("s", 250, 40, 2)]}}}
    [target] = circulation.targets(both)
    assert target["met"] is True
    assert "2 clients" in target["value"]


def test_pg_url_carries_the_libpq_keywords(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOSHOKAN_BENCH_PG", "host=/run/postgresql port=5433 user=lib password=pw")
    assert circulation.pg_url("db") == "postgres://lib:pw@/run/postgresql:5433/db"


@pytest.mark.slow
def test_a_tiny_run_on_sqlite_lends_and_returns_every_copy_and_reports_it(bench_dir: Path) -> None:
    messages: list[str] = []
    out = circulation.run(
        ops=12,
        clients=[1, 2],
        databases=["sqlite"],
        modes=["bare", "services", "services-coalesced"],
        log=messages.append,
        log_file=bench_dir / "bench.log",
        records=50,
    )
    entry = out["databases"]["sqlite"]
    assert entry["setup"]["copies"] == circulation.WARMUP * 2 + 12
    for mode in ("bare", "services", "services-coalesced"):
        assert [r["clients"] for r in entry[mode]] == [1, 2], entry[mode]
        for r in entry[mode]:
            assert r["ops"] == 12
            assert r["checkout"]["per_s"] > 0 and r["return"]["per_s"] > 0
    assert set(circulation.ratios(out)["sqlite"]) == {"services", "services-coalesced"}
    assert not (bench_dir / "circulation.sqlite3").exists()  # the scratch database is dropped
    table = report.circulation_table(out)
    assert "sqlite services-coalesced" in table and "× bare" in table
