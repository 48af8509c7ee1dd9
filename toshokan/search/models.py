"""The PostgreSQL search backend's table (toshokan.search.backends.postgres_backend).

One row per catalogue record: each text field of the record's SearchDocument as one string — its
match keys, each between unit separators (U+001F), which no match key contains — and the facet and
sort values. The table is created on every database so that the migrations are the same
everywhere, but only the PostgreSQL backend reads or writes it.

On PostgreSQL (migration 0002, guarded by vendor) the key columns sort bytewise (COLLATE "C"),
each has a GIN index over the set of its character bigrams and characters
(`toshokan_search_grams`), and `identifiers` has a GIN index of its own.
"""

from __future__ import annotations

from typing import Any

from django.db import models

SEPARATOR = "\x1f"  # between the values of one field: never inside a match key


class TsVectorField(models.Field):  # type: ignore[type-arg]
    """A tsvector on PostgreSQL, text elsewhere. Only migration 0001 uses it (the first layout)."""

    description = "tsvector (PostgreSQL)"

    def db_type(self, connection: Any) -> str:
        return "tsvector" if connection.vendor == "postgresql" else "text"


class TextArrayField(models.Field):  # type: ignore[type-arg]
    """text[] on PostgreSQL, text elsewhere (where nothing uses it)."""

    description = "array of text (PostgreSQL)"

    def db_type(self, connection: Any) -> str:
        return "text[]" if connection.vendor == "postgresql" else "text"


class IndexedDocument(models.Model):
    """A record as the PostgreSQL search backend indexes it (toshokan.search.domain.documents)."""

    record_id = models.BigIntegerField(primary_key=True)
    # Match keys, "\x1fkey\x1fkey\x1f" ("" when the record has none)
    title = models.TextField()
    reading = models.TextField()
    romaji = models.TextField()
    creator = models.TextField()
    creator_reading = models.TextField()
    creator_romaji = models.TextField()
    other = models.TextField()
    # Ranking only: the title with its punctuation, and the authors' whole keys
    title_marked = models.TextField()
    principal = models.TextField()
    identifiers = TextArrayField()  # "isbn:9784…", "aozora:000148"
    # Facets, filters and sorting
    ndc = models.CharField(max_length=3, blank=True)  # up to three digits: the class and its prefixes
    material_type = models.CharField(max_length=32)
    language = models.CharField(max_length=16, blank=True)
    branches = TextArrayField()  # branch codes with a copy
    available_at = TextArrayField()  # branch codes with a copy that can be borrowed now
    online = models.BooleanField(default=False)
    year = models.IntegerField(null=True)
    sort_reading = models.TextField()  # 五十音 key; U+FFFF when the record has none (sorts last)

    class Meta:
        db_table = "search_document"

    def __str__(self) -> str:
        return f"search document {self.record_id}"
