"""The PostgreSQL engine: the catalogue search inside the database, for sites that run PostgreSQL and
would rather not keep an index directory beside it.

It matches exactly as the embedded engine does (toshokan.search.domain.query, "Matching rule"):
each text field of a record is a tsvector written by us, not by PostgreSQL's text parser (which
would split Japanese by its own rules): the field's values as our bigram tokens with explicit
positions, each value between a start marker and an end token —

    「東京都」 → '^':1 '東京':2 '京都':3 '都$':4

A term of two or more characters is the tsquery phrase of its bigrams ('東京' <-> '京都'), which
matches only where they stand side by side in one value; the markers keep values apart and let
the ranking ask for a value that is, or starts with, the term ('^' <-> '東京' <-> '京都' <-> '都$').
The last character rides on the end token (「都$」) so that a one-character term is a prefix query
('都':*) on the same vector: a character occurs in a value exactly when some token starts with it.
Every lexeme goes into the query quoted as a tsquery literal and passed as a parameter.

One row per record in `search_document` (toshokan.search.models): seven tsvector columns with a GIN
index each, so a term is an OR of index scans and a query an AND of those; PostgreSQL rechecks the
phrase on the rows the index proposes, which makes totals exact. Facets come from one GROUPING SETS
pass over the matched rows, the page of hits from the same materialised set.

Ranking is the embedded engine's sum of fixed weights (docs/search.md, "Ranking"), written as
one SQL expression evaluated on the matched rows only: per term, the weight of each field it
occurs in and the extra weight when it is the field's whole value (TEXT_FIELDS), the author bonus
(the term is the whole key of a principal creator), the marked-title bonus, the ISBN weight, the
whole-query bonuses (the query is, or starts, the title, reading or romanised title), and a
tie-break by the title's length in place of the embedded engine's BM25 tie-break.

Limits of tsvector: positions stop at 16,383 and one lexeme keeps at most 256 positions per field,
so a single field with more than ~16,000 characters, or one bigram repeated more than 256 times in
one field, is not searchable beyond those points (catalogue records never come near either).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import connections, transaction

from ..domain.documents import SearchDocument
from ..domain.ngrams import START, bigrams
from ..domain.query import ParsedQuery, SearchRequest, Sort, Term
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
END = "$"
MAX_POSITION = 16383  # tsvector positions above this are clamped by PostgreSQL
# pg_advisory_xact_lock key ("toshokan" in ASCII): writers share it, a rebuild takes it alone.
LOCK_KEY = 0x746F73686F6B616E
VECTOR_COLUMNS = (*TEXT_FIELDS, "title_marked")
ARRAY_COLUMNS = ("principal", "identifiers", "branches", "available_at")
COLUMNS = (
    "record_id",
    *VECTOR_COLUMNS,
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
ISBN_WEIGHT = 10.0
# The tie-break: BM25's length factor with tf = 1, (k1 + 1) / (1 + k1 (1 - b + b len / avg_len)),
# over the title's length in distinct lexemes, times TIE_BREAK (at most ~0.05: below any weight).
BM25_K1, BM25_B, AVG_LEXEMES = 1.2, 0.75, 24.0
FACET_LIMIT = {**FACET_SIZE, "online": 2}


# -- tsvector and tsquery literals ------------------------------------------------------------
def quote_lexeme(lexeme: str) -> str:
    """A lexeme as tsvector/tsquery input: in single quotes, quote doubled, backslash escaped."""
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def value_tokens(value: str) -> list[str]:
    """^ b1 … bn c$ — the bigrams between a start marker and the last character with the end marker."""
    if not value:
        return []
    return [START, *map(str.__add__, value, value[1:]), value[-1] + END]


_POSITIONS = [str(i) for i in range(MAX_POSITION + 1)]


def field_vector(values: Sequence[str]) -> str:
    """The tsvector literal of one multi-valued field, every token at its own position.

    A token met twice is written twice and PostgreSQL merges its positions. Match keys hold letters
    and digits only, so quoting is needed only for values from elsewhere. (Written for speed: a
    rebuild formats about a hundred tokens per record.)"""
    parts: list[str] = []
    position = 0
    for value in values:
        if not value:
            continue
        n = len(value)
        if position + n + 1 > MAX_POSITION:
            log.warning("search: field too long for a tsvector, values after position %s left out", position)
            break
        tokens = value_tokens(value)
        if "'" in value or "\\" in value:
            tokens = [quote_lexeme(t)[1:-1] for t in tokens]
        parts.append(
            "'"
            + " '".join(map("':".join, zip(tokens, _POSITIONS[position + 1 : position + n + 2], strict=True)))
        )
        position += n + 1
    return " ".join(parts)


def phrase(tokens: Sequence[str]) -> str:
    return " <-> ".join(quote_lexeme(t) for t in tokens)


def contains_query(key: str) -> str:
    """Where `key` occurs inside a value: the phrase of its bigrams; one character, a token prefix."""
    if len(key) == 1:
        return quote_lexeme(key) + ":*"
    return phrase(bigrams(key))


def exact_query(key: str) -> str:
    """`key` is a whole value."""
    return phrase(value_tokens(key))


def prefix_query(key: str) -> str:
    """A value starts with `key` (two characters or more)."""
    return phrase(value_tokens(key)[:-1])


def ndc_digits(ndc: str) -> str:
    return "".join(c for c in ndc if c.isdigit())[:3]


def to_row(doc: SearchDocument) -> tuple[Any, ...]:
    return (
        doc.id,
        *(field_vector(getattr(doc, name)) for name in VECTOR_COLUMNS),
        list(doc.principal),
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


def _any(parts: list[Sql], joiner: str, empty: str) -> Sql:
    if not parts:
        return Sql(empty)
    return Sql("(" + joiner.join(p.text for p in parts) + ")", [x for p in parts for x in p.params])


def _tie_break() -> str:
    damped = f"{BM25_K1 + 1} / (1 + {BM25_K1} * ({1 - BM25_B} + {BM25_B} * length(title) / {AVG_LEXEMES}))"
    return f"{TIE_BREAK} * {damped}"


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
    """Where a term matches: an OR over the fields (each a GIN index scan), or the ISBN."""
    parts = [Sql(f"{c.column} @@ %s::tsquery", [contains_query(c.key)]) for c in term_clauses(term)]
    if term.isbn:
        parts.append(Sql("identifiers @> %s::text[]", [[f"isbn:{term.isbn}"]]))
    return _any(parts, " OR ", "FALSE")


def score_sql(query: ParsedQuery) -> Sql:
    """The relevance of a matched row: the embedded engine's fixed weights (module docstring).
    The whole-value test runs only where the term occurs at all."""
    parts: list[Sql] = []
    for term in query.terms:
        for c in term_clauses(term):
            parts.append(
                Sql(
                    f"CASE WHEN {c.column} @@ %s::tsquery THEN {c.contains}"
                    f" + CASE WHEN {c.column} @@ %s::tsquery THEN {c.whole} ELSE 0 END ELSE 0 END",
                    [contains_query(c.key), exact_query(c.key)],
                )
            )
        if len(term.key) >= 2:
            parts.append(
                Sql(
                    f"CASE WHEN title @@ %s::tsquery THEN {_tie_break()} ELSE 0 END",
                    [contains_query(term.key)],
                )
            )
        for key in sorted({term.key, term.romaji} - {""}):
            parts.append(
                Sql(f"CASE WHEN principal @> %s::text[] THEN {PRINCIPAL_WEIGHT} ELSE 0 END", [[key]])
            )
        if term.marked:
            parts.append(
                Sql(
                    f"CASE WHEN title_marked @@ %s::tsquery THEN {MARKED_WEIGHT} ELSE 0 END",
                    [contains_query(term.marked)],
                )
            )
        if term.isbn:
            parts.append(
                Sql(
                    f"CASE WHEN identifiers @> %s::text[] THEN {ISBN_WEIGHT} ELSE 0 END",
                    [[f"isbn:{term.isbn}"]],
                )
            )
    for column, tsquery, weight in _bonus(query):
        parts.append(Sql(f"CASE WHEN {column} @@ %s::tsquery THEN {weight} ELSE 0 END", [tsquery]))
    return _any(parts, " + ", "0")


def _bonus(query: ParsedQuery) -> list[tuple[str, str, float]]:
    """The whole-query bonuses: the query is a record's whole title, reading or romaji, or starts it."""
    out: list[tuple[str, str, float]] = []
    if len(query.terms) > 1 and len(query.whole_key) >= 2:
        for name, weight in (("title", 6.0), ("reading", 4.0)):
            out.append((name, exact_query(query.whole_key), weight))
            out.append((name, prefix_query(query.whole_key), weight / 2))
    if query.whole_romaji and len(query.whole_romaji) >= 2:
        out.append(("romaji", exact_query(query.whole_romaji), 4.0))
        out.append(("romaji", prefix_query(query.whole_romaji), 2.0))
    if len(query.terms) == 1 and len(query.whole_key) >= 2:
        out.append(("title", prefix_query(query.whole_key), 2.0))
        out.append(("reading", prefix_query(query.whole_key), 1.5))
    return out


