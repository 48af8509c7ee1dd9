"""The PostgreSQL engine: the catalogue search inside the database, for sites that run PostgreSQL and
would rather not keep an index directory beside it. Core PostgreSQL only (no extension).

It matches exactly as the embedded engine does (toshokan.search.domain.query, "Matching rule").
Each text field of a record is stored as one string of its match keys between unit separators
(U+001F, which no key contains), and each such column has a GIN index over the set of its
character bigrams and characters — computed in the database by `toshokan_search_grams`
(migration 0002), so the row itself stays narrow. A term is found in two steps:

1. the index: the fields whose bigrams include all of the term's bigrams (`grams @> '{東京,京都}'`),
   or, for a one-character term, whose characters include it (exact already);
2. the row: the term occurs in the field as it is (`strpos(title, '東京都') > 0`); a separator
   stands between values, so a term never runs from one value into the next, and 「東京都」 never
   matches a record that only has 東京 and 京都 apart.

A term is an OR over its fields, a query an AND over its terms; totals are exact. Everything the
user typed goes in as parameters. Facets come from one GROUPING SETS pass over the matched rows
(materialised once), the page of hits from the same set.

Ranking is the embedded engine's sum of fixed weights (docs/search.md, "Ranking"), one SQL
expression evaluated on the matched rows: for each term, the weight of each field it occurs in
and the extra weight when it is a whole value there (TEXT_FIELDS), the author bonus (the term is
a principal creator's whole key), the marked-title bonus, the ISBN weight; the whole-query
bonuses (the query is, or starts, the title, reading or romanised title); and, for ties, a
BM25-like preference for short titles in place of the embedded engine's BM25 tie-break.
"""

from __future__ import annotations

import itertools
import logging
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import psycopg
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, transaction

from ..domain.documents import SearchDocument
from ..domain.ngrams import bigrams
from ..domain.query import ParsedQuery, SearchRequest, Sort, Term
from ..models import SEPARATOR
from .base import EngineResult, Hit
from .tantivy_backend import (
    FACET_SIZE,
    MARKED_WEIGHT,
    PRINCIPAL_WEIGHT,
    ROMAJI_FIELDS,
    SURFACE_FIELDS,
    TEXT_FIELDS,
    TIE_BREAK,
    UNIGRAM_FIELDS,
)

log = logging.getLogger(__name__)

TABLE = "search_document"
BUILD_TABLE = "search_document_next"
# pg_advisory_xact_lock key ("toshokan" in ASCII): writers share it, a rebuild takes it alone.
LOCK_KEY = 0x746F73686F6B616E
KEY_COLUMNS = tuple(TEXT_FIELDS)  # title, reading, romaji, creator, creator_reading, creator_romaji, other
COLUMNS = (
    "record_id",
    *KEY_COLUMNS,
    "title_marked",
    "principal",
    "identifiers",
    "ndc",
    "material_type",
    "language",
    "branches",
    "available_at",
    "online",
    "year",
    "sort_reading",
)
ARRAY_COLUMNS = ("identifiers", "branches", "available_at")
COPY_BATCH = 1000  # documents per COPY in a rebuild (and per progress report)
ISBN_WEIGHT = 10.0
# The tie-break: BM25's length factor with tf = 1, (k1 + 1) / (1 + k1 (1 - b + b len / avg_len)),
# over the title column's length in characters, times TIE_BREAK (at most ~0.05, below any weight).
BM25_K1, BM25_B, AVG_TITLE_CHARS = 1.2, 0.75, 40.0
FACET_LIMIT = {**FACET_SIZE, "online": 2}
FACET_NAMES = ("ndc", "material_type", "language", "branch", "available", "online", "decade")
SEARCH_SETTINGS = {"jit": "off", "work_mem": "32MB", "max_parallel_workers_per_gather": "0"}  # see _run
_NOT_IN_KEYS = str.maketrans("", "", SEPARATOR + " ")


