"""The benchmark's machinery on a tiny corpus: it generates, counts, measures and writes its JSON.

No timing is asserted here (performance is what `make bench` reports, not what tests check); these
tests only make sure a benchmark run can happen and compares what it should compare.
"""

from __future__ import annotations

import json
from array import array
from pathlib import Path

import pymarc
import pytest

from benchmarks import corpus, measure, paths, queries, report, run, truth
from benchmarks.dbwork import _with_control_number, repeated_marc
from benchmarks.keys import KeyTable

pytestmark = pytest.mark.skipif(
    paths.find_data(paths.AOZORA_CATALOGUE) is None,
    reason="the Aozora catalogue is not in data/ or ../shared/data/",
)


@pytest.fixture
def bench_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TOSHOKAN_BENCH_DIR", str(tmp_path / "bench"))
    return tmp_path / "bench"


@pytest.fixture(scope="module")
def vocabulary() -> corpus.Vocabulary:
    return corpus.vocabulary()


def _records(vocabulary: corpus.Vocabulary, seed: int) -> list[tuple]:  # type: ignore[type-arg]
    gen = corpus.Generator(vocabulary, seed, 300)
    return [gen.record(i) for i in range(1, 301)]


def test_the_same_seed_makes_the_same_records_and_another_seed_others(vocabulary: corpus.Vocabulary) -> None:
    assert _records(vocabulary, 7) == _records(vocabulary, 7)
    assert _records(vocabulary, 7) != _records(vocabulary, 8)


def test_records_carry_titles_readings_creators_and_publishers(bench_dir: Path) -> None:
    made = corpus.generate(2000, seed=3)
    sources = list(made.sources())
    assert [s.id for s in sources] == list(range(1, 2001))
    assert all(s.title for s in sources)
    assert sum(1 for s in sources if s.title_reading) > 1800
    assert all(s.creators and s.creators[0].name for s in sources)
    assert sum(1 for s in sources if s.creators[0].romanized) > 1500
    assert sum(1 for s in sources if s.publisher) > 1800
    assert any(s.title.isascii() for s in sources), "some titles are in Latin script"
    assert corpus.generate(2000, seed=3).cached, "a second call loads the cached corpus"


def test_the_query_set_mixes_kinds_and_has_short_terms(bench_dir: Path) -> None:
    made = corpus.generate(2000, seed=3)
    qs = queries.make_queries(made, 300, seed=1)
    described = queries.describe(qs)
    assert described["count"] == 300
    assert set(described["kinds"]) == {k for k, _ in queries.KINDS}
    assert 0.25 < described["with_short_term"] / 300 < 0.55
    assert qs == queries.make_queries(made, 300, seed=1)


def test_brute_force_totals_follow_the_matching_rule() -> None:
    table = KeyTable(
        ids=array("q", [1, 2, 3]),
        surface=["東京都\tとうきようと", "東京\t京都", "京都府"],
        romaji=["tokyoto", "tokyo\tkyoto", "kyotohu"],
    )
    counts = truth.exact_totals(table, ["東京都", "京都", "東 都", "tokyo", "kyoto hu", "猫"], processes=1)
    # 東京都 is contiguous only in record 1 (record 2 has 東京 and 京都 apart).
    assert counts == [1, 3, 2, 2, 1, 0]


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [([1.0, 2.0, 3.0, 4.0], 50, 2.0), ([1.0, 2.0, 3.0, 4.0], 95, 4.0), ([5.0], 99, 5.0)],
)
def test_percentiles_are_nearest_rank(values: list[float], p: float, expected: float) -> None:
    assert measure.percentile(values, p) == expected


def test_a_repeated_marc_record_gets_its_own_control_number(tmp_path: Path) -> None:
    record = pymarc.Record(force_utf8=True)
    record.add_field(pymarc.Field(tag="001", data="u123"))
    record.add_field(
        pymarc.Field(
            tag="245",
            indicators=pymarc.Indicators("1", "0"),
            subfields=[pymarc.Subfield("a", "吾輩は猫である")],
        )
    )
    raw = record.as_marc()
    changed = next(iter(pymarc.MARCReader(_with_control_number(raw, "b001-"), to_unicode=True)))
    assert changed is not None
    assert changed["001"].data == "b001-u123"
    assert changed["245"]["a"] == "吾輩は猫である"
    source = tmp_path / "one.mrc"
    source.write_bytes(raw)
    out = tmp_path / "five.mrc"
    assert repeated_marc(source, 5, out) == 5
    numbers = [r["001"].data for r in pymarc.MARCReader(out.read_bytes(), to_unicode=True) if r]
    assert len(set(numbers)) == 5


def test_a_small_run_measures_our_engine_and_a_baseline_and_writes_json(
    bench_dir: Path, tmp_path: Path
) -> None:
    results = tmp_path / "results"
    outcome = run.main(
        ["--records", "3000", "--queries", "60", "--only", "search", "--workers", "1",
         "--skip", "groonga,pg,tantivy-ngram", "--results", str(results)]
    )  # fmt: skip
    ours = outcome["engines"]["toshokan"]
    assert ours["compared"] == 60
    assert ours["exact"] == 60, ours["mismatches"]
    assert ours["latency_1"]["queries"] == 60 and ours["latency_2"]["queries"] == 120
    assert ours["size_bytes"] > 0
    fts5 = outcome["engines"]["sqlite-fts5"]
    assert fts5.get("skipped") or fts5["compared"] == 60
    assert outcome["ours_build"]["build_document_s"] > 0
    latest = json.loads((results / "latest.json").read_text())
    assert latest["corpus"]["records"] == 3000
    assert len(list(results.glob("*.json"))) == 2
    assert "toshokan" in report.render(latest)
