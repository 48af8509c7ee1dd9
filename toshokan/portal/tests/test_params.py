"""The search page's address: parsing what people (and hand-edited URLs) send, and the links it makes."""

from __future__ import annotations

import pytest
from django.http import QueryDict

from toshokan.portal.params import MAX_PAGE, SearchState
from toshokan.search.domain.query import Sort


def state(qs: str) -> SearchState:
    return SearchState.from_query(QueryDict(qs))


def test_the_bare_page_is_not_a_search():
    assert not state("").is_search
    assert not state("q=+++").is_search


def test_a_filter_alone_is_a_search():
    s = state("ndc=9")
    assert s.is_search and not s.has_query and s.has_filters


def test_lists_keep_their_order_and_drop_blanks_and_repeats():
    s = state("ndc=9&ndc=&ndc=1&ndc=9&branch=central")
    assert s.ndc == ("9", "1")
    assert s.branch == ("central",)


@pytest.mark.parametrize(
    ("qs", "years"),
    [
        ("year_from=1900&year_to=1909", (1900, 1909)),
        ("year_from=１９２０", (1920, None)),  # full-width digits from a Japanese IME
        ("year_from=1950&year_to=1900", (1900, 1950)),
        ("year_from=abc&year_to=", (None, None)),
        ("year_to=123456", (None, None)),
    ],
)
def test_years_are_read_leniently(qs, years):
    s = state(qs)
    assert (s.year_from, s.year_to) == years


def test_malformed_sort_and_page_fall_back_to_the_defaults():
    s = state("sort=best&page=x")
    assert s.sort is Sort.RELEVANCE and s.page == 1
    assert state("page=-3").page == 1
    assert state("page=999999").page == MAX_PAGE


def test_flags_accept_the_values_forms_send():
    assert state("available=1&online=on").available
    assert state("available=1&online=on").online
    assert not state("available=0").available


def test_the_canonical_address_leaves_defaults_out_and_keeps_a_fixed_order():
    s = state("sort=relevance&page=1&online=1&q=猫&ndc=9&year_from=&available=")
    assert s.url() == "/?q=%E7%8C%AB&ndc=9&online=1"


def test_a_change_of_filter_goes_back_to_page_one_but_paging_does_not():
    s = state("q=猫&page=3")
    assert s.toggled("ndc", "9").page == 1
    assert s.changed(page=4).page == 4


def test_toggling_a_value_adds_it_and_toggling_again_removes_it():
    s = state("q=猫&ndc=9")
    assert s.toggled("ndc", "1").ndc == ("9", "1")
    assert s.toggled("ndc", "9").ndc == ()


def test_the_request_the_api_would_get_for_the_same_filters():
    s = state("q=猫&ndc=9&branch=kita&available=1&year_from=1900&year_to=1909&sort=year_desc&page=2")
    request = s.to_params().to_request()
    assert request.q == "猫"
    assert request.filters.ndc == ("9",)
    assert request.filters.branch == ("kita",)
    assert request.filters.available
    assert (request.filters.year_from, request.filters.year_to) == (1900, 1909)
    assert request.sort is Sort.YEAR_DESC
    assert (request.limit, request.offset) == (20, 20)


def test_removing_every_filter_keeps_the_words_and_the_sort():
    s = state("q=猫&ndc=9&online=1&sort=reading&page=2")
    assert s.without_filters() == SearchState(q="猫", sort=Sort.READING)
