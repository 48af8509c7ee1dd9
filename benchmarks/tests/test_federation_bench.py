"""The availability fan-out benchmark's machinery on 40 simulated systems: it serves, checks, compares, reports.

No timing is asserted (speed is what `make bench` reports); these tests make sure a run can happen,
that every system that answers is counted, that those that never answer are not, and that the
report compares the last answer with the slowest system's own latency.
"""

from __future__ import annotations

import pytest

from benchmarks import federation


def test_the_simulated_systems_are_log_normal_around_300_ms_and_about_2_percent_never_answer():
    layout = federation.plan(1000, seed=1)
    answering = sorted(s["latency_s"] for s in layout if not s["hang"])
    assert 0.27 < answering[len(answering) // 2] < 0.33
    assert 5 <= sum(s["hang"] for s in layout) <= 40
    assert federation.plan(1000, seed=1) == layout  # the same systems in every process of a run


@pytest.mark.slow
def test_a_small_run_counts_every_answering_system_and_reports_against_the_target():
    layout = federation.plan(40, seed=3)
    assert any(s["hang"] for s in layout), "the seed should give a system that never answers"
    result = federation.run(systems=40, repeats=1, seed=3, modes=("toshokan",), log=lambda m: None)
    entry = result["modes"]["toshokan"]
    assert result["never_answer"] == sum(s["hang"] for s in layout)
    assert entry["answered"] == 40 - result["never_answer"]
    assert entry["all_answering_in"]
    assert entry["last_s"] >= result["latency"]["slowest_answering_s"]
    assert entry["ratio_last_to_slowest"] == round(
        entry["last_s"] / result["latency"]["slowest_answering_s"], 3
    )
    names = [t["name"] for t in federation.targets(result)]
    assert any("slowest system's own latency" in n for n in names)
    assert "× slowest" in federation.render(result)


def test_make_bench_can_run_the_federation_step_alone():
    from benchmarks import run

    args = run.parse_args(["--only", "federation", "--fed-systems", "50"])
    assert args.only == ["federation"] and args.fed_systems == 50 and args.fed_repeats == 3
    assert run.parse_args(["--quick"]).fed_systems == 200


def test_every_isbn_the_benchmark_checks_is_a_valid_isbn():
    # A malformed one is answered Error without a request, and the check would ask fewer than ten.
    from benchmarks.federation import ISBNS
    from toshokan.catalog.domain.identifiers import normalize_isbn

    assert len(set(ISBNS)) == 10
    assert [normalize_isbn(i) for i in ISBNS] == ISBNS