def filter_sql(request: SearchRequest) -> list[Sql]:
    f = request.filters
    out: list[Sql] = []
    ndc = [d for d in (ndc_digits(v) for v in f.ndc) if d]
    if ndc:
        out.append(_any([Sql("starts_with(ndc, %s)", [d]) for d in ndc], " OR ", "TRUE"))
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
FACET_SELECT = """
SELECT GROUPING(ndc1, material_type, language, online, decade, branches, available_at) AS g,
       count(*) AS n, ndc1, material_type, language, online, decade, branches, available_at
FROM (SELECT left(ndc, 1) AS ndc1, material_type, language, online,
             (floor(year / 10.0) * 10)::int AS decade, branches, available_at FROM matched) s
GROUP BY GROUPING SETS ((ndc1), (material_type), (language), (online), (decade), (branches),
                       (available_at), ())
"""
# The bit GROUPING() leaves clear for the one column a grouping set keeps (the first column is the
# highest bit); all set means the grand total.
_FACET_BITS = {
    "ndc": 64,
    "material_type": 32,
    "language": 16,
    "online": 8,
    "decade": 4,
    "branch": 2,
    "available": 1,
}


def search_sql(query: ParsedQuery, request: SearchRequest) -> tuple[str, list[Any], Sort]:
    """One statement: the matched rows once (materialised), then the page of hits, and the facets
    or the bare total, as rows of one shape (kind, rank, number, score, grouping, facet values…)."""
    sort = request.sort
    if sort is Sort.RELEVANCE and not query.terms:
        sort = Sort.READING
    conditions = [match_sql(t) for t in query.terms] + filter_sql(request)
    where = _any(conditions, " AND ", "TRUE")
    score = score_sql(query) if sort is Sort.RELEVANCE else Sql("0")
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


