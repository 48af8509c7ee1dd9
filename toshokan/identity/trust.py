"""What toshokan trusts for My Number card certificates, and the revocation data it fetches.

Settings (all in one dict, read here with getattr so the app needs nothing in base.py):

    TOSHOKAN_JPKI = {
        "ROOTS": ["/etc/toshokan/jpki/sign-ca.pem", "/etc/toshokan/jpki/auth-ca.pem"],
        "CHAIN": [],            # link certificates between J-LIS CA generations (PEM files)
        "CRLS": ["https://…/sign.crl", "/var/lib/toshokan/auth.crl"],  # files or http(s) URLs
        "CRL_TIMEOUT_S": 10,    # per fetch
        "CRL_MAX_BYTES": 200 * 1024 * 1024,
        "OCSP_URL": "",         # an OCSP responder; empty: CRLs only
        "OCSP_TIMEOUT_S": 5,
        "OCSP_NONCE": True,     # send a nonce and require it back
        "NONCE_TTL_S": 300,     # how long a challenge may be answered
        "CHALLENGES_PER_ADDRESS": 60,  # challenges one client address may ask for in 10 minutes
        "DEMO": False,          # also trust the demo card CA (manage.py jpki_demo_card); DEBUG only
        "HOME_BRANCH": "",      # branch code for new members; empty: the first branch
        "HOME_BRANCH_RULES": [],  # [["東京都千代田区永田町", "kita"], …] first address prefix wins
    }

A CRL is fetched when first needed and kept (in this process) until its nextUpdate; a file is read
again when it changes. A CRL that cannot be fetched or read, whose signature no configured CA
verifies, or that is past its nextUpdate is not used, and the reason is kept so that the refusal
says why ("revocation_unknown: …") instead of accepting a card nobody could check.

The demo CA (toshokan/identity/demo.py) is trusted only when DEMO is on **and** DEBUG is on: the
production settings run with DEBUG off, so no setting there can make the demo's made-up residents
trustworthy, and `manage.py check --deploy` reports DEMO as an error as well.
"""

from __future__ import annotations

import threading
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULTS: dict[str, Any] = {
    "ROOTS": [],
    "CHAIN": [],
    "CRLS": [],
    "CRL_TIMEOUT_S": 10,
    "CRL_MAX_BYTES": 200 * 1024 * 1024,
    "OCSP_URL": "",
    "OCSP_TIMEOUT_S": 5,
    "OCSP_NONCE": True,
    "NONCE_TTL_S": 300,
    "CHALLENGES_PER_ADDRESS": 60,
    "DEMO": False,
    "HOME_BRANCH": "",
    "HOME_BRANCH_RULES": [],
}


def config() -> dict[str, Any]:
    configured = getattr(settings, "TOSHOKAN_JPKI", {}) or {}
    unknown = set(configured) - set(DEFAULTS)
    if unknown:
        raise ImproperlyConfigured(f"TOSHOKAN_JPKI: unknown key(s) {', '.join(sorted(unknown))}")
    return {**DEFAULTS, **configured}


def demo_enabled() -> bool:
    return bool(config()["DEMO"]) and bool(settings.DEBUG)


