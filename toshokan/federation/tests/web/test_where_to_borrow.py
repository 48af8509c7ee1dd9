"""「この本はどこで借りられる？」 in a real browser: the place from the browser's position, the nearest
libraries first, and each library's status filled in as its system answers — this toshokan's own
shelves and a quick other toshokan at once, a slow one later, a failing one as an error — with the
links to reserve. The other toshokans are real HTTP servers on loopback (stubs.StubToshokan).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import expect

from toshokan.catalog.models import Record
from toshokan.federation.selectors import haversine_km
from toshokan.federation.tests.calil_check.stubs import (
    KOKORO,
    StubToshokan,
    load_registry,
    local_catalogue,
    local_systems,
    remote,
)

from .conftest import TOKYO_STATION, axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path(settings.VAR_DIR) / "screenshots"


@pytest.fixture
def libraries():
    local_catalogue()
    with (
        StubToshokan({KOKORO: {"駅前": "貸出可"}}) as fast,
        StubToshokan({KOKORO: {"本館": "貸出中"}}, delay_s=5.0) as slow,
        StubToshokan({}, fail=True) as down,
    ):
        systems = [
            *local_systems(),
            remote("Remote_Fast", fast, "駅前", (139.70, 35.69)),
            remote("Remote_Slow", slow, "本館", (139.80, 35.70)),
            remote("Remote_Down", down, "本館", (139.60, 35.60)),
        ]
        load_registry(systems)
        yield {"systems": systems, "fast": fast, "slow": slow, "down": down}


def row(page, name: str):
    return page.locator(".where__library", has=page.get_by_role("heading", name=name))


def test_from_my_position_the_nearest_libraries_come_first_and_fill_in_as_each_system_answers(
    page, url, libraries
):
    page.goto(url(f"/where-to-borrow?isbn={KOKORO}"))
    expect(page.get_by_role("heading", level=1)).to_have_text("この本はどこで借りられる？")
    expect(page.get_by_text("『こころ』の、近くの図書館での貸出状況")).to_be_visible()
    page.get_by_role("button", name="現在地の近くを探す").click()
    expect(page.get_by_role("heading", name="現在地の近くの図書館")).to_be_visible()

    here = (TOKYO_STATION["longitude"], TOKYO_STATION["latitude"])
    branches = [(b.formal, b.geocode) for s in libraries["systems"] for b in s.branches]
    nearest_first = [name for name, _ in sorted(branches, key=lambda b: haversine_km(here, b[1]))]
    expect(page.locator(".where__name")).to_have_count(len(nearest_first))
    assert page.locator(".where__name").all_inner_texts() == nearest_first
    nearest = min(b[1] for b in branches if b[0] == nearest_first[0])
    assert page.locator(".where__distance").first.inner_text() == f"{haversine_km(here, nearest):.1f} km"

    # Our own shelves and the quick library are shown while the slow one is still being asked.
    expect(row(page, "デモ市立中央図書館").locator(".where__badge")).to_have_text("貸出可")
    expect(row(page, "Remote_Fast 駅前図書館").locator(".where__badge")).to_have_text("貸出可")
    expect(row(page, "Remote_Slow 本館図書館").locator(".where__badge")).to_have_text("確認中…")
    expect(row(page, "デモ市立北分館").locator(".where__badge")).to_have_text("貸出中")
    expect(row(page, "デモ北区中央図書館").locator(".where__badge")).to_have_text("貸出中")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "where-to-borrow-partial.png"), full_page=True)

    expect(row(page, "Remote_Slow 本館図書館").locator(".where__badge")).to_have_text(
        "貸出中", timeout=12_000
    )
    expect(row(page, "Remote_Down 本館図書館").locator(".where__badge")).to_have_text("確認できませんでした")
    expect(page.locator("#where-progress")).to_have_text("すべての図書館の結果が届きました")

    reserve = row(page, "Remote_Fast 駅前図書館").get_by_role("link", name="この図書館のサイトで予約する")
    expect(reserve).to_have_attribute("href", f"{libraries['fast'].url}/reserve/{KOKORO}")
    kokoro = Record.objects.get(title="こころ")
    hold = row(page, "デモ市立中央図書館").get_by_role("link", name="この図書館で予約する")
    expect(hold).to_have_attribute("href", f"/records/{kokoro.pk}#hold")
    expect(row(page, "Remote_Down 本館図書館").get_by_role("link")).to_have_count(0)
    page.screenshot(path=str(SHOTS / "where-to-borrow.png"), full_page=True)
    assert axe_violations(page) == []

    hold.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("こころ")
    assert page.url.endswith("#hold")


def test_a_place_chosen_from_the_registry_lists_its_libraries_without_the_browsers_position(
    page, url, libraries
):
    page.goto(url(f"/where-to-borrow?isbn={KOKORO}"))
    page.get_by_label("都道府県").select_option("東京都")
    page.get_by_label("市区町村").fill("北区")
    page.get_by_role("button", name="この場所で探す").click()
    expect(page.get_by_role("heading", name="東京都北区の近くの図書館")).to_be_visible()
    # The municipality's own library first; its neighbours after it, nearest first.
    expect(page.locator(".where__name").first).to_have_text("デモ北区中央図書館")
    expect(row(page, "デモ北区中央図書館").locator(".where__badge")).to_have_text("貸出中")
    # No tile server configured: the map is markers on a plain ground, the list is complete without it.
    expect(page.locator("#where-map")).to_have_class(re.compile(r"where__map--plain"))
    expect(page.locator("#where-map .leaflet-tile")).to_have_count(0)


def test_an_unknown_place_and_a_bad_isbn_are_said_plainly(page, url, libraries):
    page.goto(url(f"/where-to-borrow?isbn={KOKORO}&pref=東京都&city=夢の島町"))
    expect(page.get_by_role("alert")).to_have_text("「東京都夢の島町」の図書館は登録されていません。")
    page.goto(url("/where-to-borrow?isbn=12345&pref=東京都"))
    expect(page.locator("#where-isbn-error")).to_contain_text("「12345」はISBNではありません")
    expect(page.get_by_label("ISBN（複数ならカンマ区切り）")).to_have_attribute("aria-invalid", "true")


def test_the_record_page_links_to_where_the_book_can_be_borrowed(page, url, libraries):
    kokoro = Record.objects.get(title="こころ")
    page.goto(url(f"/records/{kokoro.pk}"))
    page.get_by_role("link", name=re.compile("この本はどこで借りられる？")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("この本はどこで借りられる？")
    expect(page.get_by_label("ISBN（複数ならカンマ区切り）")).to_have_value(KOKORO)


def test_the_page_speaks_english_when_asked(client, libraries):
    response = client.get(
        f"/where-to-borrow?isbn={KOKORO}&pref=東京都&city=千代田区", HTTP_ACCEPT_LANGUAGE="en"
    )
    text = response.content.decode()
    assert '<h1 class="page-title">Where can I borrow this now?</h1>' in text
    assert "Libraries near 東京都千代田区" in text
    assert '"running": "Checking\\u2026"' in text or '"running": "Checking…"' in text
    record = client.get(f"/records/{Record.objects.get(title='こころ').pk}", HTTP_ACCEPT_LANGUAGE="en")
    assert "Where can I borrow this now? (availability at libraries near you)" in record.content.decode()


def test_on_a_phone_the_page_fits_the_screen_and_the_list_starts_on_the_first_screen(browser, url, libraries):
    from toshokan.portal.tests.web.conftest import PHONE, no_horizontal_scroll

    context = browser.new_context(locale="ja-JP", viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        phone = context.new_page()
        phone.goto(url(f"/where-to-borrow?isbn={KOKORO}&pref=東京都&city=千代田区"))
        expect(phone.locator(".where__library").first.locator(".where__badge")).not_to_have_text("確認中…")
        assert no_horizontal_scroll(phone)
        # The place form folds away once a place is chosen, so the list starts on the first screen.
        first = phone.locator(".where__library").first.bounding_box()
        assert first is not None and first["y"] < PHONE["height"]
        SHOTS.mkdir(parents=True, exist_ok=True)
        phone.screenshot(path=str(SHOTS / "where-to-borrow-phone.png"), full_page=False)
        phone.get_by_text("本や場所を変える").click()
        expect(phone.get_by_label("市区町村")).to_have_value("千代田区")
    finally:
        context.close()


def test_with_a_tile_server_configured_the_map_draws_its_tiles_and_their_attribution(
    page, url, libraries, settings
):
    import base64
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    # A 1×1 PNG for every tile: the tile server stands in for OpenStreetMap's or a library's own.
    png = base64.b64decode(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
    )
    asked: list[str] = []

    class Tiles(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(png)))
            self.end_headers()
            self.wfile.write(png)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings.TOSHOKAN_MAP_TILES = {
            "URL": f"http://127.0.0.1:{server.server_address[1]}/tiles/{{z}}/{{x}}/{{y}}.png",
            "ATTRIBUTION": "地図: テスト地図",
        }
        page.goto(url(f"/where-to-borrow?isbn={KOKORO}&pref=東京都&city=千代田区"))
        expect(page.locator("#where-map .leaflet-tile-loaded").first).to_be_attached()
        expect(page.locator("#where-map .leaflet-control-attribution")).to_contain_text("地図: テスト地図")
        expect(page.locator("#where-map")).not_to_have_class(re.compile(r"where__map--plain"))
        assert asked and all(re.fullmatch(r"/tiles/\d+/\d+/\d+\.png", p) for p in asked)
    finally:
        server.shutdown()
        server.server_close()


def test_a_position_that_is_not_longitude_and_latitude_is_refused_plainly(client, libraries):
    for bad in ("abc", "35.68,139.77,1", "200,35"):
        html = client.get("/where-to-borrow", {"isbn": KOKORO, "geocode": bad}).content.decode()
        assert "位置は「経度,緯度」の形で指定してください。" in html
        assert "where__library" not in html


def test_without_javascript_the_statuses_come_by_reloading_the_page_until_every_library_has_answered(
    browser, url, libraries
):
    context = browser.new_context(locale="ja-JP", java_script_enabled=False)
    context.set_default_timeout(20_000)
    try:
        page = context.new_page()
        page.goto(url(f"/where-to-borrow?isbn={KOKORO}&pref=東京都&city=千代田区"))
        expect(row(page, "デモ市立中央図書館").locator(".where__badge")).to_have_text("確認中…")
        start = page.get_by_role("link", name="貸出状況を表示する")
        # A crawler following it would ask every listed library: the link asks robots not to.
        expect(start).to_have_attribute("rel", "nofollow")
        start.click()
        assert "session=" in page.url
        # The page refreshes itself every 2 s while a library is still being asked.
        expect(row(page, "Remote_Slow 本館図書館").locator(".where__badge")).to_have_text(
            "貸出中", timeout=20_000
        )
        expect(page.locator("#where-progress")).to_have_text(
            "すべての図書館の結果が届きました", timeout=5_000
        )
        expect(row(page, "デモ市立中央図書館").locator(".where__badge")).to_have_text("貸出可")
        expect(row(page, "Remote_Down 本館図書館").locator(".where__badge")).to_have_text(
            "確認できませんでした"
        )
        reserve = row(page, "Remote_Fast 駅前図書館").get_by_role("link", name="この図書館のサイトで予約する")
        expect(reserve).to_have_attribute("href", f"{libraries['fast'].url}/reserve/{KOKORO}")
        kokoro = Record.objects.get(title="こころ")
        expect(
            row(page, "デモ市立中央図書館").get_by_role("link", name="この図書館で予約する")
        ).to_have_attribute("href", f"/records/{kokoro.pk}#hold")
        expect(page.locator("meta[http-equiv=refresh]")).to_have_count(0)
    finally:
        context.close()


def test_a_page_reloaded_with_its_session_goes_on_with_it_in_the_browser(page, url, libraries):
    page.goto(url(f"/where-to-borrow?isbn={KOKORO}&pref=東京都&city=千代田区"))
    expect(page.locator("#where-progress")).to_have_text("すべての図書館の結果が届きました", timeout=15_000)
    asked = len(libraries["fast"].requests)
    page.goto(url(f"/where-to-borrow?isbn={KOKORO}&pref=東京都&city=千代田区&check=1"))
    assert "session=" in page.url
    expect(page.locator("#where-progress")).to_have_text("すべての図書館の結果が届きました", timeout=15_000)
    expect(row(page, "Remote_Fast 駅前図書館").locator(".where__badge")).to_have_text("貸出可")
    assert len(libraries["fast"].requests) == asked, "answered from the answer cache, not asked again"
