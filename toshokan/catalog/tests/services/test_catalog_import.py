"""Importing MARC and DC-NDL files through services.import_records into a real database."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from toshokan.catalog import services
from toshokan.catalog.importers.registry import READERS
from toshokan.catalog.models import Creator, Identifier, Record, RecordCreator
from toshokan.catalog.tests.paths import MARC_DIR, REPO, TEST_DATA

pytestmark = pytest.mark.django_db

JAPANESE = MARC_DIR / "japanese" / "japanese_880_records.mrc"


def _import(path: Path, fmt: str, batch_size: int = 500) -> services.ImportSummary:
    return services.import_records(READERS[fmt](path), batch_size=batch_size)


def test_japanese_records_are_stored_with_their_romanised_forms():
    summary = _import(JAPANESE, "marc")
    assert (summary.created, summary.updated, summary.problems) == (5, 0, [])
    kokusho = Record.objects.get(source="marc", source_key="MiAaHDL:100696348")
    assert (kokusho.title, kokusho.title_romanized) == ("國書 解題", "Kokusho kaidai")
    assert kokusho.title_reading_auto  # Japanese titles get a generated reading
    link = kokusho.record_creators.select_related("creator").get()
    assert (link.creator.name, link.creator.romanized, link.role) == (
        "佐村 八郎",
        "Samura, Hachirō",
        "author",
    )


def test_a_latin_title_gets_no_generated_reading():
    _import(MARC_DIR / "solrmarc" / "uva_001-200.mrc", "marc")
    record = Record.objects.get(source_key="SIRSI:u1")
    assert record.title.startswith("The book of the dance")
    assert record.title_reading_auto == ""


def test_importing_the_same_file_again_updates_instead_of_duplicating():
    first = _import(JAPANESE, "marc")
    counts = (
        Record.objects.count(),
        Creator.objects.count(),
        Identifier.objects.count(),
        RecordCreator.objects.count(),
    )
    again = _import(JAPANESE, "marc")
    assert (first.created, again.created, again.updated) == (5, 0, 5)
    assert counts == (
        Record.objects.count(),
        Creator.objects.count(),
        Identifier.objects.count(),
        RecordCreator.objects.count(),
    )


def test_the_same_records_from_marcxml_update_the_iso2709_ones():
    _import(JAPANESE, "marc")
    summary = _import(MARC_DIR / "japanese" / "japanese_880_records.utf8.marcxml", "marcxml")
    assert (summary.created, summary.updated) == (0, 5)
    assert Record.objects.count() == 5


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_a_broken_record_is_reported_with_its_position_and_the_rest_go_in():
    summary = _import(MARC_DIR / "solrmarc" / "bad_too_long_plus_2.mrc", "marc")
    assert summary.created == 2
    [problem] = summary.problems
    assert (problem.position, problem.offset) == (1, 0)
    assert "record length" in problem.reason
    assert Record.objects.count() == 2


def test_an_invalid_isbn_is_kept_as_a_note():
    from pymarc import Field, Indicators, Subfield
    from pymarc import Record as MarcRecord

    from toshokan.catalog.importers.marc import to_bib

    marc = MarcRecord(leader="00000nam a2200000 a 4500")
    marc.add_field(Field(tag="001", data="bad-isbn-1"))
    marc.add_field(Field(tag="020", indicators=Indicators(" ", " "), subfields=[Subfield("a", "4101010131")]))
    marc.add_field(Field(tag="245", indicators=Indicators("0", "0"), subfields=[Subfield("a", "こころ.")]))
    services.import_records([to_bib(marc)])
    record = Record.objects.get(source_key="bad-isbn-1")
    assert not record.identifiers.filter(scheme="isbn").exists()
    assert "4101010131" in record.notes


def test_dc_ndl_records_are_stored_and_the_simple_form_updates_them():
    summary = _import(TEST_DATA / "ndl_sru_dcndl.xml", "dcndl")
    assert (summary.created, summary.problems) == (4, [])
    kokoro = Record.objects.get(source="ndl", source_key="000007293174")
    assert (kokoro.title, kokoro.title_reading, kokoro.ndc, kokoro.year) == (
        "こころ",
        "ココロ",
        "913.6",
        2004,
    )
    assert set(kokoro.identifiers.values_list("scheme", "value")) == {
        ("isbn", "9784101010137"),
        ("jpno", "20568841"),
        ("ndl", "000007293174"),
    }
    soseki = Creator.objects.get(authority_id="ndl:00054222")
    assert soseki.records.count() == 2  # こころ from 新潮文庫 and 岩波文庫: one person
    simple = _import(TEST_DATA / "ndl_opensearch_simple.xml", "dcndl")
    assert (simple.created, simple.updated) == (1, 1)
    assert Record.objects.filter(source="ndl").count() == 5


def _sqlite_count(db: Path, table: str) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.slow
def test_an_import_killed_mid_way_leaves_whole_records_and_a_rerun_completes(tmp_path):
    """SIGKILL after the first batch commits: only whole batches are in, and a rerun finishes the job."""
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}  # a SQLite file under tmp_path
    env.update({"TOSHOKAN_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings.test"})
    manage = [sys.executable, str(REPO / "manage.py")]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], env=env, check=True, cwd=REPO, timeout=300)
    db = tmp_path / "toshokan.sqlite3"
    source = MARC_DIR / "solrmarc" / "uva_001_2000.mrc"
    batch = 100
    command = [
        *manage,
        "import_catalog",
        str(source),
        "--format",
        "marc",
        "--batch-size",
        str(batch),
        "--no-progress",
    ]
    process = subprocess.Popen(
        command, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 120
        while _sqlite_count(db, "catalog_record") == 0:
            assert process.poll() is None, "the import ended before it could be killed"
            assert time.monotonic() < deadline
            time.sleep(0.01)
        readers = _children(process.pid)  # the process reading the file for it
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 30
    while any(_running(pid) for pid in readers):  # the reader stops by itself when it is orphaned
        assert time.monotonic() < deadline, "the reading process outlived the import"
        time.sleep(0.1)

    with sqlite3.connect(db) as conn:
        records = conn.execute("SELECT COUNT(*) FROM catalog_record").fetchone()[0]
        assert 0 < records < 2000
        assert records % batch == 0  # whole batches only
        # Every record of the file has a 001, so each stored record has its identifiers; none is half-written.
        orphans = conn.execute(
            "SELECT COUNT(*) FROM catalog_record r WHERE NOT EXISTS "
            "(SELECT 1 FROM catalog_identifier i WHERE i.record_id = r.id)"
        ).fetchone()[0]
        assert orphans == 0
        with_creators = conn.execute(
            "SELECT COUNT(DISTINCT record_id) FROM catalog_recordcreator"
        ).fetchone()[0]
    expected_with_creators = sum(
        1
        for bib in list(READERS["marc"](source))[:records]
        if getattr(bib, "creators", None)  # records the file gives creators for
    )
    assert with_creators == expected_with_creators

    rerun = subprocess.run(
        command, env=env, cwd=REPO, capture_output=True, text=True, timeout=600, check=True
    )
    assert f"2000 records imported ({2000 - records} new, {records} updated)" in rerun.stdout
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM catalog_record").fetchone()[0] == 2000
        duplicates = conn.execute(
            "SELECT COUNT(*) FROM (SELECT source, source_key FROM catalog_record "
            "GROUP BY source, source_key HAVING COUNT(*) > 1)"
        ).fetchone()[0]
        assert duplicates == 0
