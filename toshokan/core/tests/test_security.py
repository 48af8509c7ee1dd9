"""The security baseline (docs/security.md): `check --deploy` clean with production settings, the
headers on every page, CSP reports, Argon2 for staff passwords, CSRF everywhere it matters, login
throttling shared by the page and the API, and no third-party script, style or font anywhere."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.hashers import make_password
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver

from config.api import api
from config.settings import base as base_settings
from toshokan.core.api_auth import SessionCookie
from toshokan.patrons.tests import factories

ROOT = Path(__file__).resolve().parents[3]
PAGES = ["/", "/account/login", "/signup", "/staff/login", "/api/v1/docs"]


def test_check_deploy_is_clean_with_production_settings():
    """What CI runs (`make test`): Django's deployment checklist with config.settings.prod, as an
    operator would start it, failing on any warning."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "SECRET_KEY": "check-only-0123456789-not-a-real-secret-key-abcdefghijklmnopqrstuvwxyz",
        "ALLOWED_HOSTS": "library.example",
    }
    env.pop("DATABASE_URL", None)  # the check needs no database server
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_send_cookies_only_over_https_and_never_to_scripts():
    code = (
        "from django.conf import settings as s;"
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY,"
        " s.SESSION_COOKIE_SAMESITE, s.SECURE_HSTS_SECONDS >= 31536000, s.SECURE_SSL_REDIRECT,"
        " s.PASSWORD_HASHERS[0])"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "SECRET_KEY": "x" * 60,
        "ALLOWED_HOSTS": "library.example",
    }
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.split() == [
        "True",
        "True",
        "True",
        "Lax",
        "True",
        "True",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
    ], result.stderr


