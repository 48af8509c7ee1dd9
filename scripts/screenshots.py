#!/usr/bin/env python3
"""Screenshots of the patron pages for docs/screenshots/, taken from a running server.

    python scripts/screenshots.py http://127.0.0.1:8765 [--out docs/screenshots] [--query 漱石]

Drives Debian's chromium (`apt-get install chromium fonts-noto-cjk`) through Playwright. Writes the
search page on a desktop and on a phone in Japanese and in English (what fits on the screen), the
bare search page, a search with no hits, and the whole record page of the first result with a copy
that can be borrowed now (else the first result).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from urllib.parse import quote

from playwright.sync_api import Browser, Page, ViewportSize, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}


def new_page(browser: Browser, base: str, *, language: str, phone: bool) -> Page:
    context = browser.new_context(
        viewport=PHONE if phone else DESKTOP,
        device_scale_factor=2 if phone else 1,
        is_mobile=phone,
        has_touch=phone,
        locale="ja-JP" if language == "ja" else "en-US",
    )
    context.add_cookies([{"name": "django_language", "value": language, "url": base}])
    return context.new_page()


def shoot(page: Page, url: str, path: Path, *, full_page: bool = False) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(path), full_page=full_page)
    print(f"wrote {path}")


def record_url(page: Page, base: str, query: str) -> str:
    """The first result on the page with a copy that can be borrowed, else the first result."""
    page.goto(f"{base}/?q={quote(query)}&available=1")
    links = page.locator(".result__title a")
    if links.count() == 0:
        page.goto(f"{base}/?q={quote(query)}")
        links = page.locator(".result__title a")
    if links.count() == 0:
        raise SystemExit(f"no results for {query!r}: load a catalogue first")
    href = links.first.get_attribute("href") or ""
    return base + href.split("?")[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("base", help="the running server, e.g. http://127.0.0.1:8765")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--query", default="漱石")
    args = parser.parse_args(argv)
    base = args.base.rstrip("/")
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing: apt-get install chromium fonts-noto-cjk", file=sys.stderr)
        return 1

    search = f"{base}/?q={quote(args.query)}"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            for language in ("ja", "en"):
                desktop = new_page(browser, base, language=language, phone=False)
                shoot(desktop, search, out / f"search-{language}-desktop.png")
                phone = new_page(browser, base, language=language, phone=True)
                shoot(phone, search, out / f"search-{language}-phone.png")

            desktop = new_page(browser, base, language="ja", phone=False)
            shoot(desktop, f"{base}/", out / "home-ja-desktop.png")
            record = record_url(desktop, base, args.query)
            shoot(desktop, record, out / "record-ja-desktop.png", full_page=True)
            phone = new_page(browser, base, language="ja", phone=True)
            shoot(phone, record, out / "record-ja-phone.png")
            english = new_page(browser, base, language="en", phone=False)
            shoot(english, record, out / "record-en-desktop.png", full_page=True)
            shoot(desktop, f"{base}/?q={quote('存在しない書名ですよ')}", out / "search-ja-no-results.png")
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
