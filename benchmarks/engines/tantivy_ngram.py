"""Baseline: Tantivy (the same library, PyPI `tantivy`) with its own ngram(1,2) tokenizer, in-process.

This is what one gets from Tantivy without our positional bigrams: the tokenizer emits every
1- and 2-gram of a value, but all at position 0, so a phrase query cannot require the grams to be
adjacent and a term matches any record holding all its grams somewhere (totals come out high).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import tantivy

from toshokan.search.domain.query import parse_query

from ..keys import SEP, KeyTable
from . import dir_size, fresh_dir

TOKENIZER = "ngram12"


def _schema() -> tantivy.Schema:
    b = tantivy.SchemaBuilder()
    b.add_integer_field("id", stored=True, indexed=True, fast=True)
    b.add_text_field("surface", tokenizer_name=TOKENIZER, index_option="position")
    b.add_text_field("romaji", tokenizer_name=TOKENIZER, index_option="position")
    return b.build()


def _open(path: Path, *, reuse: bool) -> tantivy.Index:
    index = tantivy.Index(_schema(), path=str(path), reuse=reuse)
    analyzer = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.ngram(min_gram=1, max_gram=2, prefix_only=False))
        .filter(tantivy.Filter.lowercase())
        .build()
    )
    index.register_tokenizer(TOKENIZER, analyzer)
    return index


def query_string(q: str) -> str:
    clauses = []
    for term in parse_query(q).terms:
        parts = [f'surface:"{term.key}"'] if term.key else []
        if len(term.romaji) >= 2:
            parts.append(f'romaji:"{term.romaji}"')
        if parts:
            clauses.append("(" + " OR ".join(parts) + ")")
    return " AND ".join(clauses)


class NgramClient:
    def __init__(self, path: Path) -> None:
        self.index = _open(path, reuse=True)
        self.searcher = self.index.searcher()

    def search(self, q: str) -> tuple[int, list[int]]:
        text = query_string(q)
        if not text:
            return 0, []
        query = self.index.parse_query(text, ["surface"])
        result = self.searcher.search(query, limit=20, count=True)
        ids = self.searcher.fast_field_values("id", [address for _, address in result.hits])
        return int(result.count or 0), [int(i) for i in ids]

    def close(self) -> None:
        pass


class TantivyNgram:
    name = "tantivy-ngram"
    label = "Tantivy ngram(1,2), in-process"

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def unavailable(self) -> str | None:
        return None

    def build(self, table: KeyTable) -> dict[str, Any]:
        fresh_dir(self.path)
        t0 = time.perf_counter()
        index = _open(self.path, reuse=False)
        writer = index.writer(heap_size=256_000_000, num_threads=2)
        for rid, surface, romaji in zip(table.ids, table.surface, table.romaji, strict=True):
            fields: dict[str, Any] = {"id": rid, "surface": surface.split(SEP)}
            if romaji:
                fields["romaji"] = romaji.split(SEP)
            writer.add_document(tantivy.Document(**fields))
        writer.commit()
        writer.wait_merging_threads()
        return {"seconds": round(time.perf_counter() - t0, 2), "size_bytes": dir_size(self.path)}

    def connect(self) -> NgramClient:
        return NgramClient(self.path)

    def cleanup(self) -> None:
        pass
