"""Every export format carries the key fields; MARC exports re-import to the same record."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command
from lxml import etree

from toshokan.catalog import selectors, services
from toshokan.catalog.domain.enums import CreatorRole, IdentifierScheme
from toshokan.catalog.domain.identifiers import normalize_isbn
from toshokan.catalog.domain.records import BibRecord, CreatorEntry, IdentifierEntry, SubjectEntry
from toshokan.catalog.exporters import ExportFormat, export_many, export_one
from toshokan.catalog.exporters.tabular import CSV_COLUMNS
from toshokan.catalog.importers.marc import read_marc, read_marcxml
from toshokan.catalog.importers.registry import READERS
from toshokan.catalog.models import Record
from toshokan.catalog.tests import factories
from toshokan.catalog.tests.paths import MARC_DIR, TEST_DATA

pytestmark = pytest.mark.django_db


def _kokoro() -> Record:
    bib = BibRecord(
        source="test",
        source_key="kokoro",
        title="こころ",
        title_reading="ココロ",
        subtitle="上 先生と私",
        series="新潮文庫 ; な-1-4",
        creators=[
            CreatorEntry(
                name="夏目漱石", reading="なつめ そうせき", romanized="Natsume, Sōseki", dates="1867-1916"
            ),
            CreatorEntry(name="Meredith McKinney", role=CreatorRole.TRANSLATOR),
        ],
        publisher="新潮社",
        publication_place="東京",
        year=2004,
        date_text="2004.3",
        edition="改版",
        extent="326p ; 16cm",
        ndc="913.6",
        subjects=[
            SubjectEntry("小説 (日本)", "ndlsh"),
            SubjectEntry("Japanese fiction -- Meiji period", "lcsh"),
        ],
        notes=["年譜あり"],
        identifiers=[
            IdentifierEntry(IdentifierScheme.ISBN, "978-4-10-101013-7"),
            IdentifierEntry(IdentifierScheme.JPNO, "20568841"),
            IdentifierEntry(IdentifierScheme.NDL, "000007293174"),
        ],
    )
    saved = services.save_record(bib=bib)
    return selectors.record_detail(saved.pk)


def _isbns(identifiers) -> set[str]:
    return {normalize_isbn(i.value) for i in identifiers if i.scheme.value == "isbn"}


def test_marcxml_export_reimports_to_the_same_title_creators_and_isbn():
    record = _kokoro()
    [bib] = list(read_marcxml(io.BytesIO(export_one("marcxml", record))))
    assert isinstance(bib, BibRecord)
    assert (bib.title, bib.subtitle, bib.title_romanized) == (
        "こころ",
        "上 先生と私",
        record.title_romanized_auto,
    )
    assert [(c.name, c.role, c.dates) for c in bib.creators] == [
        ("夏目漱石", CreatorRole.AUTHOR, "1867-1916"),
        ("Meredith McKinney", CreatorRole.TRANSLATOR, ""),
    ]
    assert bib.creators[0].romanized == "Natsume, Sōseki"
    assert _isbns(bib.identifiers) == {"9784101010137"}
    assert (bib.publisher, bib.publication_place, bib.year, bib.edition) == ("新潮社", "東京", 2004, "改版")
    assert (bib.ndc, bib.series, bib.language) == ("913.6", "新潮文庫 ; な-1-4", "jpn")
    assert {(s.term, s.scheme) for s in bib.subjects} == {
        ("小説 (日本)", "ndlsh"),
        ("Japanese fiction -- Meiji period", "lcsh"),
    }
    assert {(i.scheme.value, i.value) for i in bib.identifiers} >= {
        ("jpno", "JP20568841"),
        ("ndl", "000007293174"),
    }


def test_the_japanese_title_goes_in_an_880_with_the_romanised_form_in_245():
    record = _kokoro()
    root = etree.fromstring(export_one("marcxml", record))
    ns = {"m": "http://www.loc.gov/MARC21/slim"}
    f245 = root.find("m:datafield[@tag='245']", ns)
    assert f245 is not None
    assert f245.findtext("m:subfield[@code='6']", namespaces=ns) == "880-02"
    assert (f245.findtext("m:subfield[@code='a']", namespaces=ns) or "").startswith(
        record.title_romanized_auto
    )
    alternates = {
        f.findtext("m:subfield[@code='6']", namespaces=ns): f.findtext("m:subfield[@code='a']", namespaces=ns)
        for f in root.findall("m:datafield[@tag='880']", ns)
    }
    assert alternates["245-02/$1"] == "こころ :"
    assert alternates["100-01/$1"] == "夏目漱石,"


def test_iso2709_export_reimports_too():
    record = _kokoro()
    [bib] = list(read_marc(io.BytesIO(export_one("marc", record))))
    assert isinstance(bib, BibRecord)
    assert bib.title == "こころ" and _isbns(bib.identifiers) == {"9784101010137"}


def test_the_real_japanese_records_survive_a_round_trip():
    services.import_records(READERS["marc"](MARC_DIR / "japanese" / "japanese_880_records.mrc"))
    services.import_records(READERS["dcndl"](TEST_DATA / "ndl_sru_dcndl.xml"))
    originals = selectors.records_by_ids(list(Record.objects.order_by("pk").values_list("pk", flat=True)))
    again = [b for b in read_marcxml(io.BytesIO(b"".join(export_many("marcxml", originals))))]
    assert len(again) == len(originals) == 9
    for original, bib in zip(originals, again, strict=True):
        assert isinstance(bib, BibRecord)
        assert bib.title == original.title
        assert [c.name for c in bib.creators] == [
            link.creator.name for link in original.record_creators.all()
        ]
        assert _isbns(bib.identifiers) == set(
            original.identifiers.filter(scheme="isbn").values_list("value", flat=True)
        )


def test_dublin_core_export_is_oai_dc_with_the_key_fields():
    record = _kokoro()
    root = etree.fromstring(export_one("dc", record, base_url="https://library.example"))
    ns = {"dc": "http://purl.org/dc/elements/1.1/", "oai_dc": "http://www.openarchives.org/OAI/2.0/oai_dc/"}
    assert root.tag == "{http://www.openarchives.org/OAI/2.0/oai_dc/}dc"
    values = lambda name: [e.text for e in root.findall(f"dc:{name}", ns)]  # noqa: E731
    assert values("title") == ["こころ : 上 先生と私"]
    assert values("creator") == ["夏目漱石"]
    assert values("contributor") == ["Meredith McKinney"]
    assert "urn:isbn:9784101010137" in values("identifier")
    assert f"https://library.example/records/{record.pk}" in values("identifier")
    assert values("date") == ["2004"] and values("language") == ["jpn"] and values("publisher") == ["新潮社"]
    assert "NDC9: 913.6" in values("subject")


def test_json_export_is_the_record_api_shape():
    record = _kokoro()
    data = json.loads(export_one("json", record))
    assert data["title"] == "こころ"
    assert data["identifiers"]["isbn"] == "9784101010137"
    assert [c["name"] for c in data["creators"]] == ["夏目漱石", "Meredith McKinney"]
    assert {"holdings", "identifiers_all", "subjects", "ndc_label"} <= data.keys()


def test_csv_export_has_documented_columns_and_one_row_a_record():
    record = _kokoro()
    other = factories.record("坊っちゃん", identifiers=[factories.isbn("4-00-310103-0")])
    rows = list(
        csv.DictReader(
            io.StringIO(
                b"".join(export_many("csv", [record, selectors.record_detail(other.pk)])).decode("utf-8-sig")
            )
        )
    )
    assert list(rows[0]) == list(CSV_COLUMNS)
    assert [r["title"] for r in rows] == ["こころ", "坊っちゃん"]
    assert rows[0]["isbn"] == "9784101010137" and rows[1]["isbn"] == "9784003101032"
    assert rows[0]["creators"] == "夏目漱石 [author] | Meredith McKinney [translator]"
    assert rows[0]["year"] == "2004" and rows[0]["ndc"] == "913.6"


@pytest.mark.parametrize("fmt", [f.value for f in ExportFormat])
def test_a_list_export_holds_every_record(fmt):
    for n in range(3):
        factories.record(f"本 {n}")
    records = selectors.records_by_ids(list(Record.objects.order_by("pk").values_list("pk", flat=True)))
    data = b"".join(export_many(fmt, records))
    if fmt == "marcxml":
        assert len(list(read_marcxml(io.BytesIO(data)))) == 3
    elif fmt == "marc":
        assert len(list(read_marc(io.BytesIO(data)))) == 3
    elif fmt == "dc":
        assert len(etree.fromstring(data).findall("{http://www.openarchives.org/OAI/2.0/oai_dc/}dc")) == 3
    elif fmt == "json":
        assert len(json.loads(data)) == 3
    else:
        assert len(list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))) == 4


def test_the_export_command_writes_the_whole_catalogue(tmp_path):
    services.import_records(READERS["marc"](MARC_DIR / "japanese" / "japanese_880_records.mrc"))
    out = tmp_path / "all.xml"
    call_command("export_catalog", "--format", "marcxml", "--no-progress", str(out))
    with open(out, "rb") as stream:
        assert len(list(read_marcxml(stream))) == 5


def test_the_export_command_can_export_what_a_search_finds(tmp_path, on_commit):
    with on_commit():
        factories.record("こころ", identifiers=[factories.isbn("978-4-10-101013-7")])
        factories.record("坊っちゃん")
    out = tmp_path / "found.csv"
    call_command("export_catalog", "--format", "csv", "--q", "こころ", "--no-progress", str(out))
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [r["title"] for r in rows] == ["こころ"]
