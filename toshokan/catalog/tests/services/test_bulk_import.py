"""Bulk imports: reading in a second process, search indexing in large chunks, cheaper writes."""

from __future__ import annotations

import io
import multiprocessing
import os
import subprocess
import sys
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
from django.core.management import call_command

from toshokan.catalog import services
from toshokan.catalog.domain.enums import CreatorRole
from toshokan.catalog.domain.records import BibRecord, CreatorEntry, ImportProblem, SubjectEntry
from toshokan.catalog.importers.registry import READERS, read_in_worker
from toshokan.catalog.models import Creator, Record
from toshokan.catalog.tests import factories
from toshokan.catalog.tests.paths import MARC_DIR, REPO
from toshokan.core import hooks

pytestmark = pytest.mark.django_db

UVA_200 = MARC_DIR / "solrmarc" / "uva_001-200.mrc"


@pytest.fixture
def index_calls() -> Iterator[list[list[int]]]:
    """The lists of record ids handed to the search index (through toshokan.core.hooks)."""
    calls: list[list[int]] = []

    def listener(ids: list[int]) -> None:
        calls.append(list(ids))

    hooks.on_records_changed(listener)
    yield calls
    hooks._record_listeners.remove(listener)


def test_the_import_command_leaves_every_record_it_stored_searchable(client, on_commit, index_calls):
    with on_commit():
        call_command(
            "import_catalog",
            str(UVA_200),
            "--batch-size",
            "30",
            "--index-every",
            "70",
            "--no-progress",
            stdout=io.StringIO(),
        )
    assert Record.objects.count() == 200
    # In chunks of at least 70 records (the last one excepted), not one a batch of 30.
    assert [len(ids) for ids in index_calls] == [90, 90, 20]
    assert sorted(i for ids in index_calls for i in ids) == sorted(
        Record.objects.values_list("pk", flat=True)
    )
    assert client.get("/api/v1/search", {"limit": 1}).json()["total"] == 200
    title = Record.objects.get(source_key="SIRSI:u1").title
    assert client.get("/api/v1/search", {"q": title.split()[1]}).json()["total"] >= 1


def test_records_stored_before_an_import_fails_are_still_handed_to_the_index(on_commit, index_calls):
    def items() -> Iterator[BibRecord]:
        yield from (factories.bib(f"本 {n}") for n in range(5))
        raise OSError("the file could not be read further")

    with pytest.raises(OSError), on_commit():
        services.import_records(items(), batch_size=5, index_every=1000)
    assert [sorted(ids) for ids in index_calls] == [sorted(Record.objects.values_list("pk", flat=True))]
    assert Record.objects.count() == 5


def test_a_reader_in_a_worker_gives_the_same_items_in_the_same_order():
    path = MARC_DIR / "solrmarc" / "bad_too_long_plus_2.mrc"
    here = list(READERS["marc"](path))
    there = list(read_in_worker(partial(READERS["marc"], path), chunk_size=1, depth=1))
    assert [repr(item) for item in there] == [repr(item) for item in here]
    assert isinstance(there[0], ImportProblem) and there[0].offset == 0


def test_records_prepared_in_a_worker_are_stored_as_if_prepared_here():
    prepared = list(read_in_worker(partial(READERS["marc"], UVA_200), transform=services.prepare_record))
    assert all(isinstance(item, services.PreparedRecord) for item in prepared)
    summary = services.import_records(prepared, batch_size=64)
    assert (summary.created, summary.problems) == (200, [])
    again = services.import_records(READERS["marc"](UVA_200))
    assert (again.created, again.updated) == (0, 200)


def test_a_reader_that_fails_in_the_worker_fails_the_import():
    def broken() -> Iterator[BibRecord]:
        yield factories.bib("こころ")
        raise ValueError("not MARC at all")

    with pytest.raises(RuntimeError, match="not MARC at all"):
        list(read_in_worker(broken))


