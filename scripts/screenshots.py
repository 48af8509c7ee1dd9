#!/usr/bin/env python3
"""Screenshots of the patron pages for docs/screenshots/, taken from a running server.

    python scripts/screenshots.py http://127.0.0.1:8765 [--out docs/screenshots] [--query 漱石]
        [--only search|account]

Drives Debian's chromium (`apt-get install chromium fonts-noto-cjk`) through Playwright. Writes the
search page on a desktop and on a phone in Japanese and in English (what fits on the screen), the
bare search page, a search with no hits, and the whole record page of the first result with a copy
that can be borrowed now (else the first result). The account pages (docs/account.md) are taken
logged in as the showcase patrons of demo/credentials.json: loans, holds, the hold box on a record
page, the reading history, English, and the digital card on a phone.
"""

from __future__ import annotations

import argparse
import json
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


CREDENTIALS = Path(__file__).resolve().parent.parent / "demo" / "credentials.json"


def showcase(story: str) -> dict[str, str]:
    """The showcase patron whose story starts with `story`."""
    for patron in json.loads(CREDENTIALS.read_text())["showcase_patrons"]:
        if patron["story"].startswith(story):
            return dict(patron)
    raise SystemExit(f"no showcase patron whose story starts with {story!r} in {CREDENTIALS}")


def log_in(page: Page, base: str, patron: dict[str, str]) -> None:
    page.goto(f"{base}/account/login")
    page.locator("#id_card_number").fill(patron["card"])
    page.locator("#id_pin").fill(patron["pin"])
    page.locator("form.stack-form button[type=submit]").click()
    page.wait_for_url(f"{base}/account/")


def account_shots(browser: Browser, base: str, out: Path) -> None:
    loans = new_page(browser, base, language="ja", phone=False)
    log_in(loans, base, showcase("three loans"))
    shoot(loans, f"{base}/account/", out / "account-ja-desktop.png", full_page=True)
    holds = new_page(browser, base, language="ja", phone=False)
    log_in(holds, base, showcase("holds: one ready"))
    shoot(holds, f"{base}/account/", out / "account-holds-ja-desktop.png", full_page=True)
    english = new_page(browser, base, language="en", phone=False)
    log_in(english, base, showcase("holds: second"))
    shoot(english, f"{base}/account/", out / "account-en-desktop.png", full_page=True)
    queued = new_page(browser, base, language="ja", phone=False)
    log_in(queued, base, showcase("a hold third"))
    record = queued.locator(".item--hold-waiting .item__title a").first.get_attribute("href") or ""
    shoot(queued, f"{base}{record}", out / "account-hold-ja-desktop.png")
    shoot(loans, f"{base}{record}", out / "account-hold-form-ja-desktop.png")
    history = new_page(browser, base, language="ja", phone=False)
    log_in(history, base, showcase("opted in to a reading history"))
    shoot(history, f"{base}/account/history", out / "account-history-ja-desktop.png", full_page=True)
    phone = new_page(browser, base, language="ja", phone=True)
    log_in(phone, base, showcase("three loans"))
    shoot(phone, f"{base}/account/card", out / "account-card-ja-phone.png", full_page=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("base", help="the running server, e.g. http://127.0.0.1:8765")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--query", default="漱石")
    parser.add_argument("--only", choices=["search", "account"], help="take only these pages")
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
            if args.only != "search":
                account_shots(browser, base, out)
            if args.only == "account":
                return 0
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
