"""Baseline: PostgreSQL's pg_trgm with GIN indexes, `LIKE '%term%'` per term (127.0.0.1:5432).

Each query is one statement, `SELECT id, count(*) OVER () … LIMIT 20` (no ranking: pg_trgm's
similarity ordering would add a sort of every match). A scratch database `toshokan_bench` (UTF-8, C.UTF-8 locale, so that pg_trgm sees kana and kanji
as word characters) is created for the run and dropped at the end. pg_trgm answers exactly, but a
term of one or two characters gives it no trigram to look up, so such a query reads the whole
index or table; at a million records its query count is capped (see `max_queries`).
"""

from __future__ import annotations

import io
import os
import time
from typing import Any

from toshokan.search.domain.query import parse_query

from ..keys import KeyTable

DATABASE = "toshokan_bench"


def _dsn(dbname: str) -> str:
    base = os.environ.get("TOSHOKAN_BENCH_PG", "host=127.0.0.1 port=5432 user=postgres")
    return f"{base} dbname={dbname} connect_timeout=3"


def where_clause(q: str) -> tuple[str, list[str]]:
    clauses: list[str] = []
    params: list[str] = []
    for term in parse_query(q).terms:
        parts = []
        if term.key:
            parts.append("surface LIKE %s")
            params.append(f"%{term.key}%")
        if len(term.romaji) >= 2:
            parts.append("romaji LIKE %s")
            params.append(f"%{term.romaji}%")
        if parts:
            clauses.append("(" + " OR ".join(parts) + ")")
    return " AND ".join(clauses), params


class PgClient:
    def __init__(self) -> None:
        import psycopg

        self.conn = psycopg.connect(_dsn(DATABASE), autocommit=True)

    def search(self, q: str) -> tuple[int, list[int]]:
        where, params = where_clause(q)
        if not where:
            return 0, []
        # One statement: the window count makes the planner read every match once (a bitmap scan
        # of the trigram index), where a separate `LIMIT 20` query is often planned as a
        # sequential scan that hopes to stop early and, for a rare term, reads the whole table.
        with self.conn.cursor() as cur:
            cur.execute(f"SELECT id, count(*) OVER () FROM recs WHERE {where} LIMIT 20", params)
            rows = cur.fetchall()
        return (int(rows[0][1]) if rows else 0), [r[0] for r in rows]

    def close(self) -> None:
        self.conn.close()


class PgTrgm:
    name = "pg-trgm"
    label = "PostgreSQL pg_trgm GIN"

    def __init__(self, max_queries: int | None = None) -> None:
        self.max_queries = max_queries

    def unavailable(self) -> str | None:
        try:
            import psycopg

            with psycopg.connect(_dsn("postgres"), autocommit=True) as conn:
                version = conn.execute("SHOW server_version").fetchone()
                self.label = f"PostgreSQL {str(version[0]).split()[0]} pg_trgm GIN" if version else self.label
                available = conn.execute(
                    "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'"
                ).fetchone()
        except Exception as exc:
            return f"no PostgreSQL at {_dsn('postgres')} ({type(exc).__name__}: {str(exc).strip()[:120]})"
        if not available:
            return "PostgreSQL has no pg_trgm extension (Debian: postgresql-contrib)"
        return None

    def build(self, table: KeyTable) -> dict[str, Any]:
        import psycopg

        self.cleanup()
        t0 = time.perf_counter()
        with psycopg.connect(_dsn("postgres"), autocommit=True) as admin:
            admin.execute(
                f"CREATE DATABASE {DATABASE} ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8' TEMPLATE template0"
            )
        with psycopg.connect(_dsn(DATABASE), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            conn.execute(
                "CREATE TABLE recs (id bigint PRIMARY KEY, surface text NOT NULL, romaji text NOT NULL)"
            )
            with conn.cursor() as cur, cur.copy("COPY recs (id, surface, romaji) FROM STDIN") as copy:
                buf = io.StringIO()
                for n, (rid, surface, romaji) in enumerate(
                    zip(table.ids, table.surface, table.romaji, strict=True)
                ):
                    # COPY's text format: a tab inside a value is written as \t.
                    buf.write(
                        f"{rid}\t{surface.replace(chr(9), chr(92) + 't')}\t{romaji.replace(chr(9), chr(92) + 't')}\n"
                    )
                    if n % 20_000 == 19_999:
                        copy.write(buf.getvalue())
                        buf = io.StringIO()
                copy.write(buf.getvalue())
            conn.execute("SET maintenance_work_mem = '1GB'")
            conn.execute("CREATE INDEX recs_surface_trgm ON recs USING gin (surface gin_trgm_ops)")
            conn.execute("CREATE INDEX recs_romaji_trgm ON recs USING gin (romaji gin_trgm_ops)")
            conn.execute("VACUUM ANALYZE recs")
            row = conn.execute("SELECT pg_total_relation_size('recs')").fetchone()
        return {"seconds": round(time.perf_counter() - t0, 2), "size_bytes": int(row[0]) if row else 0}

    def connect(self) -> PgClient:
        return PgClient()

    def cleanup(self) -> None:
        import psycopg

        with psycopg.connect(_dsn("postgres"), autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
