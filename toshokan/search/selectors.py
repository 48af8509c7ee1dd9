"""Searching the catalogue: the one read the search page, the API and SRU share."""

from __future__ import annotations

from dataclasses import dataclass, field

from toshokan.catalog import selectors as catalog_selectors
from toshokan.catalog.models import Record

from .domain.query import ParsedQuery, SearchRequest, parse_query
from .engine import get_backend


@dataclass
class SearchPage:
    request: SearchRequest
    query: ParsedQuery
    total: int
    records: list[Record]
    scores: dict[int, float]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


def search_catalog(request: SearchRequest) -> SearchPage:
    query = parse_query(request.q)
    if query.is_empty and request.q.strip():
        # The query had only punctuation: nothing can match it.
        return SearchPage(request=request, query=query, total=0, records=[], scores={})
    result = get_backend().search(query, request)
    ids = [h.id for h in result.hits]
    records = catalog_selectors.records_by_ids(ids)
    return SearchPage(
        request=request,
        query=query,
        total=result.total,
        records=records,
        scores={h.id: h.score for h in result.hits},
        facets=result.facets,
    )