_NO_FACET = "NULL::int, NULL::text, NULL::text, NULL::text, NULL::bool, NULL::int, NULL::text[], NULL::text[]"


def read_result(rows: Iterable[Sequence[Any]], request: SearchRequest, sort: Sort) -> EngineResult:
    hits: list[tuple[int, Hit]] = []
    total = 0
    counts: dict[str, dict[str, int]] = {name: {} for name in _FACET_BITS}
    for kind, rank, number, score, g, ndc1, material, language, online, decade, branches, available in rows:
        if kind == "hit":
            hits.append((rank, Hit(id=int(number), score=float(score) if sort is Sort.RELEVANCE else 0.0)))
        elif kind == "total" or g == 127:
            total = int(number)
        else:
            n = int(number)
            if g == 127 - _FACET_BITS["ndc"] and ndc1:
                counts["ndc"][ndc1] = n
            elif g == 127 - _FACET_BITS["material_type"]:
                counts["material_type"][material] = n
            elif g == 127 - _FACET_BITS["language"] and language:
                counts["language"][language] = n
            elif g == 127 - _FACET_BITS["online"]:
                counts["online"]["1" if online else "0"] = n
            elif g == 127 - _FACET_BITS["decade"] and decade is not None:
                counts["decade"][str(decade)] = n
            elif g == 127 - _FACET_BITS["branch"]:
                for code in branches:
                    counts["branch"][code] = counts["branch"].get(code, 0) + n
            elif g == 127 - _FACET_BITS["available"]:
                for code in available:
                    counts["available"][code] = counts["available"].get(code, 0) + n
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
        values = ", ".join(f"%s::{_cast(c)}" if _cast(c) else "%s" for c in COLUMNS)
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

    def rebuild(
        self, documents: Iterable[SearchDocument], *, on_progress: Callable[[int], None] | None = None
    ) -> None:
        """Load a fresh table, index it, and swap it in: searches read the old table until the swap
        commits, and index/delete calls made meanwhile wait and then apply to the new one."""
        with transaction.atomic(using=self.using), self._connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            cursor.execute(f"DROP TABLE IF EXISTS {BUILD_TABLE}")
            cursor.execute(
                f"CREATE TABLE {BUILD_TABLE} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING STORAGE"
                " INCLUDING COMPRESSION)"
            )
            batch = 0
            with cursor.cursor.copy(f"COPY {BUILD_TABLE} ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for doc in documents:
                    copy.write_row(_copy_row(to_row(doc)))
                    batch += 1
                    if on_progress and batch == 1000:
                        on_progress(batch)
                        batch = 0
            if on_progress and batch:
                on_progress(batch)
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
            cursor.execute(f"DROP TABLE {TABLE}")
            cursor.execute(f"ALTER TABLE {BUILD_TABLE} RENAME TO {TABLE}")
            cursor.execute(f"ALTER TABLE {TABLE} RENAME CONSTRAINT {BUILD_TABLE}_pkey TO {TABLE}_pkey")
            for name, _ in indexes:
                cursor.execute(f"ALTER INDEX {name}__next RENAME TO {name}")

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
        with self._connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return read_result(rows, request, sort)

    def explain(self, query: ParsedQuery, request: SearchRequest) -> str:
        """PostgreSQL's plan for this search, with timings (for tuning and docs/search-backends.md)."""
        sql, params, _ = search_sql(query, request)
        with self._connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            return "\n".join(row[0] for row in cursor.fetchall())


def _cast(column: str) -> str:
    if column in VECTOR_COLUMNS:
        return "tsvector"
    if column in ARRAY_COLUMNS:
        return "text[]"
    return ""


def _copy_row(row: tuple[Any, ...]) -> tuple[Any, ...]:
    """COPY's text format takes arrays as their literal; tsvectors already are text."""
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
