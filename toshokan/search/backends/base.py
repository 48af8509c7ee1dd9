"""The one interface every search engine sits behind. The engine owns matching, counting, ranking,
facets and sorting; everything else (query meaning, documents) comes from toshokan.search.domain."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ..domain.documents import SearchDocument
from ..domain.query import ParsedQuery, SearchRequest

FACET_FIELDS = ("ndc", "material_type", "language", "branch", "available", "online", "decade")


@dataclass(frozen=True, slots=True)
class Hit:
    id: int
    score: float


@dataclass(slots=True)
class EngineResult:
    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


class SearchBackend(Protocol):
    name: str

    def index(self, documents: Iterable[SearchDocument]) -> None:
        """Add or replace these documents; searchable when the call returns."""

    def delete(self, ids: Iterable[int]) -> None: ...

    def rebuild(
        self, documents: Iterable[SearchDocument], *, on_progress: Callable[[int], None] | None = None
    ) -> None:
        """Replace the whole index with `documents`; searches keep working on the old one meanwhile."""

    def prepare(self, document: SearchDocument) -> Any:
        """What the engine stores for one document, as plain picklable data: the part of indexing
        that is Python's, so that worker processes can share it (services.rebuild_index)."""

    def rebuild_prepared(
        self, items: Iterable[Any], *, on_progress: Callable[[int], None] | None = None
    ) -> None:
        """`rebuild` from the output of `prepare`."""

    def search(self, query: ParsedQuery, request: SearchRequest) -> EngineResult: ...

    def count(self) -> int: ...

    def clear(self) -> None: ...
