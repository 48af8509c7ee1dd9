"""The patron pages rendered through Django's test client: what they say, and how they answer htmx."""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from django.utils import translation

from toshokan.catalog.domain.enums import CreatorRole, HoldingStatus, IdentifierScheme
from toshokan.catalog.domain.records import CreatorEntry, IdentifierEntry
from toshokan.catalog.models import NdcClass
from toshokan.catalog.tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def kokoro(on_commit):
    NdcClass.objects.create(notation="9", label_ja="文学")
    NdcClass.objects.create(notation="913", label_ja="日本文学. 小説. 物語", label_en="Japanese fiction")
    with on_commit():
        rec = factories.record(
            "こころ",
            title_reading="こころ",
            year=1914,
            ndc="913.6",
            identifiers=[IdentifierEntry(IdentifierScheme.AOZORA, "773")],
            etext_url="https://www.aozora.gr.jp/cards/000148/card773.html",
        )
        factories.branch("central", "中央図書館", 0)
        factories.branch("kita", "北分館", 1)
        factories.holding(rec, branch_code="central")
        factories.holding(rec, branch_code="kita", status=HoldingStatus.ON_LOAN)
    return rec


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_the_bare_page_offers_the_classes_to_browse(client, kokoro):
    body = text(client.get("/"))
    assert "分類から探す" in body
    assert "/?ndc=9" in body
    assert '<html lang="ja">' in body


def test_a_search_lists_the_record_with_its_availability(client, kokoro):
    body = text(client.get("/", {"q": "こころ"}))
    assert "「こころ」の検索結果" in body
    assert f'href="/records/{kokoro.pk}?back=q%3D%25E3%2581%2593' in body
    assert "夏目漱石" in body and "（著者）" in body
    assert "913.6 日本文学. 小説. 物語" in body
    assert "貸出可" in body and "オンラインで読める" in body


def test_an_htmx_request_gets_the_search_area_alone_and_the_address_to_show(client, kokoro):
    response = client.get(
        "/", {"q": "こころ", "year_from": "", "sort": "relevance"}, headers={"HX-Request": "true"}
    )
    body = text(response)
    assert "<html" not in body
    assert 'id="search-form"' in body
    assert "<title>「こころ」の検索結果（1件） — " in body
    assert 'hx-swap-oob="true"' in body  # the language switch returns here afterwards
    assert response["HX-Push-Url"] == "/?q=%E3%81%93%E3%81%93%E3%82%8D"
    assert "HX-Request" in response["Vary"]


def test_a_history_restore_gets_the_whole_page(client, kokoro):
    response = client.get(
        "/", {"q": "こころ"}, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in text(response)


def test_no_hits_with_filters_says_how_many_the_words_alone_find(client, kokoro):
    body = text(client.get("/", {"q": "こころ", "year_from": "2000"}))
    assert "一致する資料は見つかりませんでした" in body
    assert "絞り込みを外すと 1 件見つかります" in body
    assert 'href="/?q=%E3%81%93%E3%81%93%E3%82%8D"' in body


def test_a_page_past_the_end_shows_the_last_page(client, kokoro):
    response = client.get("/", {"q": "こころ", "page": "7"}, headers={"HX-Request": "true"})
    assert "1件中 1〜1件目" in text(response)
    assert response["HX-Push-Url"] == "/?q=%E3%81%93%E3%81%93%E3%82%8D"


def test_no_hits_without_filters_gives_tips(client, kokoro):
    body = text(client.get("/", {"q": "存在しない本"}))
    assert "見つからないときは" in body


def test_the_record_page_groups_copies_by_branch_with_their_status(client, kokoro):
    body = text(client.get(f"/records/{kokoro.pk}", {"back": "q=こころ&ndc=9"}))
    central = body.index("中央図書館")
    kita = body.index("北分館")
    assert central < body.index("貸出可", central) < kita < body.index("貸出中", kita)
    assert "913.6/ナ" in body
    assert 'href="/?q=%E3%81%93%E3%81%93%E3%82%8D&amp;ndc=9"' in body
    assert "検索結果に戻る" in body
    assert 'href="https://www.aozora.gr.jp/cards/000148/card773.html"' in body
    assert "000773" in body


def test_an_isbn_is_shown_without_hyphens_and_as_isbn_10(client, on_commit):
    with on_commit():
        rec = factories.record("日本の茶書", identifiers=[factories.isbn("4-00-310101-4")])
    body = text(client.get(f"/records/{rec.pk}"))
    assert "9784003101018" in body
    assert "ISBN-10: 4003101014" in body


def test_creators_show_their_reading_and_role(client, on_commit):
    with on_commit():
        rec = factories.record(
            "変身",
            creators=[
                CreatorEntry(name="カフカ", reading="かふか", role=CreatorRole.AUTHOR),
                CreatorEntry(name="原田義人", reading="はらだ よしと", role=CreatorRole.TRANSLATOR),
            ],
        )
    body = text(client.get(f"/records/{rec.pk}"))
    assert (
        '原田義人</a> <span class="reading" lang="ja">（はらだ よしと）</span> <span class="creator__role">翻訳者'
        in body
    )


def test_a_missing_record_is_a_404_page_in_the_site_layout(client):
    response = client.get("/records/999999")
    assert response.status_code == 404
    assert "お探しの資料（番号 999999）は見つかりませんでした" in text(response)


def test_an_unknown_address_is_the_same_404_page(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "ページが見つかりません" in text(response)


def test_english_pages_say_it_in_english(client, kokoro):
    client.cookies["django_language"] = "en"
    body = text(client.get("/", {"q": "こころ"}))
    assert '<html lang="en">' in body
    assert "Available" in body
    assert "Read online" in body
    assert "913.6 Japanese fiction" in body
    body = text(client.get(f"/records/{kokoro.pk}"))
    assert "On loan" in body and "Call number" in body


def test_the_language_switch_returns_to_the_same_page(client, kokoro):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/?q=こころ"})
    assert response.status_code == 302
    assert unquote(response["Location"]) == "/?q=こころ"
    assert '<html lang="en">' in text(client.get(response["Location"]))


def test_the_pages_read_no_more_than_a_few_queries(client, kokoro, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        client.get("/", {"q": "こころ"})
    with django_assert_max_num_queries(10):
        client.get(f"/records/{kokoro.pk}")


def test_every_catalogue_label_has_an_english_form():
    from toshokan.catalog.domain.enums import MaterialType
    from toshokan.portal import labels

    ja = {m.label_ja for enum in (HoldingStatus, MaterialType, CreatorRole) for m in enum}
    assert ja == set(labels.ENUM_LABELS_JA)
    with translation.override("en"):
        for label in ja:
            assert translation.gettext(label) != label, label
        for label in labels.NDC_CLASS_LABELS_JA:
            assert translation.gettext(label) != label, label


def test_every_page_credits_the_data_it_shows_with_its_licence(client, kokoro):
    body = text(client.get("/"))
    assert "青空文庫" in body and "CC BY 4.0" in body
    assert "図書館の所在データ" in body and "© OpenStreetMap contributors" in body and "ODbL" in body
    client.cookies["django_language"] = "en"
    body = text(client.get("/"))
    assert "Library locations: National Diet Library" in body and "© OpenStreetMap contributors" in body