# -- rows ------------------------------------------------------------------------------------
def joined(values: Iterable[str]) -> str:
    """A multi-valued field as one string: ␟value␟value␟ ("" when there are none). Separators
    and spaces never occur in match keys; they are dropped from anything else, as the grams
    function splits on spaces."""
    kept = [v.translate(_NOT_IN_KEYS) for v in values]
    kept = [v for v in kept if v]
    return SEPARATOR + SEPARATOR.join(kept) + SEPARATOR if kept else ""


def ndc_digits(ndc: str) -> str:
    return "".join(c for c in ndc if c.isdigit())[:3]


def to_row(doc: SearchDocument) -> tuple[Any, ...]:
    return (
        doc.id,
        *(joined(getattr(doc, name)) for name in KEY_COLUMNS),
        joined(doc.title_marked),
        joined(doc.principal),
        list(doc.identifiers),
        ndc_digits(doc.ndc),
        doc.material_type or "book",
        doc.language or "",
        list(doc.branches),
        list(doc.available_at),
        bool(doc.online),
        doc.year,
        doc.sort_reading or "\uffff",
    )


# -- SQL building ----------------------------------------------------------------------------
@dataclass
class Sql:
    """A fragment of SQL and its parameters, in order."""

    text: str = ""
    params: list[Any] = field(default_factory=list)


def _join(parts: list[Sql], joiner: str, empty: str) -> Sql:
    if not parts:
        return Sql(empty)
    return Sql("(" + joiner.join(p.text for p in parts) + ")", [x for p in parts for x in p.params])


def grams_sql(column: str) -> str:
    """The indexed expression of a key column (migration 0002): the same text, or no index."""
    function = "toshokan_search_bigrams" if column in ROMAJI_FIELDS else "toshokan_search_grams"
    return f"{function}({column})"


def needed_grams(key: str) -> list[str]:
    """The grams a field must have for `key` to occur in it: its character, or its bigrams."""
    return [key] if len(key) == 1 else sorted(set(bigrams(key)))


@dataclass(frozen=True)
class Clause:
    """A field where a term may match: the column, the term's key there and its weights."""

    column: str
    key: str
    contains: float
    whole: float


def term_clauses(term: Term) -> list[Clause]:
    out: list[Clause] = []
    if term.key:
        fields = UNIGRAM_FIELDS if len(term.key) == 1 else SURFACE_FIELDS
        out += [Clause(name, term.key, *TEXT_FIELDS[name]) for name in fields]
    if term.romaji and len(term.romaji) >= 2:
        out += [Clause(name, term.romaji, *TEXT_FIELDS[name]) for name in ROMAJI_FIELDS]
    return out


def match_sql(term: Term) -> Sql:
    """Where a term matches: some field has its grams (by index) AND some field has the term.

    Two ORs rather than one OR of pairs, so that PostgreSQL rechecks rows with strpos only and
    never recomputes their grams; equivalent, since a field that has the term has its grams.
    Keys of one or two characters are settled by the grams alone."""
    clauses = term_clauses(term)
    isbn = [Sql("identifiers @> %s::text[]", [[f"isbn:{term.isbn}"]])] if term.isbn else []
    indexed = _join(
        [Sql(f"{grams_sql(c.column)} @> %s::text[]", [needed_grams(c.key)]) for c in clauses] + isbn,
        " OR ",
        "FALSE",
    )
    if all(len(c.key) <= 2 for c in clauses):
        return indexed
    exact = _join([Sql(f"strpos({c.column}, %s) > 0", [c.key]) for c in clauses] + isbn, " OR ", "FALSE")
    return _join([indexed, exact], " AND ", "TRUE")


def _f(x: float) -> str:
    """A constant as float8 (a bare 3.0 would be numeric, and the score slow to add up)."""
    return f"{float(x)!r}::float8"


def _whole(key: str) -> str:
    return SEPARATOR + key + SEPARATOR


def _starts(key: str) -> str:
    return SEPARATOR + key


