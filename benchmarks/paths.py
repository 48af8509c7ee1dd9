"""Where the benchmarks read their data and keep their caches and results.

Caches (generated corpora, ground truth, scratch databases and indexes) live under var/bench/,
which is not in git; results go to benchmarks/results/. Data files are looked for in the
repository first (settings.TOSHOKAN_DATA_DIR, i.e. data/) and then in the shared data directory
next to the repository (../shared/data), which is where they come from.
"""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = Path(__file__).resolve().parent / "results"


def bench_dir() -> Path:
    """var/bench/ (or $TOSHOKAN_BENCH_DIR), created on first use."""
    path = Path(os.environ.get("TOSHOKAN_BENCH_DIR", ROOT / "var" / "bench"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir() -> Path:
    """The repository's data directory: settings.TOSHOKAN_DATA_DIR when Django is configured."""
    try:
        from django.conf import settings

        if settings.configured:
            return Path(settings.TOSHOKAN_DATA_DIR)
    except ImportError:  # pragma: no cover - Django is a dependency
        pass
    return ROOT / "data"


def find_data(relative: str) -> Path | None:
    """A data file by its path under data/: the repository's copy, else the shared one, else None."""
    for base in (data_dir(), ROOT.parent / "shared" / "data"):
        candidate = base / relative
        if candidate.exists():
            return candidate
    return None


AOZORA_CATALOGUE = "aozora/list_person_all_extended_utf8.csv.gz"
NDC_SUMMARY = "ndc/ndc9_summary.csv"
MARC_SAMPLE = "marc/solrmarc/uva_001_2000.mrc"
SEARCH_DEV = "eval/search_dev.jsonl"
