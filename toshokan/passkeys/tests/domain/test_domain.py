"""The relying party a deployment names, and passkey names: pure rules, no database."""

from __future__ import annotations

import pytest

from toshokan.passkeys.domain import names
from toshokan.passkeys.domain.relying_party import (
    NotADomain,
    RelyingParty,
    RelyingPartyError,
    host_without_port,
    relying_party,
)


@pytest.mark.parametrize(
    ("config", "scheme", "host", "expected"),
    [
        (None, "http", "localhost:8000", RelyingParty("localhost", "toshokan", ("http://localhost:8000",))),
        (
            {},
            "https",
            "Library.Example.JP",
            RelyingParty("library.example.jp", "toshokan", ("https://library.example.jp",)),
        ),
        (
            {"RP_ID": "example.jp", "RP_NAME": "みなと図書館"},
            "http",
            "internal:8000",
            RelyingParty("example.jp", "みなと図書館", ("https://example.jp",)),
        ),
        (
            {"RP_ID": "example.jp", "ORIGINS": ["https://opac.example.jp/", "https://example.jp"]},
            "http",
            "internal",
            RelyingParty("example.jp", "toshokan", ("https://opac.example.jp", "https://example.jp")),
        ),
    ],
)
def test_the_relying_party_from_settings_or_the_request(config, scheme, host, expected):
    assert relying_party(config, scheme=scheme, host=host) == expected


@pytest.mark.parametrize(
    "config",
    [
        {"RP_ID": "example.jp", "ORIGINS": ["https://example.com"]},
        {"RP_ID": "opac.example.jp", "ORIGINS": ["https://example.jp"]},
        {"RP_ID": "example.jp", "ORIGINS": ["https://notexample.jp"]},
        {"RP_ID": "example.jp", "ORIGINS": "https://example.jp"},
        {"RP_ID": "example.jp", "ORIGINS": ["example.jp"]},
        {"RP_ID": "example.jp", "ORIGINS": ["https://example.jp/opac"]},
    ],
)
def test_origins_the_rp_id_cannot_serve_are_a_configuration_error(config):
    with pytest.raises(RelyingPartyError, match="TOSHOKAN_WEBAUTHN"):
        relying_party(config, scheme="https", host="example.jp")


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("localhost:8000", "localhost"),
        ("[::1]:8000", "::1"),
        ("example.jp", "example.jp"),
        ("EXAMPLE.jp", "example.jp"),
    ],
)
def test_host_without_port(host, expected):
    assert host_without_port(host) == expected


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("iPhone", "iPhone"),
        ("  職場のPC ", "職場のPC"),
        ("ｶﾞ", "ｶﾞ"),
        ("👨\u200d💻 laptop", "👨\u200d💻 laptop"),
        ("x" * 64, "x" * 64),
    ],
)
def test_names_are_kept_as_typed(typed, stored):
    assert names.clean_name(typed) == stored


@pytest.mark.parametrize("typed", ["", "   ", "x" * 65, "tab\there", "abc\u202edef", "\u2066x"])
def test_bad_names_are_refused(typed):
    with pytest.raises(names.InvalidName):
        names.clean_name(typed)


def test_default_names_count_on():
    assert names.default_name(0) == "パスキー 1"
    assert names.default_name(2) == "パスキー 3"


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "[::1]:8000", "10.0.0.5"])
def test_a_site_opened_by_ip_address_has_no_rp_id(host):
    with pytest.raises(NotADomain, match="IP address"):
        relying_party(None, scheme="http", host=host)
