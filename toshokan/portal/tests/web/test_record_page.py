"""The record page in a real browser: holdings per branch, identifiers, the way back to the results."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_the_record_page_shows_copies_per_branch_with_their_status(page, url, catalogue):
    page.goto(url(f"/records/{catalogue.kokoro.pk}"))
    expect(page.get_by_role("heading", level=1)).to_have_text("こころ")
    central = page.locator(".branch", has=page.get_by_role("heading", name="中央図書館"))
    kita = page.locator(".branch", has=page.get_by_role("heading", name="北分館"))
    expect(central.locator("tbody tr")).to_have_count(2)
    expect(kita.locator("tbody tr")).to_have_count(1)
    assert sorted(central.locator("tbody tr td:first-child").all_inner_texts()) == ["貸出中", "貸出可"]
    assert kita.locator("tbody tr td:first-child").all_inner_texts() == ["貸出中"]
    expect(central.get_by_role("heading")).to_contain_text("貸出可 1 / 2 冊")
    expect(central.locator("th").first).to_have_text("状態")
    expect(central).to_contain_text("913.6/ナ")


def test_the_description_has_readings_roles_the_class_and_identifiers(page, url, catalogue):
    page.goto(url(f"/records/{catalogue.kokoro.pk}"))
    description = page.locator(".bib").first
    expect(description).to_contain_text("なつめ そうせき")
    expect(description).to_contain_text("著者")
    expect(description).to_contain_text("913.6 小説．物語")
    expect(description).to_contain_text("9784003101117")
    expect(description).to_contain_text("ISBN-10: 4003101111")
    card = description.get_by_role("link", name=re.compile(r"^000773\s*（青空文庫の図書カード）$"))
    expect(card).to_have_attribute("href", "https://www.aozora.gr.jp/cards/000148/card773.html")
    expect(page.get_by_role("link", name=re.compile(r"^オンラインで読む\s*（外部サイト）$"))).to_be_visible()


def test_from_the_results_to_the_record_and_back(page, url, catalogue):
    page.goto(url("/?q=漱石&sort=year_desc"))
    page.get_by_role("link", name="こころ").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("こころ")
    page.get_by_role("link", name="検索結果に戻る").click()
    expect(page.locator("#results-heading")).to_contain_text("漱石")
    assert "sort=year_desc" in page.url


def test_a_missing_record_has_a_404_page_with_a_search_box(page, url, transactional_db):
    response = page.goto(url("/records/424242"))
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("ページが見つかりません")
    expect(page.get_by_role("searchbox")).to_be_visible()
