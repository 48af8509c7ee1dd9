"""The wording of My library: dates with their weekday in both languages, and every refusal the
services can give said in English too. No database."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.utils import translation

from toshokan.core.domain import DomainError
from toshokan.portal.account_presenters import HOLD_REFUSALS, REFUSALS, day_label, refusal


@pytest.mark.parametrize(
    ("language", "expected"),
    [("ja", "2026年12月10日（木）"), ("en", "Thu 10 Dec 2026")],
)
def test_a_day_is_written_with_its_weekday(language, expected):
    with translation.override(language):
        assert day_label(date(2026, 12, 10)) == expected


@pytest.mark.parametrize("code", sorted(REFUSALS))
def test_every_refusal_has_an_english_text(code):
    error = DomainError("raw message", code=code)
    with translation.override("ja"):
        ja = refusal(error)
    with translation.override("en"):
        en = refusal(error)
    assert ja == str(REFUSALS[code]) and ja != "raw message"
    assert en != ja and en.isascii()


@pytest.mark.parametrize("code", sorted(HOLD_REFUSALS))
def test_a_hold_refusal_has_its_own_wording(code):
    error = DomainError("raw message", code=code)
    with translation.override("en"):
        assert refusal(error, hold=True) != refusal(error)


def test_the_renewal_limit_names_the_number_and_an_unknown_code_keeps_the_services_message():
    with translation.override("en"):
        assert refusal(DomainError("x", code="renewal_limit"), renewals=2) == (
            "It can be renewed 2 times, and it has been already."
        )
        assert (
            refusal(DomainError("貸出上限 (10冊) に達しています", code="loan_limit"))
            == "貸出上限 (10冊) に達しています"
        )


def test_the_english_catalogue_has_no_untranslated_or_fuzzy_entry():
    """Every string of the patron pages is in English (makemessages adds new ones empty)."""
    from pathlib import Path

    po = (Path(__file__).resolve().parents[2] / "locale" / "en" / "LC_MESSAGES" / "django.po").read_text()
    entries = [e for e in po.split("\n\n") if "\nmsgid " in f"\n{e}" and 'msgid ""\nmsgstr ""\n"' not in e]
    assert entries
    untranslated = [
        e
        for e in entries
        if re.search(r'^msgstr(\[\d\])? ""$(?!\n")', e, re.M) and not e.startswith('msgid ""')
    ]
    fuzzy = [e for e in entries if "#, fuzzy" in e]
    assert untranslated == [] and fuzzy == []