def score_sql(query: ParsedQuery) -> Sql:
    """The relevance of a matched row: the embedded engine's fixed weights (module docstring).
    The whole-value test runs only where the term occurs at all."""
    parts: list[Sql] = []
    for term in query.terms:
        for c in term_clauses(term):
            parts.append(
                Sql(
                    f"CASE WHEN strpos({c.column}, %s) > 0 THEN {_f(c.contains)}"
                    f" + CASE WHEN strpos({c.column}, %s) > 0 THEN {_f(c.whole)} ELSE 0 END ELSE 0 END",
                    [c.key, _whole(c.key)],
                )
            )
        if len(term.key) >= 2:
            damped = (
                f"{_f(BM25_K1 + 1)} / (1 + {_f(BM25_K1)} * ({_f(1 - BM25_B)}"
                f" + {_f(BM25_B / AVG_TITLE_CHARS)} * length(title)))"
            )
            parts.append(
                Sql(f"CASE WHEN strpos(title, %s) > 0 THEN {_f(TIE_BREAK)} * {damped} ELSE 0 END", [term.key])
            )
        for key in sorted({term.key, term.romaji} - {""}):
            parts.append(
                Sql(
                    f"CASE WHEN strpos(principal, %s) > 0 THEN {_f(PRINCIPAL_WEIGHT)} ELSE 0 END",
                    [_whole(key)],
                )
            )
        if term.marked:
            parts.append(
                Sql(
                    f"CASE WHEN strpos(title_marked, %s) > 0 THEN {_f(MARKED_WEIGHT)} ELSE 0 END",
                    [term.marked],
                )
            )
        if term.isbn:
            parts.append(
                Sql(
                    f"CASE WHEN identifiers @> %s::text[] THEN {_f(ISBN_WEIGHT)} ELSE 0 END",
                    [[f"isbn:{term.isbn}"]],
                )
            )
    for column, needle, weight in _bonus(query):
        parts.append(Sql(f"CASE WHEN strpos({column}, %s) > 0 THEN {_f(weight)} ELSE 0 END", [needle]))
    return _join(parts, " + ", "0::float8")


def _bonus(query: ParsedQuery) -> list[tuple[str, str, float]]:
    """The whole-query bonuses: the query is a record's whole title, reading or romaji, or starts it."""
    out: list[tuple[str, str, float]] = []
    if len(query.terms) > 1 and len(query.whole_key) >= 2:
        for name, weight in (("title", 6.0), ("reading", 4.0)):
            out.append((name, _whole(query.whole_key), weight))
            out.append((name, _starts(query.whole_key), weight / 2))
    if query.whole_romaji and len(query.whole_romaji) >= 2:
        out.append(("romaji", _whole(query.whole_romaji), 4.0))
        out.append(("romaji", _starts(query.whole_romaji), 2.0))
    if len(query.terms) == 1 and len(query.whole_key) >= 2:
        out.append(("title", _starts(query.whole_key), 2.0))
        out.append(("reading", _starts(query.whole_key), 1.5))
    return out


def filter_sql(request: SearchRequest) -> list[Sql]:
    f = request.filters
    out: list[Sql] = []
    ndc = [d for d in (ndc_digits(v) for v in f.ndc) if d]
    if ndc:
        out.append(_join([Sql("starts_with(ndc, %s)", [d]) for d in ndc], " OR ", "TRUE"))
    for column, values in (("material_type", f.material_type), ("language", f.language)):
        wanted = [v for v in values if v]
        if wanted:
            out.append(Sql(f"{column} = ANY(%s::text[])", [wanted]))
    branches = [b for b in f.branch if b]
    if f.available:
        if f.branch:
            out.append(Sql("available_at && %s::text[]", [branches]) if branches else Sql("TRUE"))
        else:
            out.append(Sql("cardinality(available_at) > 0"))
    elif branches:
        out.append(Sql("branches && %s::text[]", [branches]))
    if f.online:
        out.append(Sql("online"))
    if f.year_from is not None or f.year_to is not None:
        lo = f.year_from if f.year_from is not None else -10_000
        hi = f.year_to if f.year_to is not None else 10_000
        out.append(Sql("year BETWEEN %s AND %s", [lo, hi]))
    return out


