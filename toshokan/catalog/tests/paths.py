"""Where the catalogue's tests find their files: the MARC files the repository ships and test data.

Tests read the copies in the repository (data/marc), never the shared folder they came from, since
the product must run without it.
"""

from __future__ import annotations

import csv
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
MARC_DIR = REPO / "data" / "marc"
TEST_DATA = Path(__file__).resolve().parent / "data"


def broken_files() -> list[tuple[str, int]]:
    """(path under data/marc, number of records in it) for every file BROKEN.csv lists."""
    with open(MARC_DIR / "BROKEN.csv", encoding="utf-8") as f:
        return [(row["file"], int(row["records"])) for row in csv.DictReader(f)]
