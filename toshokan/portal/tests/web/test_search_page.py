"""The search page in a real browser: finding, filtering, sorting, htmx and the back button."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import Page, expect

from .conftest import titles

pytestmark = pytest.mark.browser


def search(page: Page, words: str) -> None:
    box = page.get_by_role("searchbox", name="キーワード")
    box.fill(words)
    box.press("Enter")
    expect(page.locator("#results-heading")).to_contain_text(words)


def htmx_settled(page: Page) -> None:
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added')"
    )


def query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def test_kanji_reading_and_romaji_find_the_right_record(page, url, catalogue):
    page.goto(url("/"))
    for words, expected in [
        ("吾輩", ["吾輩は猫である"]),  # kanji in the title
        ("わがはい", ["吾輩は猫である"]),  # the title's reading
        ("ぎんが", ["銀河鉄道の夜"]),
        ("kokoro", ["こころ"]),  # the romanised title
        ("miyazawa", ["哲学の話", "銀河鉄道の夜"]),  # the author's romanised name
    ]:
        search(page, words)
        assert sorted(titles(page)) == expected, words
        assert query(page)["q"] == [words]


def test_the_author_in_kanji_kana_and_romaji_finds_the_same_works(page, url, catalogue):
    page.goto(url("/"))
    for words in ("漱石", "なつめ そうせき", "soseki", "Natsume"):
        search(page, words)
        assert sorted(titles(page)) == ["こころ", "吾輩は猫である", "坊っちゃん", "文学論"], words


def test_a_class_filter_narrows_the_results_and_shows_in_the_address(page, url, catalogue):
    page.goto(url("/?q=漱石"))
    assert len(titles(page)) == 4
    page.get_by_role("checkbox", name=re.compile(r"^9 文学")).check()
    expect(page).to_have_url(re.compile("ndc=9"))
    expect(page.get_by_role("link", name=re.compile("分類 9 文学"))).to_be_visible()
    expect(page.locator(".result")).to_have_count(4)
    page.goto(url("/?q=賢治"))
    page.get_by_role("checkbox", name=re.compile(r"^1 哲学")).check()
    expect(page.locator(".result")).to_have_count(1)
    assert titles(page) == ["哲学の話"]
    assert query(page)["ndc"] == ["1"]
    # The filter is listed above the results and can be taken off again.
    page.get_by_role("link", name=re.compile("分類 1 哲学")).click()
    expect(page.locator(".result")).to_have_count(2)
    assert "ndc" not in query(page)


def test_available_now_keeps_only_records_with_a_copy_on_the_shelf(page, url, catalogue):
    page.goto(url("/?q=漱石"))
    page.get_by_role("checkbox", name="いま借りられる").check()
    expect(page.locator(".result")).to_have_count(2)
    assert sorted(titles(page)) == ["こころ", "坊っちゃん"]
    assert query(page)["available"] == ["1"]


def test_sorting_by_year_reorders_the_results_and_shows_in_the_address(page, url, catalogue):
    page.goto(url("/?q=漱石"))
    page.get_by_label("並び順").select_option(label="出版年の新しい順")
    expect(page.locator(".result__title a")).to_have_text(
        ["こころ", "文学論", "坊っちゃん", "吾輩は猫である"]
    )
    expect(page).to_have_url(re.compile("sort=year_desc"))
    # The swapped-in select listens for changes only once htmx has settled the new content; a
    # person cannot choose again within those milliseconds, a test can.
    htmx_settled(page)
    page.get_by_label("並び順").select_option(label="出版年の古い順")
    expect(page.locator(".result__title a")).to_have_text(
        ["吾輩は猫である", "坊っちゃん", "文学論", "こころ"]
    )
    expect(page).to_have_url(re.compile("sort=year_asc"))


def test_a_year_range_and_a_decade_narrow_the_results(page, url, catalogue):
    page.goto(url("/?q=漱石"))
    page.get_by_label("から（西暦）").fill("1906")
    page.get_by_label("まで（西暦）").fill("1910")
    page.get_by_role("button", name="年で絞る").click()
    expect(page.locator(".result")).to_have_count(2)
    assert sorted(titles(page)) == ["坊っちゃん", "文学論"]
    assert query(page)["year_from"] == ["1906"] and query(page)["year_to"] == ["1910"]
    page.goto(url("/?q=漱石"))
    page.get_by_role("link", name=re.compile("^1910年代")).click()
    expect(page.locator(".result")).to_have_count(1)
    assert titles(page) == ["こころ"]


def test_htmx_swaps_the_results_in_place_and_the_back_button_returns(page, url, catalogue):
    page.goto(url("/?q=漱石"))
    page.evaluate("window.loadedOnce = true")  # gone if the page is reloaded
    search(page, "賢治")
    assert sorted(titles(page)) == ["哲学の話", "銀河鉄道の夜"]
    assert query(page)["q"] == ["賢治"]
    assert page.evaluate("window.loadedOnce") is True
    expect(page).to_have_title(re.compile("「賢治」の検索結果（2件）"))

    page.go_back()
    expect(page.locator("#results-heading")).to_contain_text("漱石")
    assert query(page)["q"] == ["漱石"]
    assert len(titles(page)) == 4
    assert page.get_by_role("searchbox", name="キーワード").input_value() == "漱石"
    page.go_forward()
    expect(page.locator("#results-heading")).to_contain_text("賢治")
    assert page.get_by_role("searchbox", name="キーワード").input_value() == "賢治"


def test_the_page_works_without_javascript(browser, url, catalogue):
    context = browser.new_context(java_script_enabled=False, locale="ja-JP")
    try:
        page = context.new_page()
        page.goto(url("/"))
        page.get_by_role("searchbox", name="キーワード").fill("漱石")
        page.get_by_role("button", name="検索", exact=True).click()
        page.wait_for_url(re.compile(r"q=%E6%BC%B1%E7%9F%B3"))
        assert len(titles(page)) == 4
        page.get_by_role("checkbox", name="いま借りられる").check()
        page.get_by_role("button", name="絞り込む").click()
        page.wait_for_url(re.compile("available=1"))
        assert sorted(titles(page)) == ["こころ", "坊っちゃん"]
    finally:
        context.close()


def test_paging_moves_through_the_results_and_keeps_the_total(page, url, transactional_db):
    from toshokan.catalog.tests import factories

    for n in range(23):
        factories.record(f"猫の本 その{n:02d}", title_reading=f"ねこのほん その{n:02d}", year=1900 + n)
    page.goto(url("/?q=猫の本&sort=year_asc"))
    expect(page.locator(".results__count")).to_contain_text("23件中 1〜20件目")
    expect(page.locator(".result")).to_have_count(20)
    page.get_by_role("navigation", name="ページ").get_by_role("link", name="次へ").click()
    expect(page.locator(".results__count")).to_contain_text("23件中 21〜23件目")
    expect(page.locator(".result__title a")).to_have_text(["猫の本 その20", "猫の本 その21", "猫の本 その22"])
    expect(page).to_have_url(re.compile("page=2"))
    # Focus moves to the results, not to the top of the document.
    expect(page.locator("#results-heading")).to_be_focused()


def test_zero_hits_with_a_filter_offer_the_search_without_it(page, url, catalogue):
    page.goto(url("/?q=銀河&available=1"))
    expect(page.locator(".no-results")).to_contain_text("一致する資料は見つかりませんでした")
    expect(page.locator(".no-results")).to_contain_text("絞り込みを外すと 1 件見つかります")
    page.get_by_role("link", name="絞り込みを外して探す").click()
    expect(page.locator(".result")).to_have_count(1)
    assert "available" not in query(page)
