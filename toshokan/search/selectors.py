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
    records: list[Record]  # empty when the caller asked for ids only (with_records=False)
    scores: dict[int, float]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    ids: list[int] = field(default_factory=list)


def search_catalog(request: SearchRequest, *, with_records: bool = True) -> SearchPage:
    """One page of results, best first. `with_records=False` leaves the loading to the caller
    (`page.ids`): the JSON API reads flat summaries instead of model instances."""
    query = parse_query(request.q)
    if query.is_empty and request.q.strip():
        # The query had only punctuation: nothing can match it.
        return SearchPage(request=request, query=query, total=0, records=[], scores={})
    result = get_backend().search(query, request)
    ids = [h.id for h in result.hits]
    records = catalog_selectors.records_by_ids(ids) if with_records else []
    return SearchPage(
        request=request,
        query=query,
        total=result.total,
        records=records,
        ids=ids,
        scores={h.id: h.score for h in result.hits},
        facets=result.facets,
    )
