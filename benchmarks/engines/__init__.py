"""The engines the benchmark runs: toshokan's own search backend and the baselines it is compared with.

Each engine builds an index of the same records, then answers the same queries: the top 20 by
its own ranking and the exact total. A baseline whose software or server is missing on this
machine reports itself as skipped (`unavailable()` says why) instead of failing the run.
"""

from __future__ import annotations

import shutil
from pathlib import Path


def dir_size(path: Path) -> int:
    """Bytes of every file under `path`."""
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file())


def fresh_dir(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path
