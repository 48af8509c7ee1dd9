"""Pages for patrons: search and the record page (the patron's own pages are in `account`).

Thin: they read through the same selectors as the JSON API (`search_catalog`, `record_detail`)
and leave the wording to `presenters`. The search page works as a plain GET form; with htmx, a
request from the page gets only the search area back and the address bar follows.
"""

from __future__ import annotations

from dataclasses import replace

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control, patch_vary_headers
from django_htmx.http import push_url

from toshokan.catalog import selectors as catalog_selectors
from toshokan.core.domain import NotFound
from toshokan.search.domain.query import SearchRequest
from toshokan.search.selectors import search_catalog

from . import account, presenters
from .params import MAX_PAGE, PAGE_SIZE, SearchState


def _partial_request(request: HttpRequest) -> bool:
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request  # type: ignore[union-attr]


def search(request: HttpRequest) -> HttpResponse:
    state = SearchState.from_query(request.GET)
    if state.is_search:
        page = search_catalog(state.to_params().to_request())
        if page.total and not page.records and state.page > 1:
            # A page past the end (an old bookmark, a hand-edited URL): show the last one.
            state = replace(state, page=min(-(-page.total // PAGE_SIZE), MAX_PAGE))
            page = search_catalog(state.to_params().to_request())
        unfiltered = None
        if page.total == 0 and state.has_filters and state.has_query:
            # Worth saying when the words alone would have found something.
            unfiltered = search_catalog(
                state.without_filters().to_params(limit=0, facets=False).to_request()
            ).total
        context = presenters.search_context(state, page, unfiltered)
    else:
        context = presenters.search_context(state, None, None)
        context.update(presenters.browse_context(search_catalog(SearchRequest(limit=0))))

    if _partial_request(request):
        context["htmx_partial"] = True
        response = render(request, "portal/search.html#search_area", context)
        push_url(response, state.url())
    else:
        response = render(request, "portal/search.html", context)
    # The same URL answers with the whole page or with the search area alone.
    patch_vary_headers(response, ("HX-Request",))
    return response


def record(request: HttpRequest, record_id: int) -> HttpResponse:
    try:
        rec = catalog_selectors.record_detail(record_id)
    except NotFound:
        return render(request, "portal/not_found.html", {"record_id": record_id}, status=404)
    context = presenters.record_context(rec, request.GET.get("back", ""))
    patron = account.current_patron(request)
    context["hold"] = account.hold_form_context(request, rec, patron)
    response = render(request, "portal/record.html", context)
    if patron is not None:
        # It says what this patron holds or has on loan: for their browser only, and not kept.
        patch_cache_control(response, private=True, no_store=True)
    return response
