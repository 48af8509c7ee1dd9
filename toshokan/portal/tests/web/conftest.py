"""Browser tests: Debian's chromium driven by Playwright against pytest-django's live server.

If /usr/bin/chromium is missing the tests are skipped with a message that names the packages (`make
test` installs them, see scripts/system-packages.sh).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from toshokan.catalog.domain.enums import CreatorRole, HoldingStatus, IdentifierScheme
from toshokan.catalog.domain.records import CreatorEntry, IdentifierEntry
from toshokan.catalog.models import NdcClass, Record
from toshokan.catalog.tests import factories

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.skip(
            f"{CHROMIUM} is missing: install Debian's chromium and fonts-noto-cjk "
            "(apt-get install chromium fonts-noto-cjk; `make test` does it when run as root)"
        )
    return CHROMIUM


@pytest.fixture(scope="module")
def browser(chromium: Path) -> Iterator[Browser]:
    """One browser per test module.

    Playwright's sync API keeps an event loop on the test's thread while it runs, and Django refuses
    database calls on a thread with a running loop. The tests only make plain synchronous calls
    (factories, flushing the test database), so they are allowed for as long as the browser is up —
    and no longer: the browser stops at the end of the module, so no other test runs beside it.
    """
    with pytest.MonkeyPatch.context() as mp, sync_playwright() as pw:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = pw.chromium.launch(executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@contextmanager
def _context(browser: Browser, **kwargs: object) -> Iterator[BrowserContext]:
    context = browser.new_context(locale="ja-JP", **kwargs)  # type: ignore[arg-type]
    context.set_default_timeout(10_000)
    try:
        yield context
    finally:
        context.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    with _context(browser, viewport=DESKTOP) as context:
        yield context.new_page()


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    with _context(browser, viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2) as context:
        yield context.new_page()


@pytest.fixture
def url(live_server) -> object:
    def make(path: str = "/") -> str:
        return live_server.url + path

    return make


class Catalogue:
    """A small library: a few works by two authors, copies at two branches."""

    def __init__(self) -> None:
        NdcClass.objects.bulk_create(
            [
                NdcClass(notation="1", label_ja="哲学"),
                NdcClass(notation="9", label_ja="文学"),
                NdcClass(notation="91", label_ja="日本文学", broader="9"),
                NdcClass(notation="913", label_ja="小説．物語", label_en="Japanese fiction", broader="91"),
            ]
        )
        soseki = CreatorEntry(
            name="夏目漱石",
            reading="なつめ そうせき",
            romanized="Natsume Soseki",
            role=CreatorRole.AUTHOR,
            dates="1867/1916",
            authority_id="aozora:000148",
        )
        kenji = CreatorEntry(
            name="宮沢賢治",
            reading="みやざわ けんじ",
            romanized="Miyazawa Kenji",
            role=CreatorRole.AUTHOR,
            authority_id="aozora:000081",
        )
        factories.branch("central", "中央図書館", 0)
        factories.branch("kita", "北分館", 1)
        self.kokoro = factories.record(
            "こころ",
            title_reading="こころ",
            title_romanized="Kokoro",
            creators=[soseki],
            year=1914,
            ndc="913.6",
            publisher="岩波書店",
            identifiers=[IdentifierEntry(IdentifierScheme.AOZORA, "773"), factories.isbn("4-00-310111-1")],
            etext_url="https://www.aozora.gr.jp/cards/000148/card773.html",
        )
        self.botchan = factories.record(
            "坊っちゃん", title_reading="ぼっちゃん", creators=[soseki], year=1906, ndc="913.6"
        )
        self.neko = factories.record(
            "吾輩は猫である", title_reading="わがはいはねこである", creators=[soseki], year=1905, ndc="913.6"
        )
        self.bungaku = factories.record(
            "文学論", title_reading="ぶんがくろん", creators=[soseki], year=1907, ndc="901"
        )
        self.ginga = factories.record(
            "銀河鉄道の夜", title_reading="ぎんがてつどうのよる", creators=[kenji], year=1934, ndc="913.6"
        )
        self.nihilism = factories.record(
            "哲学の話", title_reading="てつがくのはなし", creators=[kenji], year=1920, ndc="104"
        )
        factories.holding(self.kokoro, branch_code="central")
        factories.holding(self.kokoro, branch_code="central", status=HoldingStatus.ON_LOAN)
        factories.holding(self.kokoro, branch_code="kita", status=HoldingStatus.ON_LOAN)
        factories.holding(self.botchan, branch_code="kita")
        factories.holding(self.ginga, branch_code="central", status=HoldingStatus.ON_LOAN)

    def record(self, title: str) -> Record:
        return Record.objects.get(title=title)


@pytest.fixture
def catalogue(transactional_db) -> Catalogue:
    return Catalogue()


def titles(page: Page) -> list[str]:
    return [t.strip() for t in page.locator(".result__title a").all_inner_texts()]


def no_horizontal_scroll(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def axe_violations(page: Page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict[str, object]]:
    """axe-core's WCAG 2.x A/AA findings on the page as it is now, of the given impacts."""
    # Evaluated through the DevTools protocol rather than added as an inline <script>, which the
    # pages' Content-Security-Policy rightly refuses.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async () => await axe.run(document, {
            runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]},
        })"""
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v["impact"] in impacts
    ]