def test_a_reimport_brings_creators_up_to_date_and_replaces_the_lists_of_a_record():
    soseki = CreatorEntry(name="夏目漱石", authority_id="aozora:000148")
    services.import_records(
        [
            factories.bib(
                "こころ",
                source_key="k1",
                creators=[soseki],
                identifiers=[factories.isbn("9784101010137")],
                subjects=[SubjectEntry("小説")],
            ),
            factories.bib("坊っちゃん", source_key="k2", creators=[soseki]),
        ]
    )
    assert Creator.objects.get().reading_auto  # from the analyser
    given = CreatorEntry(name="夏目漱石", reading="なつめ そうせき", authority_id="aozora:000148")
    translator = CreatorEntry(name="Meredith McKinney", role=CreatorRole.TRANSLATOR)
    summary = services.import_records(
        [
            factories.bib("こころ", source_key="k1", creators=[given, translator]),
            factories.bib("三四郎", source_key="k3", creators=[given]),
        ]
    )
    assert (summary.created, summary.updated) == (1, 1)
    creator = Creator.objects.get(authority_id="aozora:000148")
    assert (creator.reading, creator.reading_auto) == ("なつめ そうせき", "")
    kokoro = Record.objects.get(source_key="k1")
    assert [(link.creator.name, link.role) for link in kokoro.record_creators.select_related("creator")] == [
        ("夏目漱石", "author"),
        ("Meredith McKinney", "translator"),
    ]
    assert not kokoro.identifiers.exists() and not kokoro.subjects.exists()
    assert Record.objects.get(source_key="k2").record_creators.count() == 1  # untouched


def test_one_person_twice_in_one_role_is_linked_once():
    soseki = CreatorEntry(name="夏目漱石", authority_id="aozora:000148")
    services.import_records([factories.bib("こころ", creators=[soseki, soseki])])
    assert Record.objects.get().record_creators.count() == 1


def _read_all(paths: list[Path], monkeypatch: pytest.MonkeyPatch | None = None) -> list[str]:
    from toshokan.catalog.importers import marc

    if monkeypatch is not None:
        monkeypatch.setattr(marc, "_parse_iso2709", lambda chunk, *, utf8: None)
    out = []
    for path in paths:
        with open(path, "rb") as stream:
            out += [f"{path.name}: {item!r}" for item in marc.read_marc(stream, name=path.name)]
    return out


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_the_one_pass_decoder_reads_every_sample_file_as_pymarc_does(monkeypatch):
    from pymarc import Field, Indicators, Subfield
    from pymarc import Record as MarcRecord

    synthetic = b""
    for coding, text in ((" ", "Caf\xe2e &#x6F22; x"), ("a", "Café &#x6F22; 漢字")):
        # MARC-8 written byte for byte (0xE2 is ANSEL's acute accent), and UTF-8
        record = MarcRecord(leader=f"00000nam {coding}2200000 a 4500", to_unicode=coding == "a")
        record.add_field(Field(tag="001", data=f"n{coding.strip() or 'm'}"))
        record.add_field(Field(tag="245", indicators=Indicators("1", "0"), subfields=[Subfield("a", text)]))
        synthetic += record.as_marc()
    paths = sorted(p for p in MARC_DIR.rglob("*") if p.suffix.lower() in (".mrc", ".marc", ".dat"))
    fast = _read_all(paths)
    from toshokan.catalog.importers import marc

    fast_synthetic = [repr(i) for i in marc.read_marc(io.BytesIO(synthetic))]
    slow = _read_all(paths, monkeypatch)
    slow_synthetic = [repr(i) for i in marc.read_marc(io.BytesIO(synthetic))]
    assert len(fast) > 2000
    assert fast == slow
    assert fast_synthetic == slow_synthetic
    assert "Café 漢 x" in fast_synthetic[0]  # MARC-8: the reference is a character
    assert "Café &#x6F22; 漢字" in fast_synthetic[1]  # UTF-8 has no such references: kept as typed


def test_a_reader_left_half_way_is_stopped():
    items = read_in_worker(partial(READERS["marc"], UVA_200), chunk_size=10, depth=2)
    assert isinstance(next(items), BibRecord)
    items.close()  # as when storing a batch fails: the reading process must not linger
    assert not [p for p in multiprocessing.active_children() if p.name.startswith("read ")]


@pytest.mark.slow
def test_importing_two_files_reports_each_once(tmp_path):
    """The reading process is forked while this one's output may still be buffered (a pipe)."""
    # a SQLite file under tmp_path; standard output buffered, as it is by default into a pipe
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PYTHONUNBUFFERED")}
    env.update({"TOSHOKAN_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings.test"})
    manage = [sys.executable, str(REPO / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, check=True, cwd=REPO, timeout=300)
    japanese = MARC_DIR / "japanese" / "japanese_880_records.mrc"
    done = subprocess.run(
        [*manage, "import_catalog", str(UVA_200), str(japanese), "--no-progress"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    lines = done.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [str(UVA_200), str(japanese)]