ORDER_BY = {
    Sort.RELEVANCE: "score DESC, record_id",
    Sort.READING: "sort_reading, record_id",
    Sort.YEAR_DESC: "year DESC NULLS LAST, record_id",
    Sort.YEAR_ASC: "year ASC NULLS LAST, record_id",
}
# Facets in one pass over the matched rows with two hash tables, not one per facet: the scalar
# facets grouped together and the two branch lists together; Python adds the groups up per facet
# value (a few thousand groups at most, and it costs half the time of seven grouping sets).
FACET_SELECT = """
SELECT GROUPING(ndc1, material_type, language, online, decade, branches, available_at) AS g,
       count(*) AS n, ndc1, material_type, language, online, decade, branches, available_at
FROM (SELECT left(ndc, 1) AS ndc1, material_type, language, online,
             year - (year %% 10 + 10) %% 10 AS decade, branches, available_at FROM matched) s
GROUP BY GROUPING SETS ((ndc1, material_type, language, online, decade), (branches, available_at))
"""
# GROUPING() sets a bit for each column a grouping set leaves out, the first column highest.
_SCALAR_SET, _BRANCH_SET = 0b0000011, 0b1111100
_NO_FACET = "NULL::int, NULL::text, NULL::text, NULL::text, NULL::bool, NULL::int, NULL::text[], NULL::text[]"


def search_sql(query: ParsedQuery, request: SearchRequest) -> tuple[str, list[Any], Sort]:
    """One statement: the matched rows once (materialised), then the page of hits, and the facets
    or the bare total, as rows of one shape (kind, rank, number, score, grouping, facet values…)."""
    sort = request.sort
    if sort is Sort.RELEVANCE and not query.terms:
        sort = Sort.READING
    conditions = [match_sql(t) for t in query.terms] + filter_sql(request)
    where = _join(conditions, " AND ", "TRUE")
    score = score_sql(query) if sort is Sort.RELEVANCE else Sql("0::float8")
    params: list[Any] = [*score.params, *where.params]
    order = ORDER_BY[sort]
    parts = []
    if request.limit > 0:
        parts.append(
            f"SELECT 'hit', row_number() OVER (ORDER BY {order}), record_id, score, {_NO_FACET}"
            f" FROM (SELECT record_id, score, sort_reading, year FROM matched ORDER BY {order}"
            " LIMIT %s OFFSET %s) page"
        )
        params += [request.limit, request.offset]
    if request.facets:
        parts.append(
            "SELECT 'facet', NULL::bigint, n, NULL::float8, g, ndc1, material_type, language, online, decade,"
            f" branches, available_at FROM ({FACET_SELECT}) f"
        )
    else:
        parts.append(f"SELECT 'total', NULL::bigint, count(*), NULL::float8, {_NO_FACET} FROM matched")
    sql = (
        "WITH matched AS MATERIALIZED ("
        f"SELECT record_id, {score.text} AS score, sort_reading, year, ndc, material_type, language,"
        f" online, branches, available_at FROM {TABLE} WHERE {where.text}) " + " UNION ALL ".join(parts)
    )
    return sql, params, sort


