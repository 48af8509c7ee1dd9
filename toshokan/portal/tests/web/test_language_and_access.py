"""English, the keyboard, phones and axe-core: the pages for everyone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from .conftest import axe_violations, no_horizontal_scroll

pytestmark = pytest.mark.browser


def test_the_language_switch_turns_the_page_english_and_back(page, url, catalogue):
    page.goto(url("/?q=漱石"))
    page.get_by_role("searchbox", name="キーワード").fill("賢治")
    page.keyboard.press("Enter")
    expect(page.locator("#results-heading")).to_contain_text("賢治")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    # Back on the same search, now in English.
    expect(page.locator("#results-heading")).to_have_text("Results for “賢治”")
    expect(page.get_by_role("searchbox", name="Keywords")).to_have_value("賢治")
    expect(page.get_by_role("button", name="Search", exact=True)).to_be_visible()
    expect(page.get_by_role("checkbox", name="Available now")).to_be_visible()
    expect(page.locator(".result").first).to_contain_text("(author)")
    expect(page.get_by_role("button", name="English")).to_have_attribute("aria-current", "true")

    page.goto(url(f"/records/{catalogue.kokoro.pk}"))
    expect(page.get_by_role("heading", name="Copies")).to_be_visible()
    expect(page.locator(".holdings th").first).to_have_text("Status")
    expect(page.locator(".branch").first).to_contain_text("On loan")
    expect(page.locator(".bib").first).to_contain_text("913.6 Japanese fiction")
    # The title stays Japanese, and says so, so that a screen reader reads it in Japanese.
    expect(page.locator("h1")).to_have_attribute("lang", "ja")

    page.get_by_role("button", name="日本語").click()
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.get_by_role("heading", name="所蔵")).to_be_visible()


def focus_ring(page: Page) -> dict[str, str]:
    return page.evaluate(
        """() => { const s = getComputedStyle(document.activeElement);
                   return {style: s.outlineStyle, width: s.outlineWidth, color: s.outlineColor}; }"""
    )


def test_keyboard_only_tab_to_the_box_type_enter_and_see_focus(page, url, catalogue):
    page.goto(url("/"))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "本文へ移動"
    assert focus_ring(page)["style"] != "none"
    for _ in range(6):
        if page.evaluate("document.activeElement.id") == "q":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "q", "Tab never reached the search box"
    ring = focus_ring(page)
    assert ring["style"] == "solid" and float(ring["width"].removesuffix("px")) >= 2
    page.keyboard.type("漱石")
    page.keyboard.press("Enter")
    expect(page.locator("#results-heading")).to_contain_text("漱石")
    expect(page.locator(".result")).to_have_count(4)
    # The box keeps focus after the results change, so the next search is one keystroke away.
    expect(page.locator("#q")).to_be_focused()
    page.keyboard.press("Tab")  # the search button
    page.keyboard.press("Tab")  # the sort menu
    assert page.evaluate("document.activeElement.id") == "sort"
    assert focus_ring(page)["style"] == "solid"
    # On to the first result, and into it with Enter.
    for _ in range(4):
        if page.evaluate("document.activeElement.closest('.result__title') !== null"):
            break
        page.keyboard.press("Tab")
    assert focus_ring(page)["style"] == "solid"
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert "/records/" in page.url


def test_the_skip_link_moves_focus_to_the_main_content(page, url, catalogue):
    page.goto(url("/?q=漱石"))
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()


def test_a_checkbox_filter_keeps_keyboard_focus_after_the_results_change(page, url, catalogue):
    page.goto(url("/?q=漱石"))
    box = page.get_by_role("checkbox", name="いま借りられる")
    box.focus()
    page.keyboard.press("Space")
    expect(page.locator(".result")).to_have_count(2)
    expect(page.locator("#f-available")).to_be_focused()


@pytest.mark.parametrize("width", [390, 320])
def test_a_phone_has_no_horizontal_scroll(browser, url, catalogue, width):
    context = browser.new_context(
        viewport={"width": width, "height": 844}, is_mobile=True, has_touch=True, locale="ja-JP"
    )
    try:
        phone = context.new_page()
        for path in ("/", "/?q=漱石", "/?q=漱石&ndc=9&available=1", f"/records/{catalogue.kokoro.pk}"):
            phone.goto(url(path))
            assert no_horizontal_scroll(phone), f"{path} scrolls sideways at {width} px"
        context.add_cookies([{"name": "django_language", "value": "en", "url": url("/")}])
        for path in ("/?q=漱石", f"/records/{catalogue.kokoro.pk}"):
            phone.goto(url(path))
            assert no_horizontal_scroll(phone), f"{path} (English) scrolls sideways at {width} px"
    finally:
        context.close()


def test_the_filters_follow_the_results_on_a_phone_and_a_link_jumps_to_them(phone, url, catalogue):
    phone.goto(url("/?q=漱石"))
    results = phone.locator(".results").bounding_box()
    filters = phone.locator("#filters").bounding_box()
    assert results and filters and filters["y"] > results["y"]
    phone.get_by_role("link", name="絞り込みへ").click()
    expect(phone.locator("#filters")).to_be_in_viewport()


@pytest.mark.parametrize("language", ["ja", "en"])
def test_axe_finds_nothing_serious_on_either_page(page, url, catalogue, language):
    page.context.add_cookies([{"name": "django_language", "value": language, "url": url("/")}])
    pages = {
        "bare search page": "/",
        "results with filters": "/?q=漱石&ndc=9",
        "no results": "/?q=存在しない本&available=1",
        "record page": f"/records/{catalogue.kokoro.pk}",
        "not found": "/records/424242",
    }
    problems = {}
    for name, path in pages.items():
        page.goto(url(path))
        found = axe_violations(page)
        if found:
            problems[name] = found
    assert problems == {}


def test_axe_finds_nothing_serious_after_an_htmx_swap_or_on_a_phone(page, phone, url, catalogue):
    page.goto(url("/?q=漱石"))
    page.get_by_role("checkbox", name=re.compile("^9 文学")).check()
    expect(page).to_have_url(re.compile("ndc=9"))
    assert axe_violations(page) == []
    phone.goto(url("/?q=漱石"))
    assert axe_violations(phone) == []
    phone.goto(url(f"/records/{catalogue.kokoro.pk}"))
    assert axe_violations(phone) == []
