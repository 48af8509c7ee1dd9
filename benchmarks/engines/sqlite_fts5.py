"""Baseline: SQLite FTS5 with its `trigram` tokenizer (the SQLite in Python's standard library).

FTS5 trigram finds any substring of three characters or more exactly; a term of one or two
characters yields no trigram and matches nothing, which is how FTS5 behaves (see
https://sqlite.org/fts5.html#the_trigram_tokenizer).
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

from toshokan.search.domain.query import parse_query

from ..keys import KeyTable


def match_expression(q: str) -> str:
    clauses = []
    for term in parse_query(q).terms:
        parts = [f'surface : "{term.key}"'] if term.key else []
        if len(term.romaji) >= 2:
            parts.append(f'romaji : "{term.romaji}"')
        if parts:
            clauses.append("(" + " OR ".join(parts) + ")")
    return " AND ".join(clauses)


class Fts5Client:
    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)

    def search(self, q: str) -> tuple[int, list[int]]:
        expr = match_expression(q)
        if not expr:
            return 0, []
        ids = [
            r[0]
            for r in self.db.execute(
                "SELECT rowid FROM recs WHERE recs MATCH ? ORDER BY rank LIMIT 20", (expr,)
            )
        ]
        (total,) = self.db.execute("SELECT count(*) FROM recs WHERE recs MATCH ?", (expr,)).fetchone()
        return int(total), ids

    def close(self) -> None:
        self.db.close()


class SqliteFts5:
    name = "sqlite-fts5"
    label = f"SQLite {sqlite3.sqlite_version} FTS5 trigram"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def unavailable(self) -> str | None:
        db = sqlite3.connect(":memory:")
        try:
            db.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='trigram')")
        except sqlite3.OperationalError as exc:
            return f"this SQLite has no FTS5 trigram tokenizer ({exc})"
        finally:
            db.close()
        return None

    def build(self, table: KeyTable) -> dict[str, Any]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.unlink(missing_ok=True)
        t0 = time.perf_counter()
        db = sqlite3.connect(self.path)
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        db.execute("CREATE VIRTUAL TABLE recs USING fts5(surface, romaji, tokenize='trigram')")
        with db:
            db.executemany(
                "INSERT INTO recs(rowid, surface, romaji) VALUES (?, ?, ?)",
                zip(table.ids, table.surface, table.romaji, strict=True),
            )
        db.execute("INSERT INTO recs(recs) VALUES ('optimize')")
        db.commit()
        db.close()
        return {"seconds": round(time.perf_counter() - t0, 2), "size_bytes": self.path.stat().st_size}

    def connect(self) -> Fts5Client:
        return Fts5Client(self.path)

    def cleanup(self) -> None:
        pass
