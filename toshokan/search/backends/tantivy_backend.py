"""The embedded engine: Tantivy (a Rust library, through its official Python binding) over our bigrams.

Tantivy's own n-gram tokenizer puts every gram at position 0, so phrase queries cannot tell
「東京都」 from a record with 東京 and 京都 apart and totals come out inflated. We feed it our own
bigram stream instead (toshokan.search.domain.ngrams) through its whitespace tokenizer, with
positions, and query a term as the phrase of its bigrams: exact substring matches, exact totals.
The romaji fields hold trigrams (a twenty-letter alphabet makes every bigram common), and
one-character terms use separate unigram fields.

The index lives in a directory (settings.TOSHOKAN_SEARCH["INDEX_DIR"]). Any number of processes may
read it; writes are serialised by an fcntl lock, since Tantivy allows one writer per index.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import tantivy

from ..domain.documents import SearchDocument
from ..domain.ngrams import (
    Phrase,
    phrase,
    start_phrase,
    trigram_phrase,
    trigram_start_phrase,
    trigram_value_tokens,
    value_tokens,
)
from ..domain.query import ParsedQuery, SearchRequest, Sort, Term
from .base import EngineResult, Hit

SCHEMA_VERSION = 9


def _index_version() -> str:
    from toshokan.core.japanese import KEYS_VERSION

    return f"{SCHEMA_VERSION}.{KEYS_VERSION}"


# The relevance score is a sum of fixed weights, one for every (term, field) match — so that it
# says *where* each term was found, which is what makes a result relevant to a person — plus a
# small BM25 tie-break that prefers short titles (docs/search.md, "Ranking"). BM25 alone would
# let rarity decide: an author's name is rare in titles and common among creators, so a work
# *about* 芥川竜之介 would outrank the works *by* him.
TEXT_FIELDS = {  # field → (weight when a term occurs in a value, extra weight when it is the value)
    "title": (3.0, 5.0),
    "reading": (2.0, 4.0),
    "romaji": (1.5, 3.0),
    "creator": (2.5, 5.5),
    "creator_reading": (2.0, 4.5),
    "creator_romaji": (2.0, 4.5),
    "other": (0.3, 0.3),
}
MARKED_WEIGHT = 3.0
PRINCIPAL_WEIGHT = 2.0
TIE_BREAK = 0.02  # × BM25 of the terms in the title field
UNIGRAM_FIELDS = ("title", "reading", "creator", "creator_reading", "other")
ROMAJI_FIELDS = ("romaji", "creator_romaji")
SURFACE_FIELDS = ("title", "reading", "creator", "creator_reading", "other")
FACET_SIZE = {"ndc1": 10, "material_type": 20, "language": 20, "branch": 50, "available": 50, "decade": 30}
WRITER_HEAP = 128_000_000
# The one-character fields hold each value's characters, split by Tantivy itself (positions are
# not needed there, so its n-gram tokenizer, which puts every gram at position 0, is exact).
UNIGRAM_TOKENIZER = "toshokan_unigram"


def _register_tokenizers(index: tantivy.Index) -> None:
    index.register_tokenizer(
        UNIGRAM_TOKENIZER, tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.ngram(1, 1, False)).build()
    )


def _schema() -> tantivy.Schema:
    b = tantivy.SchemaBuilder()
    b.add_integer_field("id", stored=True, indexed=True, fast=True)
    for name in TEXT_FIELDS:
        b.add_text_field(name, tokenizer_name="whitespace", index_option="position")
    for name in UNIGRAM_FIELDS:
        b.add_text_field(f"{name}_u", tokenizer_name=UNIGRAM_TOKENIZER, index_option="freq")
    # Each value's whole key as one term: "the term is the whole value" is a term lookup here. As a
    # phrase between the ^ and $ markers it cost a walk of those markers' postings (every record
    # has them) and doubled p95 at a million records (docs/benchmarks.md).
    for name in TEXT_FIELDS:
        b.add_text_field(f"{name}_whole", tokenizer_name="raw", index_option="basic")
    b.add_text_field("title_marked", tokenizer_name="whitespace", index_option="position")
    b.add_text_field("principal", tokenizer_name="raw", index_option="basic")
    b.add_text_field("ident", tokenizer_name="raw", index_option="basic")
    for name in ("ndc", "ndc1", "material_type", "language", "branch", "available", "online", "decade"):
        b.add_text_field(name, tokenizer_name="raw", index_option="basic", fast=True)
    b.add_integer_field("year", indexed=True, fast=True)
    b.add_text_field("sort_reading", tokenizer_name="raw", index_option="basic", fast=True)
    return b.build()


def _ndc_prefixes(ndc: str) -> list[str]:
    digits = "".join(c for c in ndc if c.isdigit())[:3]
    return [digits[:i] for i in range(1, len(digits) + 1)]


_SCHEMA = _schema()


def to_tantivy(doc: SearchDocument) -> tantivy.Document:
    return _document(document_fields(doc))


def _document(fields: dict[str, Any]) -> tantivy.Document:
    # Typed by the schema in one call: a quarter quicker than Document(**fields), which converts
    # each value on its own (it runs for every record of a rebuild).
    return tantivy.Document.from_dict(fields, _SCHEMA)


def document_fields(doc: SearchDocument) -> dict[str, Any]:
    """The field values of one record's Tantivy document: plain data, so worker processes can make them."""
    fields: dict[str, Any] = {"id": doc.id}
    for name in TEXT_FIELDS:
        values = getattr(doc, name)
        if values:
            fields[name] = trigram_value_tokens(values) if name in ROMAJI_FIELDS else value_tokens(values)
            fields[f"{name}_whole"] = values
    for name in UNIGRAM_FIELDS:
        values = getattr(doc, name)
        if values:
            fields[f"{name}_u"] = values
    if doc.title_marked:
        fields["title_marked"] = value_tokens(doc.title_marked)
    if doc.principal:
        fields["principal"] = doc.principal
    if doc.identifiers:
        fields["ident"] = doc.identifiers
    ndc = _ndc_prefixes(doc.ndc)
    if ndc:
        fields["ndc"] = ndc
        fields["ndc1"] = ndc[0]
    fields["material_type"] = doc.material_type or "book"
    if doc.language:
        fields["language"] = doc.language
    if doc.branches:
        fields["branch"] = doc.branches
    if doc.available_at:
        fields["available"] = doc.available_at
    fields["online"] = "1" if doc.online else "0"
    if doc.year is not None:
        fields["year"] = doc.year
        fields["decade"] = str(doc.year // 10 * 10)
    fields["sort_reading"] = doc.sort_reading or "\uffff"
    return fields


class TantivyBackend:
    name = "tantivy"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._schema = _SCHEMA
        self._index: tantivy.Index | None = None
        self._meta_mtime = 0.0

    # -- lifecycle -------------------------------------------------------------------------------
    def _open(self) -> tantivy.Index:
        if self._index is None:
            with self._lock:
                if self._index is None:
                    self.path.mkdir(parents=True, exist_ok=True)
                    version_file = self.path / "toshokan-schema.json"
                    current = None
                    if version_file.exists():
                        current = json.loads(version_file.read_text()).get("version")
                    if current != _index_version():
                        # An index from another schema or match-key version is emptied, never
                        # misread; `manage.py load_demo` or `rebuild_index` fills it again.
                        for child in self.path.iterdir():
                            if child.is_file() and child.name != ".writer.lock":
                                child.unlink()
                        index = tantivy.Index(self._schema, path=str(self.path), reuse=False)
                        version_file.write_text(json.dumps({"version": _index_version()}))
                    else:
                        index = tantivy.Index(self._schema, path=str(self.path), reuse=True)
                    _register_tokenizers(index)
                    self._index = index
        return self._index

    def _fresh(self) -> tantivy.Index:
        """The index, reloaded if another process (or writer) committed since we last looked."""
        index = self._open()
        try:
            mtime = (self.path / "meta.json").stat().st_mtime
        except FileNotFoundError:
            mtime = 0.0
        if mtime != self._meta_mtime:
            index.reload()
            self._meta_mtime = mtime
        return index

    @contextlib.contextmanager
    def _writer(self, heap: int = 50_000_000, threads: int = 1) -> Iterator[tantivy.IndexWriter]:
        index = self._open()
        self.path.mkdir(parents=True, exist_ok=True)
        with self._lock, open(self.path / ".writer.lock", "w") as lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            writer = index.writer(heap_size=heap, num_threads=threads)
            try:
                yield writer
                writer.commit()
                writer.wait_merging_threads()
            except BaseException:
                writer.rollback()
                raise
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)
        index.reload()

    # -- writes ----------------------------------------------------------------------------------
    def index(self, documents: Iterable[SearchDocument]) -> None:
        docs = list(documents)
        if not docs:
            return
        with self._writer() as writer:
            for doc in docs:
                writer.delete_documents_by_term("id", doc.id)
                writer.add_document(to_tantivy(doc))

    def delete(self, ids: Iterable[int]) -> None:
        ids = list(ids)
        if not ids:
            return
        with self._writer() as writer:
            for record_id in ids:
                writer.delete_documents_by_term("id", record_id)

    def prepare(self, document: SearchDocument) -> dict[str, Any]:
        # Plain field values, not a tantivy.Document: those pickle through a slow path.
        return document_fields(document)

    def rebuild(
        self, documents: Iterable[SearchDocument], *, on_progress: Callable[[int], None] | None = None
    ) -> None:
        self.rebuild_prepared(map(document_fields, documents), on_progress=on_progress)

    def rebuild_prepared(
        self, items: Iterable[dict[str, Any]], *, on_progress: Callable[[int], None] | None = None
    ) -> None:
        threads = max(1, min(4, os.cpu_count() or 1))
        with self._writer(heap=WRITER_HEAP * threads, threads=threads) as writer:
            writer.delete_all_documents()
            batch = 0
            for fields in items:
                writer.add_document(_document(fields))
                batch += 1
                if on_progress and batch == 1000:
                    on_progress(batch)
                    batch = 0
            if on_progress and batch:
                on_progress(batch)

    def clear(self) -> None:
        with self._writer() as writer:
            writer.delete_all_documents()

    def count(self) -> int:
        return int(self._fresh().searcher().num_docs)

    # -- reads -----------------------------------------------------------------------------------
    def _phrase(self, field: str, tokens: Phrase) -> tantivy.Query:
        if len(tokens) == 1:
            return tantivy.Query.term_query(self._schema, field, tokens[0][1])
        words: list[str | tuple[int, str]] = list(tokens)
        return tantivy.Query.phrase_query(self._schema, field, words)

    def _boost(self, query: tantivy.Query, weight: float) -> tantivy.Query:
        return tantivy.Query.boost_query(query, weight)

    def _whole(self, field: str, key: str) -> tantivy.Query:
        """Records with a value in `field` that is exactly `key`."""
        return tantivy.Query.term_query(self._schema, f"{field}_whole", key)

    def _starts(self, field: str, key: str) -> tantivy.Query:
        """Records with a value in `field` that starts with `key` (two characters or more)."""
        if field in ROMAJI_FIELDS:
            return self._phrase(field, trigram_start_phrase(key))
        return self._phrase(field, start_phrase(key))

    def _romaji_contains(self, field: str, key: str) -> tantivy.Query:
        """Records with a value in the romaji `field` that contains `key` (two letters or more)."""
        if len(key) == 2:
            # Any trigram or end token that starts with the two letters (keys are letters and digits).
            return tantivy.Query.regex_query(self._schema, field, f"{key}.*")
        return self._phrase(field, trigram_phrase(key))

    def _weight(self, query: tantivy.Query, weight: float) -> tantivy.Query:
        return tantivy.Query.const_score_query(query, weight)

    def term_query(self, term: Term) -> tantivy.Query:
        """Where one term may match: any field, as the phrase of its bigrams."""
        clauses: list[tantivy.Query] = []
        if term.key:
            if len(term.key) == 1:
                for name in UNIGRAM_FIELDS:
                    contains, whole = TEXT_FIELDS[name]
                    clauses.append(self._weight(self._phrase(f"{name}_u", [(0, term.key)]), contains))
                    clauses.append(self._weight(self._whole(name, term.key), whole))
            else:
                grams = phrase(term.key)
                for name in SURFACE_FIELDS:
                    contains, whole = TEXT_FIELDS[name]
                    clauses.append(self._weight(self._phrase(name, grams), contains))
                    # A value that is exactly this term ranks above one that merely contains it.
                    clauses.append(self._weight(self._whole(name, term.key), whole))
                clauses.append(self._boost(self._phrase("title", grams), TIE_BREAK))
        if term.romaji and len(term.romaji) >= 2:
            for name in ROMAJI_FIELDS:
                contains, whole = TEXT_FIELDS[name]
                clauses.append(self._weight(self._romaji_contains(name, term.romaji), contains))
                clauses.append(self._weight(self._whole(name, term.romaji), whole))
        if term.isbn:
            clauses.append(
                self._weight(tantivy.Query.term_query(self._schema, "ident", f"isbn:{term.isbn}"), 10.0)
            )
        if not clauses:
            return tantivy.Query.empty_query()
        # Ranking only: these add to the score of a record the clauses above match, and never
        # match one by themselves (they sit beside the matching group, not inside it).
        ranking: list[tantivy.Query] = []
        # The term is the whole name, reading or romaji of one of the work's authors.
        for key in {term.key, term.romaji} - {""}:
            ranking.append(
                self._weight(tantivy.Query.term_query(self._schema, "principal", key), PRINCIPAL_WEIGHT)
            )
        if term.marked:
            # The term's brackets or marks stand in the title exactly as typed.
            ranking.append(self._weight(self._phrase("title_marked", phrase(term.marked)), MARKED_WEIGHT))
        matching = tantivy.Query.boolean_query([(tantivy.Occur.Should, c) for c in clauses])
        return tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, matching), *((tantivy.Occur.Should, r) for r in ranking)]
        )

    def _bonus(self, query: ParsedQuery) -> list[tantivy.Query]:
        """Whole-query bonuses: the query is a record's whole title, reading or romaji, or starts it.

        "Is" is a term of the whole values (`*_whole`); "starts with" the phrase of the key's start
        token and bigrams (toshokan.search.domain.ngrams).
        """
        bonus: list[tantivy.Query] = []
        if len(query.terms) > 1 and len(query.whole_key) >= 2:
            for name, weight in (("title", 6.0), ("reading", 4.0)):
                bonus.append(self._weight(self._whole(name, query.whole_key), weight))
                bonus.append(self._weight(self._starts(name, query.whole_key), weight / 2))
        if query.whole_romaji and len(query.whole_romaji) >= 2:
            bonus.append(self._weight(self._whole("romaji", query.whole_romaji), 4.0))
            bonus.append(self._weight(self._starts("romaji", query.whole_romaji), 2.0))
        if len(query.terms) == 1 and len(query.whole_key) >= 2:
            bonus.append(self._weight(self._starts("title", query.whole_key), 2.0))
            bonus.append(self._weight(self._starts("reading", query.whole_key), 1.5))
        return bonus

    def _filters(self, request: SearchRequest) -> list[tantivy.Query]:
        f = request.filters
        out: list[tantivy.Query] = []

        def any_of(field: str, values: Iterable[str]) -> None:
            values = [v for v in values if v]
            if values:
                out.append(
                    tantivy.Query.boolean_query(
                        [
                            (tantivy.Occur.Should, tantivy.Query.term_query(self._schema, field, v))
                            for v in values
                        ]
                    )
                )

        any_of("ndc", ["".join(c for c in v if c.isdigit())[:3] for v in f.ndc])
        any_of("material_type", f.material_type)
        any_of("language", f.language)
        if f.available:
            any_of("available", f.branch) if f.branch else out.append(tantivy.Query.exists_query("available"))
        else:
            any_of("branch", f.branch)
        if f.online:
            out.append(tantivy.Query.term_query(self._schema, "online", "1"))
        if f.year_from is not None or f.year_to is not None:
            out.append(
                tantivy.Query.range_query(
                    self._schema,
                    "year",
                    tantivy.FieldType.Integer,
                    f.year_from if f.year_from is not None else -10_000,
                    f.year_to if f.year_to is not None else 10_000,
                )
            )
        return out

    def compile(self, query: ParsedQuery, request: SearchRequest) -> tantivy.Query:
        clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []
        for term in query.terms:
            clauses.append((tantivy.Occur.Must, self.term_query(term)))
        for bonus in self._bonus(query):
            clauses.append((tantivy.Occur.Should, bonus))
        for flt in self._filters(request):
            clauses.append((tantivy.Occur.Must, tantivy.Query.const_score_query(flt, 0.0)))
        if not query.terms:
            clauses.append((tantivy.Occur.Must, tantivy.Query.all_query()))
        return tantivy.Query.boolean_query(clauses)

    def search(self, query: ParsedQuery, request: SearchRequest) -> EngineResult:
        index = self._fresh()
        searcher = index.searcher()
        compiled = self.compile(query, request)
        sort = request.sort
        if sort is Sort.RELEVANCE and not query.terms:
            sort = Sort.READING
        kwargs: dict[str, Any] = {"limit": max(request.limit, 1), "offset": request.offset, "count": True}
        if sort is Sort.READING:
            kwargs.update(order_by_field="sort_reading", order=tantivy.Order.Asc)
        elif sort is Sort.YEAR_DESC:
            kwargs.update(order_by_field="year", order=tantivy.Order.Desc)
        elif sort is Sort.YEAR_ASC:
            kwargs.update(order_by_field="year", order=tantivy.Order.Asc)
        result = searcher.search(compiled, **kwargs)
        hits: list[Hit] = []
        if request.limit > 0:
            for score, address in result.hits:
                doc = searcher.doc(address)
                hits.append(Hit(id=int(doc["id"][0]), score=float(score) if sort is Sort.RELEVANCE else 0.0))
        facets = self._facets(searcher, compiled) if request.facets else {}
        return EngineResult(total=int(getattr(result, "count", 0) or 0), hits=hits, facets=facets)

    def _facets(self, searcher: tantivy.Searcher, compiled: tantivy.Query) -> dict[str, dict[str, int]]:
        spec = {name: {"terms": {"field": name, "size": size}} for name, size in FACET_SIZE.items()}
        spec["online"] = {"terms": {"field": "online", "size": 2}}
        raw = searcher.aggregate(compiled, spec)
        facets: dict[str, dict[str, int]] = {}
        for name in spec:
            buckets = raw.get(name, {}).get("buckets", [])
            facets[name] = {str(b["key"]): int(b["doc_count"]) for b in buckets}
        facets["ndc"] = facets.pop("ndc1")
        return facets

    def explain(self, query: ParsedQuery, request: SearchRequest, record_id: int) -> str:
        """Tantivy's own account of a record's score for this query (for docs/search.md and staff)."""
        index = self._fresh()
        searcher = index.searcher()
        compiled = self.compile(query, request)
        result = searcher.search(
            tantivy.Query.boolean_query(
                [
                    (tantivy.Occur.Must, compiled),
                    (tantivy.Occur.Must, tantivy.Query.term_query(self._schema, "id", record_id)),
                ]
            ),
            limit=1,
        )
        if not result.hits:
            return "no match"
        return str(compiled.explain(searcher, result.hits[0][1]).to_json())
