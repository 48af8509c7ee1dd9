"""The import service: batches, upserts, readings from the analyser, problems passed through."""

from __future__ import annotations

import pytest

from toshokan.catalog import services
from toshokan.catalog.domain.enums import CreatorRole
from toshokan.catalog.domain.records import BibRecord, CreatorEntry, ImportProblem
from toshokan.catalog.models import Creator, Identifier, Record
from toshokan.catalog.tests import factories

pytestmark = pytest.mark.django_db


def test_reimporting_updates_instead_of_duplicating():
    first = services.import_records(
        [factories.bib("こころ", source_key="a1", identifiers=[factories.isbn("4003101111")])]
    )
    second = services.import_records(
        [factories.bib("こころ（改版）", source_key="a1", identifiers=[factories.isbn("4003101111")])]
    )
    assert (first.created, second.created, second.updated) == (1, 0, 1)
    assert Record.objects.count() == 1
    assert Record.objects.get().title == "こころ（改版）"
    assert Identifier.objects.count() == 1


def test_one_person_in_many_records_is_one_creator():
    soseki = CreatorEntry(name="夏目漱石", reading="なつめ そうせき", authority_id="aozora:000148")
    services.import_records(
        [factories.bib(t, creators=[soseki]) for t in ("こころ", "坊っちゃん", "三四郎")], batch_size=2
    )
    assert Creator.objects.count() == 1
    assert Creator.objects.get().records.count() == 3


def test_creators_without_an_authority_are_matched_by_name_and_dates():
    a = CreatorEntry(name="Natsume, Sōseki", dates="1867-1916")
    b = CreatorEntry(name="Natsume, Soseki", dates="1867-1916")  # folds to the same key
    services.import_records([factories.bib("Kokoro", creators=[a]), factories.bib("Botchan", creators=[b])])
    assert Creator.objects.count() == 1


def test_a_title_without_a_reading_gets_one_from_the_analyser_and_keeps_the_source_empty():
    record = factories.record("吾輩は猫である")
    assert record.title_reading == ""
    assert record.title_reading_auto == "わがはいはねこである"
    assert record.title_romanized_auto.lower() == "wagahai wa neko de aru"


def test_a_given_reading_is_never_overridden():
    record = factories.record("銭形平次捕物控", title_reading="ぜにがたへいじとりものひかえ")
    assert record.title_reading == "ぜにがたへいじとりものひかえ"
    assert record.title_reading_auto == ""


def test_problems_from_a_reader_are_reported_and_the_rest_go_in():
    items: list[BibRecord | ImportProblem] = [
        factories.bib("一"),
        ImportProblem(position=2, reason="bad leader"),
        factories.bib("三"),
    ]
    summary = services.import_records(items)
    assert summary.created == 2
    assert [(p.position, p.reason) for p in summary.problems] == [(2, "bad leader")]


def test_roles_are_kept_per_record():
    translator = CreatorEntry(name="森鴎外", role=CreatorRole.TRANSLATOR, authority_id="aozora:000129")
    author = CreatorEntry(name="アンデルセン", role=CreatorRole.AUTHOR, authority_id="aozora:000019")
    record = factories.record("即興詩人", creators=[author, translator])
    assert [(link.creator.name, link.role) for link in record.record_creators.all()] == [
        ("アンデルセン", "author"),
        ("森鴎外", "translator"),
    ]


def test_kana_names_that_differ_only_in_voicing_stay_two_people():
    services.import_records(
        [
            factories.bib("一", creators=[CreatorEntry(name="かのこ")]),
            factories.bib("二", creators=[CreatorEntry(name="がのこ")]),
        ]
    )
    assert Creator.objects.count() == 2
