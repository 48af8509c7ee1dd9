"""Pages for patrons: search and the record page. Thin: they call the same selectors as the API."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from toshokan.catalog import selectors as catalog_selectors
from toshokan.core.domain import NotFound
from toshokan.search.api import SearchParams
from toshokan.search.selectors import search_catalog


def search(request: HttpRequest) -> HttpResponse:
    params = SearchParams(q=request.GET.get("q", ""))
    page = search_catalog(params.to_request()) if params.q else None
    return render(request, "portal/search.html", {"page": page, "q": params.q})


def record(request: HttpRequest, record_id: int) -> HttpResponse:
    try:
        rec = catalog_selectors.record_detail(record_id)
    except NotFound:
        return render(request, "portal/not_found.html", status=404)
    return render(request, "portal/record.html", {"record": rec})