def read_result(rows: Iterable[Sequence[Any]], request: SearchRequest, sort: Sort) -> EngineResult:
    hits: list[tuple[int, Hit]] = []
    total = 0
    counts: dict[str, Counter[str]] = {name: Counter() for name in FACET_NAMES}
    for kind, rank, number, score, g, ndc1, material, language, online, decade, branches, available in rows:
        if kind == "hit":
            hits.append((rank, Hit(id=int(number), score=float(score) if sort is Sort.RELEVANCE else 0.0)))
        elif kind == "total":
            total = int(number)
        elif g == _SCALAR_SET:
            n = int(number)
            total += n  # every matched row is in exactly one group of each set
            if ndc1:
                counts["ndc"][ndc1] += n
            counts["material_type"][material] += n
            if language:
                counts["language"][language] += n
            counts["online"]["1" if online else "0"] += n
            if decade is not None:
                counts["decade"][str(decade)] += n
        elif g == _BRANCH_SET:
            n = int(number)
            for code in branches:
                counts["branch"][code] += n
            for code in available:
                counts["available"][code] += n
    facets: dict[str, dict[str, int]] = {}
    if request.facets:
        for name, buckets in counts.items():
            limit = FACET_LIMIT["ndc1" if name == "ndc" else name]
            top = sorted(buckets.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
            facets[name] = dict(top)
    return EngineResult(total=total, hits=[h for _, h in sorted(hits, key=lambda rh: rh[0])], facets=facets)


class PostgresBackend:
    name = "postgres"

    def __init__(self, using: str = "default") -> None:
        self.using = using
        vendor = connections[using].vendor
        if vendor != "postgresql":
            raise ImproperlyConfigured(
                "The 'postgres' search backend needs a PostgreSQL database, but the "
                f"{using!r} database is {vendor}. Set DATABASE_URL=postgres://… or use "
                "TOSHOKAN_SEARCH_BACKEND=tantivy."
            )

    @property
    def _connection(self) -> Any:
        return connections[self.using]

    # -- writes ----------------------------------------------------------------------------------
    def index(self, documents: Iterable[SearchDocument]) -> None:
        rows = [to_row(doc) for doc in documents]
        if not rows:
            return
        columns = ", ".join(COLUMNS)
        values = ", ".join("%s::text[]" if c in ARRAY_COLUMNS else "%s" for c in COLUMNS)
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in COLUMNS[1:])
        sql = f"INSERT INTO {TABLE} ({columns}) VALUES ({values}) ON CONFLICT (record_id) DO UPDATE SET {updates}"
        with transaction.atomic(using=self.using), self._connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [LOCK_KEY])
            cursor.executemany(sql, rows)

    def delete(self, ids: Iterable[int]) -> None:
        ids = list(ids)
        if not ids:
            return
        with transaction.atomic(using=self.using), self._connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [LOCK_KEY])
            cursor.execute(f"DELETE FROM {TABLE} WHERE record_id = ANY(%s::bigint[])", [ids])

    def prepare(self, document: SearchDocument) -> tuple[Any, ...]:
        return _copy_row(to_row(document))

    def rebuild(
        self, documents: Iterable[SearchDocument], *, on_progress: Callable[[int], None] | None = None
    ) -> None:
        self.rebuild_prepared(map(self.prepare, documents), on_progress=on_progress)

    def rebuild_prepared(
        self, items: Iterable[tuple[Any, ...]], *, on_progress: Callable[[int], None] | None = None
    ) -> None:
        """Load a fresh table, index it, and swap it in, in one transaction: searches read the old
        table until the swap commits, and index/delete calls made meanwhile wait for it and then
        apply to the new one. The new table gets the live table's indexes, whatever they are."""
        started = time.monotonic()
        with transaction.atomic(using=self.using), self._connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            cursor.execute(f"DROP TABLE IF EXISTS {BUILD_TABLE}")
            cursor.execute(
                f"CREATE TABLE {BUILD_TABLE} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING STORAGE"
                " INCLUDING COMPRESSION)"
            )
            # One COPY per batch, the batch taken from `documents` before its COPY starts: the
            # documents are usually read from this same connection (the catalogue), which cannot
            # run a query while a COPY is open on it.
            rows = iter(items)
            while batch := list(itertools.islice(rows, COPY_BATCH)):
                with cursor.cursor.copy(f"COPY {BUILD_TABLE} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                    for row in batch:
                        copy.write_row(row)
                if on_progress:
                    on_progress(len(batch))
            loaded = time.monotonic()
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
                " AND tablename = %s AND indexname <> %s",
                [TABLE, f"{TABLE}_pkey"],
            )
            indexes = cursor.fetchall()
            cursor.execute(
                f"ALTER TABLE {BUILD_TABLE} ADD CONSTRAINT {BUILD_TABLE}_pkey PRIMARY KEY (record_id)"
            )
            for name, definition in indexes:
                cursor.execute(_retarget_index(definition, name))
            cursor.execute(f"ANALYZE {BUILD_TABLE}")
            indexed = time.monotonic()
            cursor.execute(f"DROP TABLE {TABLE}")
            cursor.execute(f"ALTER TABLE {BUILD_TABLE} RENAME TO {TABLE}")
            cursor.execute(f"ALTER TABLE {TABLE} RENAME CONSTRAINT {BUILD_TABLE}_pkey TO {TABLE}_pkey")
            for name, _ in indexes:
                cursor.execute(f"ALTER INDEX {name}__next RENAME TO {name}")
        log.info(
            "search: rebuilt %s: rows loaded in %.1f s, indexed in %.1f s, swapped in %.1f s",
            TABLE,
            loaded - started,
            indexed - loaded,
            time.monotonic() - indexed,
        )

    def clear(self) -> None:
        with transaction.atomic(using=self.using), self._connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
            cursor.execute(f"TRUNCATE {TABLE}")

    def count(self) -> int:
        with self._connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {TABLE}")
            return int(cursor.fetchone()[0])

    # -- reads -----------------------------------------------------------------------------------
    def search(self, query: ParsedQuery, request: SearchRequest) -> EngineResult:
        sql, params, sort = search_sql(query, request)
        return read_result(self._run(sql, params, has_terms=bool(query.terms)), request, sort)

    def explain(self, query: ParsedQuery, request: SearchRequest) -> str:
        """PostgreSQL's plan for this search, with timings (for tuning and docs/search-backends.md)."""
        sql, params, _ = search_sql(query, request)
        rows = self._run("EXPLAIN (ANALYZE, BUFFERS) " + sql, params, has_terms=bool(query.terms))
        return "\n".join(row[0] for row in rows)

    def _run(self, sql: str, params: list[Any], *, has_terms: bool) -> list[Any]:
        """Run a search with the planner settings it needs, set for it alone and put back after it
        (they never leak into the caller's transaction):

        - enable_seqscan off when the query has terms: every term has an index path, and a scan of
          the whole table would compute the grams of every row (the planner cannot know how dear
          that is when a common character matches most of the catalogue);
        - work_mem large enough that the bitmap of a broad match stays exact (a lossy bitmap would
          recompute grams to recheck) and the matched rows stay in memory;
        - no JIT: compiling costs more than any of these queries saves;
        - no parallel workers: passing tens of thousands of matched rows through Gather cost more
          than the workers saved (measured on two cores), and one query per core serves many
          readers better.

        With client-side binding (Django's default for psycopg 3) the settings, the search and the
        restoring go to the server as one string, one round trip, in one implicit transaction when
        the caller has none; otherwise the search gets a savepoint of its own, rolled back after."""
        settings = {**SEARCH_SETTINGS, **({"enable_seqscan": "off"} if has_terms else {})}
        with self._connection.cursor() as cursor:
            if isinstance(cursor.cursor, psycopg.ClientCursor):
                save = ", ".join(
                    f"set_config('toshokan_search.{name}', current_setting('{name}'), true),"
                    f" set_config('{name}', %s, true)"
                    for name in settings
                )
                restore = ", ".join(
                    f"set_config('{name}', current_setting('toshokan_search.{name}'), true)"
                    for name in settings
                )
                cursor.execute(f"SELECT {save}; {sql}; SELECT {restore}", [*settings.values(), *params])
                cursor.nextset()
                return list(cursor.fetchall())
        with transaction.atomic(using=self.using), self._connection.cursor() as cursor:
            cursor.execute(
                "SELECT " + ", ".join("set_config(%s, %s, true)" for _ in settings),
                [x for item in settings.items() for x in item],
            )
            cursor.execute(sql, params)
            rows: list[Any] = cursor.fetchall()
            transaction.set_rollback(True, using=self.using)
        return rows


def _copy_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """COPY's text format takes arrays as their literal."""
    return tuple(_array_literal(v) if isinstance(v, list) else v for v in row)


def _array_literal(values: list[str]) -> str:
    return "{" + ",".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values) + "}"


_INDEX_TARGET = re.compile(r"^CREATE (UNIQUE )?INDEX (\S+) ON (ONLY )?(\S+\.)?(\S+) ")


def _retarget_index(definition: str, name: str) -> str:
    """The live table's index definition, for the build table and under a temporary name."""
    match = _INDEX_TARGET.match(definition)
    if not match or match.group(5) != TABLE:
        raise RuntimeError(f"unexpected index definition: {definition}")
    unique = match.group(1) or ""
    return f"CREATE {unique}INDEX {name}__next ON {BUILD_TABLE} " + definition[match.end() :]
