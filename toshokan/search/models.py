"""The PostgreSQL search backend's table (toshokan.search.backends.postgres_backend).

One row per catalogue record: each text field of the record's SearchDocument as a tsvector of our
own bigram tokens with their positions, and the facet and sort values. The table is created on every
database so that the migrations are the same everywhere, but only the PostgreSQL backend reads or
writes it; on other databases its tsvector and array columns are plain text and stay empty.

The GIN indexes and the byte-order collation of `sort_reading` exist on PostgreSQL only
(migrations 0001, RunPython guarded by vendor).
"""

from __future__ import annotations

from typing import Any

from django.db import models


class TsVectorField(models.Field):  # type: ignore[type-arg]
    """A tsvector on PostgreSQL, text elsewhere (never used there). Written and read as SQL text."""

    description = "tsvector (PostgreSQL)"

    def db_type(self, connection: Any) -> str:
        return "tsvector" if connection.vendor == "postgresql" else "text"


class TextArrayField(models.Field):  # type: ignore[type-arg]
    """text[] on PostgreSQL, text elsewhere (never used there)."""

    description = "array of text (PostgreSQL)"

    def db_type(self, connection: Any) -> str:
        return "text[]" if connection.vendor == "postgresql" else "text"


class IndexedDocument(models.Model):
    """A record as the PostgreSQL search backend indexes it (toshokan.search.domain.documents)."""

    record_id = models.BigIntegerField(primary_key=True)
    title = TsVectorField()
    title_marked = TsVectorField()  # punctuation kept: ranking only
    reading = TsVectorField()
    romaji = TsVectorField()
    creator = TsVectorField()
    creator_reading = TsVectorField()
    creator_romaji = TsVectorField()
    other = TsVectorField()
    principal = TextArrayField()  # the authors' name, reading and romaji keys: ranking only
    identifiers = TextArrayField()  # "isbn:9784…", "aozora:000148"
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
