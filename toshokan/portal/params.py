"""The search page's address: what its query string means and how each link changes it.

The page reads the same `SearchParams` the JSON API validates, so a filter means the same thing in
both; only the paging differs (pages, not offsets, since people share and bookmark these URLs).
Anything malformed in a hand-edited URL is dropped rather than answered with an error page.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace

from django.http import QueryDict
from django.urls import reverse

from toshokan.search.api import SearchParams
from toshokan.search.domain.query import Sort

PAGE_SIZE = 20
MAX_OFFSET = 10_000  # SearchParams' own bound
MAX_PAGE = MAX_OFFSET // PAGE_SIZE + 1
LIST_FIELDS = ("ndc", "material_type", "branch", "language")
MAX_VALUES = 20
MAX_QUERY = 500
YEAR_BOUND = 9999


def _year(raw: str) -> int | None:
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text:
        return None
    try:
        year = int(text)
    except ValueError:
        return None
    return year if -YEAR_BOUND <= year <= YEAR_BOUND else None


def _flag(raw: str | None) -> bool:
    return (raw or "").strip().lower() in {"1", "on", "true", "yes"}


@dataclass(frozen=True, slots=True)
class SearchState:
    """One search page's worth of choices: the query, the filters, the sort and the page."""

    q: str = ""
    ndc: tuple[str, ...] = ()
    material_type: tuple[str, ...] = ()
    branch: tuple[str, ...] = ()
    language: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    available: bool = False
    online: bool = False
    sort: Sort = Sort.RELEVANCE
    page: int = 1

    @classmethod
    def from_query(cls, query: QueryDict) -> SearchState:
        lists: dict[str, tuple[str, ...]] = {}
        for name in LIST_FIELDS:
            values: list[str] = []
            for raw in query.getlist(name):
                value = raw.strip()
                if value and value not in values:
                    values.append(value)
            lists[name] = tuple(values[:MAX_VALUES])
        year_from, year_to = _year(query.get("year_from", "")), _year(query.get("year_to", ""))
        if year_from is not None and year_to is not None and year_from > year_to:
            year_from, year_to = year_to, year_from
        sort_raw = query.get("sort", "")
        sort = Sort(sort_raw) if sort_raw in Sort._value2member_map_ else Sort.RELEVANCE
        try:
            page = int(query.get("page", "1"))
        except ValueError:
            page = 1
        return cls(
            q=query.get("q", "")[:MAX_QUERY],
            year_from=year_from,
            year_to=year_to,
            available=_flag(query.get("available")),
            online=_flag(query.get("online")),
            sort=sort,
            page=min(max(page, 1), MAX_PAGE),
            **lists,
        )

    # What the search means -------------------------------------------------------------------

    @property
    def has_query(self) -> bool:
        return bool(self.q.strip())

    @property
    def has_filters(self) -> bool:
        return bool(
            any(getattr(self, name) for name in LIST_FIELDS)
            or self.year_from is not None
            or self.year_to is not None
            or self.available
            or self.online
        )

    @property
    def is_search(self) -> bool:
        """False for the bare page, which shows the way in instead of every record."""
        return self.has_query or self.has_filters

    @property
    def offset(self) -> int:
        return min((self.page - 1) * PAGE_SIZE, MAX_OFFSET)

    def to_params(self, *, limit: int = PAGE_SIZE, facets: bool = True) -> SearchParams:
        return SearchParams(
            q=self.q,
            limit=limit,
            offset=self.offset if limit else 0,
            sort=self.sort,
            ndc=list(self.ndc),
            material_type=list(self.material_type),
            branch=list(self.branch),
            language=list(self.language),
            year_from=self.year_from,
            year_to=self.year_to,
            available=self.available,
            online=self.online,
            facets=facets,
        )

    # Where each link goes --------------------------------------------------------------------

    def query_string(self) -> str:
        """The canonical query string: fixed order, defaults left out."""
        qd = QueryDict(mutable=True)
        if self.q:
            qd["q"] = self.q
        for name in LIST_FIELDS:
            values = getattr(self, name)
            if values:
                qd.setlist(name, list(values))
        if self.year_from is not None:
            qd["year_from"] = str(self.year_from)
        if self.year_to is not None:
            qd["year_to"] = str(self.year_to)
        if self.available:
            qd["available"] = "1"
        if self.online:
            qd["online"] = "1"
        if self.sort is not Sort.RELEVANCE:
            qd["sort"] = self.sort.value
        if self.page > 1:
            qd["page"] = str(self.page)
        return qd.urlencode()

    def url(self) -> str:
        base = reverse("portal:search")
        qs = self.query_string()
        return f"{base}?{qs}" if qs else base

    def changed(self, **changes: object) -> SearchState:
        """This search with some choices changed; any change but the page starts again at page 1."""
        if "page" not in changes:
            changes["page"] = 1
        return replace(self, **changes)  # type: ignore[arg-type]

    def toggled(self, name: str, value: str) -> SearchState:
        values = getattr(self, name)
        new = tuple(v for v in values if v != value) if value in values else (*values, value)
        return self.changed(**{name: new})

    def without_filters(self) -> SearchState:
        return SearchState(q=self.q, sort=self.sort)