def _read_pem_certificates(path: str | Path) -> list[x509.Certificate]:
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ImproperlyConfigured(f"TOSHOKAN_JPKI: cannot read {path}: {exc}") from exc
    try:
        if data.lstrip().startswith(b"-----BEGIN"):
            return x509.load_pem_x509_certificates(data)
        return [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise ImproperlyConfigured(f"TOSHOKAN_JPKI: {path} holds no certificate") from exc


def roots() -> list[x509.Certificate]:
    found = [c for path in config()["ROOTS"] for c in _read_pem_certificates(path)]
    if demo_enabled():
        from . import demo

        found += demo.roots()
    return found


def chain() -> list[x509.Certificate]:
    return [c for path in config()["CHAIN"] for c in _read_pem_certificates(path)]


@dataclass
class _Cached:
    crl: x509.CertificateRevocationList
    stamp: float  # a file's mtime; 0 for a URL


_cache: dict[str, _Cached] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Revocation:
    """The CRLs usable now, and why any configured one is not."""

    crls: list[x509.CertificateRevocationList]
    problems: list[str]


def current_crls(*, now: datetime) -> Revocation:
    """Every configured CRL that is readable, signed by a configured CA and not past nextUpdate."""
    sources = list(config()["CRLS"])
    if demo_enabled():
        from . import demo

        sources += [str(p) for p in demo.crl_paths()]
    issuers = roots() + chain()
    crls: list[x509.CertificateRevocationList] = []
    problems: list[str] = []
    for source in sources:
        try:
            crl = _load(source, now=now)
        except (OSError, ValueError) as exc:
            problems.append(f"CRL {source} could not be read ({exc})")
            continue
        signer = next((ca for ca in issuers if ca.subject == crl.issuer), None)
        if signer is None or not crl.is_signature_valid(signer.public_key()):  # type: ignore[arg-type]
            problems.append(f"CRL {source} is not signed by a configured CA")
            continue
        if crl.next_update_utc is not None and now > crl.next_update_utc:
            problems.append(f"CRL {source} is stale (nextUpdate {crl.next_update_utc:%Y-%m-%d %H:%M} UTC)")
            continue
        crls.append(crl)
    return Revocation(crls=crls, problems=problems)


def _load(source: str, *, now: datetime) -> x509.CertificateRevocationList:
    scheme = urlsplit(source).scheme
    with _lock:
        cached = _cache.get(source)
        if scheme in ("http", "https"):
            fresh = cached is not None and (
                cached.crl.next_update_utc is None or now <= cached.crl.next_update_utc
            )
            if fresh:
                return cached.crl  # type: ignore[union-attr]
            crl = _parse(_fetch(source))
            _cache[source] = _Cached(crl, 0)
            return crl
        if scheme not in ("", "file"):
            raise ValueError(f"unsupported scheme {scheme!r}")
        path = Path(urlsplit(source).path if scheme == "file" else source)
        stamp = path.stat().st_mtime
        if cached is not None and cached.stamp == stamp:
            return cached.crl
        crl = _parse(path.read_bytes())
        _cache[source] = _Cached(crl, stamp)
        return crl


def _fetch(url: str) -> bytes:
    conf = config()
    limit = int(conf["CRL_MAX_BYTES"])
    request = urllib.request.Request(url, headers={"User-Agent": "toshokan-jpki"})
    with urllib.request.urlopen(request, timeout=float(conf["CRL_TIMEOUT_S"])) as response:
        body: bytes = response.read(limit + 1)
    if len(body) > limit:
        raise ValueError(f"larger than CRL_MAX_BYTES ({limit})")
    return body


def _parse(data: bytes) -> x509.CertificateRevocationList:
    if data.lstrip().startswith(b"-----BEGIN"):
        return x509.load_pem_x509_crl(data)
    return x509.load_der_x509_crl(data)


def forget_crls() -> None:
    """Drop the cached CRLs (tests; an operator who replaced a CRL file need not call it)."""
    with _lock:
        _cache.clear()


def ocsp_url() -> str:
    url = str(config()["OCSP_URL"])
    if url and urlsplit(url).scheme not in ("http", "https"):
        raise ImproperlyConfigured("TOSHOKAN_JPKI OCSP_URL must be an http(s) URL")
    return url


def ask_ocsp(url: str, request_der: bytes) -> bytes:
    """POST one OCSP request (RFC 6960 Appendix A.1) and return the response body."""
    request = urllib.request.Request(
        url,
        data=request_der,
        headers={"Content-Type": "application/ocsp-request", "User-Agent": "toshokan-jpki"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=float(config()["OCSP_TIMEOUT_S"])) as response:
        body: bytes = response.read(1024 * 1024)
    return body