def _directives(header: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *values = part.split()
        found[name] = values
    return found


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_every_page_carries_the_content_security_policy_and_the_other_headers(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    csp = _directives(response["Content-Security-Policy"])
    assert csp["default-src"] == ["'self'"]
    assert csp["script-src"] == ["'self'"]  # no 'unsafe-inline', no 'unsafe-eval', no other host
    # Styles: this site's, plus inline styles only by their exact hash (no 'unsafe-inline', no host).
    assert csp["style-src"][0] == "'self'" and all(v.startswith("'sha256-") for v in csp["style-src"][1:])
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["report-uri"] == ["/csp-report"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    policy = response["Permissions-Policy"]
    assert "publickey-credentials-get=(self)" in policy and "publickey-credentials-create=(self)" in policy
    assert "camera=()" in policy and "browsing-topics=()" in policy


@pytest.mark.django_db
def test_the_map_tile_server_is_an_image_source_only_when_configured(client):
    assert _directives(client.get("/")["Content-Security-Policy"])["img-src"] == ["'self'", "data:"]
    tiles = {"URL": "https://tiles.example.jp:8443/{z}/{x}/{y}.png", "ATTRIBUTION": "地図"}
    with override_settings(TOSHOKAN_MAP_TILES=tiles):
        img = _directives(client.get("/")["Content-Security-Policy"])["img-src"]
    assert img == ["'self'", "data:", "https://tiles.example.jp:8443"]
    with override_settings(TOSHOKAN_MAP_TILES={"URL": "javascript:alert(1)", "ATTRIBUTION": ""}):
        assert _directives(client.get("/")["Content-Security-Policy"])["img-src"] == ["'self'", "data:"]


def test_csp_violation_reports_are_logged_without_the_pages_query(client, caplog):
    report = {
        "csp-report": {
            "document-uri": "https://library.example/?q=secret+search",
            "violated-directive": "script-src-elem",
            "blocked-uri": "https://tracker.example/t.js?id=1",
        }
    }
    with caplog.at_level(logging.WARNING, logger="toshokan.security"):
        response = client.post("/csp-report", json.dumps(report), content_type="application/csp-report")
    assert response.status_code == 204
    (line,) = [r.getMessage() for r in caplog.records if r.name == "toshokan.security"]
    assert "https://library.example/" in line and "https://tracker.example/t.js" in line
    assert "secret" not in line and "id=1" not in line
    assert client.post("/csp-report", "not json", content_type="application/csp-report").status_code == 400
    assert client.post("/csp-report", "x" * 20000, content_type="application/csp-report").status_code == 413
    assert client.get("/csp-report").status_code == 405


@pytest.mark.django_db
def test_staff_passwords_are_hashed_with_argon2_and_older_hashes_are_upgraded_at_login():
    assert base_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    with override_settings(PASSWORD_HASHERS=base_settings.PASSWORD_HASHERS):
        user = get_user_model().objects.create_user("librarian")
        assert make_password("long enough password").startswith("argon2$")
        # An account from before: its hash made by PBKDF2.
        user.password = make_password("long enough password", hasher="pbkdf2_sha256")
        user.save()
        assert authenticate(username="librarian", password="long enough password") is not None
        user.refresh_from_db()
        assert user.password.startswith("argon2$argon2id$")


def _walk(patterns: Sequence[object], prefix: str = "") -> list[tuple[str, Any]]:
    found: list[tuple[str, object]] = []
    for p in patterns:
        if isinstance(p, URLResolver):
            found += _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            found.append((prefix + str(p.pattern), p.callback))
    return found


# Views that may take a POST without Django's CSRF token, and why:
CSRF_EXEMPT = {
    # Browsers send violation reports without a token; the view only writes a log line.
    "toshokan.core.security.csp_report",
    # OAI-PMH 2.0 (§3.1.1.2) allows POST for the same read-only verbs as GET; nothing changes.
    "toshokan.archive.oai.views.endpoint",
}


def test_only_the_known_views_skip_djangos_csrf_check():
    exempt = set()
    for _route, callback in _walk(get_resolver().url_patterns):
        if getattr(callback, "csrf_exempt", False):
            name = f"{callback.__module__}.{callback.__qualname__}"
            if callback.__module__.startswith("ninja."):
                continue  # the JSON API: its own check, next test
            exempt.add(name)
    assert exempt <= CSRF_EXEMPT, exempt - CSRF_EXEMPT


def test_every_unsafe_api_operation_checks_csrf_for_callers_that_come_with_a_session_cookie():
    """django-ninja's views are CSRF-exempt at Django's level; its session authentications check
    the token themselves (SessionCookie.__call__). No endpoint may swap that for one that does not."""
    unsafe = 0
    for _prefix, router in api._routers:
        for path_view in router.path_operations.values():
            for operation in path_view.operations:
                if not set(operation.methods) - {"GET", "HEAD", "OPTIONS"}:
                    continue
                unsafe += 1
                for auth in operation.auth_callbacks:
                    if isinstance(auth, SessionCookie):
                        assert type(auth).__call__ is SessionCookie.__call__, (operation.view_func, auth)
    assert unsafe > 10


@pytest.mark.django_db
def test_wrong_pins_through_the_api_lock_the_login_page_too():
    patron = factories.patron()
    api_client = Client()
    for _ in range(5):
        api_client.post(
            "/api/v1/patron/session",
            {"card_number": patron.card_number, "pin": "9999"},
            content_type="application/json",
        )
    page = Client().post("/account/login", {"card_number": patron.card_number, "pin": factories.PIN})
    assert page.status_code == 429


# A script, stylesheet or font from another site: an absolute or protocol-relative URL in the
# places that load them.
EXTERNAL = [
    re.compile(r"<script[^>]+src\s*=\s*[\"']?(?:https?:)?//", re.I),
    re.compile(r"<link[^>]+href\s*=\s*[\"']?(?:https?:)?//[^>]*>", re.I),
    re.compile(r"@import\s+(?:url\()?\s*[\"']?(?:https?:)?//", re.I),
    re.compile(r"url\(\s*[\"']?(?:https?:)?//", re.I),
    re.compile(r"\bimport\s*\(?\s*[\"'](?:https?:)?//", re.I),
    re.compile(
        r"(?:googletagmanager\.com|google-analytics\.com|\bgtag\(|\bfbq\(|connect\.facebook\.net|doubleclick\.net|hotjar\.com)"
    ),
]
# <link rel="…"> that only names a page for people or crawlers, never loaded by the browser.
HARMLESS_LINK = re.compile(r"rel\s*=\s*[\"']?(?:license|author|alternate|canonical|help)", re.I)


def _files() -> list[Path]:
    roots = [ROOT / "toshokan"]
    files = []
    for root in roots:
        for path in root.rglob("*"):
            if "tests" in path.parts or not path.is_file():
                continue
            if path.suffix in (".html", ".css", ".js", ".txt") and (
                "templates" in path.parts or "static" in path.parts
            ):
                files.append(path)
    return files


def test_no_template_or_static_file_loads_anything_from_another_site():
    files = _files()
    assert len(files) > 30
    offending = []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        for pattern in EXTERNAL:
            for match in pattern.finditer(text):
                if match.group(0).lower().startswith("<link") and HARMLESS_LINK.search(match.group(0)):
                    continue
                offending.append(f"{path.relative_to(ROOT)}: {match.group(0)[:80]}")
    assert offending == []


def test_the_scan_would_catch_a_cdn_script_a_web_font_and_a_tracker():
    samples = [
        '<script src="https://cdn.example/htmx.js"></script>',
        "<link rel=stylesheet href=//fonts.googleapis.com/css?family=Noto>",
        "@font-face { src: url('https://fonts.gstatic.com/x.woff2') }",
        "gtag('config', 'G-XXXX')",
    ]
    for sample in samples:
        assert any(p.search(sample) for p in EXTERNAL), sample
    assert not any(p.search('<script src="/static/portal/site.js"></script>') for p in EXTERNAL)


def test_the_settings_name_no_third_party_script_host():
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    for name in ("script-src", "font-src", "connect-src", "default-src"):
        assert directives[name] == ["'self'"], name
    assert [v for v in directives["style-src"] if not v.startswith("'sha256-")] == ["'self'"]


# Unsafe API operations that need no authentication, and why each is safe to call unauthenticated.
UNAUTHENTICATED_WRITES = {
    ("POST", "/patron/session"),  # the patron login: JSON only (no login CSRF), throttled
    ("DELETE", "/patron/session"),  # logging out: checks the CSRF token itself when a session exists
    ("POST", "/identity/jpki/challenges"),  # a fresh nonce to sign; changes nothing of anyone's
    ("POST", "/identity/jpki/registrations"),  # signed by the card's certificate over that nonce
    ("POST", "/identity/jpki/logins"),  # signed by the card's certificate over that nonce
}


def test_the_unauthenticated_api_writes_are_the_known_ones():
    found = set()
    for _prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for method in set(operation.methods) - {"GET", "HEAD", "OPTIONS"}:
                    if not operation.auth_callbacks:
                        found.add((method, path))
    assert found <= UNAUTHENTICATED_WRITES, found - UNAUTHENTICATED_WRITES


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/v1/patron/session", "/api/v1/identity/jpki/logins", "/api/v1/me/pin"])
@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/plain", '{"card_number": "1", "pin": "1"}'),
        ("application/x-www-form-urlencoded", "card_number=1&pin=1"),
        (
            "multipart/form-data; boundary=x",
            '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\nb\r\n--x--\r\n',
        ),
    ],
)
def test_the_api_refuses_bodies_a_cross_site_form_could_send(client, path, content_type, body):
    """A page on another site can post these three without a CORS preflight; JSON it cannot."""
    response = client.generic("POST", path, body, content_type=content_type)
    assert response.status_code == 415
    assert response.json()["error"] == "json_required"


@pytest.mark.django_db
def test_json_and_empty_bodies_still_reach_the_api(client):
    assert client.post("/api/v1/patron/session", {}, content_type="application/json").status_code == 422
    empty = client.generic("POST", "/api/v1/identity/jpki/challenges", b"", content_type="text/plain")
    assert empty.status_code != 415
    assert client.post("/csp-report", "{}", content_type="application/csp-report").status_code == 204
