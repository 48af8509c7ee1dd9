"""Identifiers and years as Japanese catalogues write them."""

from __future__ import annotations

import pytest

from toshokan.catalog.domain.dates import parse_year, to_wareki
from toshokan.catalog.domain.enums import IdentifierScheme
from toshokan.catalog.domain.identifiers import (
    InvalidIdentifier,
    isbn10,
    normalize_identifier,
    normalize_isbn,
)


@pytest.mark.parametrize(
    ("typed", "isbn13"),
    [
        ("4-00-310111-1", "9784003101117"),
        ("4003101111", "9784003101117"),
        ("978-4-00-310111-7", "9784003101117"),
        ("ISBN 978-4-10-101013-7", "9784101010137"),
        ("４００３１０１１１１", "9784003101117"),  # full-width digits
        ("0-8044-2957-X (pbk.)", "9780804429573"),  # X check digit and a qualifier
    ],
)
def test_isbns_in_any_form_become_one_isbn13(typed, isbn13):
    assert normalize_isbn(typed) == isbn13


@pytest.mark.parametrize("bad", ["4-00-310111-7", "978-4-00-310111-0", "12345", "abc", "9794003101118"])
def test_wrong_isbns_are_refused(bad):
    with pytest.raises(InvalidIdentifier):
        normalize_isbn(bad)


def test_isbn10_of_a_979_isbn_does_not_exist():
    assert isbn10("9784003101117") == "4003101111"
    assert isbn10("9791032301108") is None


@pytest.mark.parametrize(
    ("scheme", "value", "stored"),
    [
        (IdentifierScheme.AOZORA, "773", "000773"),
        (IdentifierScheme.JPNO, "JP 21234567", "21234567"),
        (IdentifierScheme.ISSN, "0028-0836", "0028-0836"),
        (IdentifierScheme.NDL, "000000123456", "000000123456"),
    ],
)
def test_identifier_normal_forms(scheme, value, stored):
    assert normalize_identifier(scheme, value) == stored


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("1971（昭和46）年1月20日", 1971),
        ("昭和46 [1971]", 1971),
        ("明治33年", 1900),
        ("大正元年", 1912),
        ("平成元年", 1989),
        ("令和3年", 2021),
        ("昭和四十六年", 1971),
        ("「中央公論」1916（大正5）年9月", 1916),
        ("", None),
        ("刊年不明", None),
    ],
)
def test_years_western_and_wareki(text, year):
    assert parse_year(text) == year


def test_wareki_of_a_year():
    assert to_wareki(1971) == "昭和46年"
    assert to_wareki(1989) == "平成元年"
    assert to_wareki(2019) == "令和元年"
