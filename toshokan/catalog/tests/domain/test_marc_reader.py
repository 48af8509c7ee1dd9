"""Reading MARC 21 (ISO 2709 and MARCXML) into BibRecords: no database, the real files in data/marc."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from toshokan.catalog.domain.enums import CreatorRole, IdentifierScheme, MaterialType
from toshokan.catalog.domain.records import BibRecord, ImportProblem
from toshokan.catalog.importers.marc import read_marc, read_marcxml
from toshokan.catalog.importers.registry import detect_format, read_stream
from toshokan.catalog.tests.paths import MARC_DIR, broken_files


def _read(relative: str) -> list[BibRecord | ImportProblem]:
    path = MARC_DIR / relative
    fmt = "marcxml" if path.suffix in (".xml", ".marcxml") else "marc"
    with open(path, "rb") as stream:
        return list(read_stream(fmt, stream, path.name))


def _records(items: list[BibRecord | ImportProblem]) -> list[BibRecord]:
    return [i for i in items if isinstance(i, BibRecord)]


def _problems(items: list[BibRecord | ImportProblem]) -> list[ImportProblem]:
    return [i for i in items if isinstance(i, ImportProblem)]


def _by_key(items: list[BibRecord | ImportProblem]) -> dict[str, BibRecord]:
    return {r.source_key: r for r in _records(items)}


# --- character sets ---------------------------------------------------------------------------


def test_a_marc8_record_is_decoded_to_unicode_with_its_diacritics():
    records = _records(_read("solrmarc/uva_001_2000.mrc"))
    assert len(records) == 2000
    titles = {r.title for r in records}
    assert "Théâtre et spectacles dans l'antiquité" in titles


def test_a_utf8_record_is_read_as_utf8():
    records = _records(_read("solrmarc/greek_non-filing_tests.mrc"))
    assert records[0].title == "Ένας δοκιμαστικός τίτλος"


def test_utf8_text_under_a_marc8_leader_is_read_as_utf8_and_the_mismatch_noted():
    flagged = _records(_read("pymarc/utf8_with_leader_flag.dat"))[0]
    unflagged = _records(_read("pymarc/utf8_without_leader_flag.dat"))[0]
    assert unflagged.title == flagged.title
    assert not flagged.title.isascii() or "Escape from loneliness" in flagged.title
    warnings = unflagged.extra["import_warnings"]
    assert isinstance(warnings, list) and any("UTF-8" in w for w in warnings)


def test_eacc_cjk_in_marc8_is_decoded():
    chasho = _by_key(_read("japanese/japanese_880_records.mrc"))
    # 日本の茶書 is the one MARC-8 record (EACC) of the five; the others are UTF-8.
    assert chasho["3835178"].title == "日本 の 茶書"
    assert chasho["3835178"].publisher == "平凡社"


def test_marc8_numeric_character_references_are_unescaped():
    items = _read("traject/escaped_character_reference.marc8.marc")
    # the record has no title and is reported, but its text was unescaped before that check
    assert _problems(items)[0].reason.startswith("no title")


# --- 880 alternate graphic representation -------------------------------------------------------


def test_a_vernacular_880_becomes_the_title_and_the_romanised_245_is_kept():
    kokusho = _by_key(_read("japanese/japanese_880_records.mrc"))["MiAaHDL:100696348"]
    assert kokusho.title == "國書 解題"
    assert kokusho.title_romanized == "Kokusho kaidai"
    assert kokusho.edition == "増訂"
    assert (kokusho.publication_place, kokusho.publisher) == ("東京", "吉川 弘文館")
    assert kokusho.date_text == "明治 33 [1900]"
    assert kokusho.year == 1900
    [author] = kokusho.creators
    assert (author.name, author.romanized, author.dates, author.role) == (
        "佐村 八郎",
        "Samura, Hachirō",
        "1865-1914",
        CreatorRole.AUTHOR,
    )


def test_a_japanese_record_keeps_its_subtitle_isbns_and_language():
    kubo = _by_key(_read("japanese/japanese_880_records.mrc"))["DLC:2008543486"]
    assert kubo.title == "久保栄「火山灰地」を読む"
    assert kubo.title_romanized == "Kubo Sakae 'Kazanbaichi' o yomu"
    assert kubo.language == "jpn"
    assert [i.value for i in kubo.identifiers if i.scheme is IdentifierScheme.ISBN] == [
        "9784588460050",
        "4588460056",
    ]
    assert kubo.creators[0].name == "吉田一"
    assert kubo.creators[0].romanized == "Yoshida, Hajime"
    assert any(s.term.startswith("久保栄") for s in kubo.subjects)


def test_corporate_names_and_a_subtitle_come_from_their_880s():
    ainu = _by_key(_read("japanese/japanese_880_records.mrc"))["testJapanese1"]
    assert ainu.title == "アイヌ文様の美"
    assert ainu.subtitle == "線のいのち息ずくかたち = The beauty of Ainu design"
    assert [c.name for c in ainu.creators] == [
        "北海道立近代美術館",
        "アイヌ文化振興推進機構",
        "北九州市立いのちのたび博物館",
    ]
    assert ainu.creators[0].romanized == "Hokkaidōritsu Kindai Bijutsukan"


def test_the_same_records_read_from_marcxml_match_the_iso2709_ones():
    binary = _by_key(_read("japanese/japanese_880_records.mrc"))
    xml = _by_key(_read("japanese/japanese_880_records.utf8.marcxml"))
    assert binary.keys() == xml.keys()
    for key, record in binary.items():
        assert (xml[key].title, xml[key].title_romanized) == (record.title, record.title_romanized)
        assert [c.name for c in xml[key].creators] == [c.name for c in record.creators]


def test_880s_without_linkage_are_left_alone():
    [record] = _records(_read("traject/880_with_no_6.utf8.marc"))
    assert record.title.startswith("Личные архивные фонды")  # 245's 880 is linked
    assert record.title_romanized.startswith("Lichnye arkhivnye fondy")


# --- field mapping ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("leader_06_07", "expected"),
    [
        ("am", MaterialType.BOOK),
        ("as", MaterialType.SERIAL),
        ("em", MaterialType.MAP),
        ("cm", MaterialType.SCORE),
        ("jm", MaterialType.AUDIO),
        ("gm", MaterialType.VIDEO),
        ("om", MaterialType.KIT),
        ("rm", MaterialType.OTHER),
    ],
)
def test_leader_06_07_gives_the_material_type(leader_06_07, expected):
    from pymarc import Field, Indicators, Record, Subfield

    from toshokan.catalog.importers.marc import to_bib

    record = Record(leader=f"00000n{leader_06_07} a2200000 a 4500")
    record.add_field(Field(tag="245", indicators=Indicators("0", "0"), subfields=[Subfield("a", "Title.")]))
    bib = to_bib(record)
    assert isinstance(bib, BibRecord)
    assert bib.material_type is expected


def test_identifiers_ndc_subjects_series_and_notes_are_mapped():
    from pymarc import Field, Indicators, Record, Subfield

    from toshokan.catalog.importers.marc import to_bib

    record = Record(leader="00000nam a2200000 a 4500")
    record.add_field(Field(tag="001", data="JP0001"))
    record.add_field(Field(tag="003", data="JTNDL"))
    record.add_field(Field(tag="008", data="040301s2004    ja            000 1 jpn  "))
    fields = [
        ("015", [("a", "JP20568841"), ("2", "jnb")]),
        ("016", [("a", "000007293174"), ("2", "JTNDL")]),
        ("020", [("a", "9784101010137 (pbk.)"), ("z", "4101010130")]),
        ("022", [("a", "0386-7307")]),
        ("035", [("a", "(OCoLC)ocm12345678")]),
        ("084", [("a", "913.6"), ("2", "njb/9")]),
        ("100", [("a", "夏目, 漱石,"), ("d", "1867-1916."), ("e", "著")]),
        ("245", [("a", "こころ /"), ("c", "夏目漱石 著.")]),
        ("250", [("a", "改版.")]),
        ("264", [("a", "東京 :"), ("b", "新潮社,"), ("c", "2004.")]),
        ("300", [("a", "326 p ;"), ("c", "16 cm.")]),
        ("490", [("a", "新潮文庫 ;"), ("v", "な-1-4")]),
        ("500", [("a", "年譜あり")]),
        ("590", [("a", "local housekeeping")]),
        ("650", [("a", "小説 (日本)"), ("2", "ndlsh")]),
        ("700", [("a", "Sato, Taro,"), ("e", "translator.")]),
    ]
    for tag, subfields in fields:
        ind2 = "7" if tag == "650" else " "
        record.add_field(
            Field(tag=tag, indicators=Indicators(" ", ind2), subfields=[Subfield(c, v) for c, v in subfields])
        )
    bib = to_bib(record)
    assert isinstance(bib, BibRecord)
    assert bib.source_key == "JTNDL:JP0001"
    got = {(i.scheme.value, i.value, i.qualifier) for i in bib.identifiers}
    assert got == {
        ("jpno", "JP20568841", ""),
        ("ndl", "000007293174", ""),
        ("isbn", "9784101010137", "pbk."),
        ("issn", "0386-7307", ""),
        ("oclc", "12345678", ""),
        ("local", "JP0001", ""),
    }
    assert any("4101010130" in n for n in bib.notes)  # 020 $z is kept as a note
    assert bib.ndc == "913.6"
    assert (bib.title, bib.edition, bib.publisher, bib.publication_place, bib.year) == (
        "こころ",
        "改版",
        "新潮社",
        "東京",
        2004,
    )
    assert bib.extent == "326 p ; 16 cm."
    assert bib.series == "新潮文庫 ; な-1-4"
    assert "年譜あり" in bib.notes and "local housekeeping" not in bib.notes
    assert [(s.term, s.scheme) for s in bib.subjects] == [("小説 (日本)", "ndlsh")]
    assert [(c.name, c.role) for c in bib.creators] == [
        ("夏目, 漱石", CreatorRole.AUTHOR),
        ("Sato, Taro", CreatorRole.TRANSLATOR),
    ]
    assert bib.language == "jpn"


def test_a_record_without_001_gets_a_content_key_that_is_stable():
    from pymarc import Field, Indicators, Record, Subfield

    from toshokan.catalog.importers.marc import to_bib

    def make(stamp: str) -> Record:
        record = Record(leader="00000nam a2200000 a 4500")
        record.add_field(Field(tag="005", data=stamp))
        record.add_field(
            Field(tag="245", indicators=Indicators("0", "0"), subfields=[Subfield("a", "Untitled papers.")])
        )
        return record

    first, again = to_bib(make("20200101000000.0")), to_bib(make("20240101000000.0"))
    assert isinstance(first, BibRecord) and isinstance(again, BibRecord)
    assert first.source_key.startswith("sha1:")
    assert first.source_key == again.source_key


def test_a_missing_245_falls_back_on_the_uniform_title_and_says_so():
    [record] = _records(_read("openlibrary/bin_input/talis_no_title.mrc"))
    assert record.title == "Plays"
    assert "240" in record.extra["import_warnings"][0]  # type: ignore[index]


def test_provenance_names_the_file_and_the_position():
    records = _records(_read("solrmarc/uva_001-200.mrc"))
    assert records[9].provenance.startswith("uva_001-200.mrc, record 10 (byte ")
    assert all(r.source == "marc" for r in records)


# --- broken files ------------------------------------------------------------------------------

# What each file of BROKEN.csv gives: records read, positions of the records reported as problems.
EXPECTED = {
    "pymarc/bad_records.mrc": (2, [2, 3, 4, 5, 6, 7]),
    "pymarc/bad_indicator.dat": (1, []),
    "pymarc/bad_subfield_code.dat": (0, [1]),
    "pymarc/bad_tag.xml": (0, [1]),
    "pymarc/bad_eacc_encoding.dat": (0, [1]),
    "pymarc/bad_marc8_escape.dat": (0, [1]),
    "pymarc/utf8_invalid.mrc": (1, []),
    "pymarc/utf8_errors.dat": (1, []),
    "pymarc/utf8_without_leader_flag.dat": (1, []),
    "pymarc/1251.dat": (0, [1, 2, 3, 4, 5, 6]),
    "traject/bad_utf_byte.utf8.marc": (0, [1]),
    "traject/bad_subfield_code.marc": (1, []),
    "traject/escaped_character_reference.marc8.marc": (0, [1]),
    "traject/880_with_no_6.utf8.marc": (1, []),
    "traject/emptyish_record.marc": (1, []),
    "traject/245_no_ab.marc": (1, []),
    "solrmarc/bad_too_long_plus_2.mrc": (2, [1]),
    "solrmarc/errorRecs.mrc": (5, []),
    "solrmarc/WPUbadrecords.mrc": (109, []),
    "solrmarc/greek_non-filing_tests.mrc": (1, []),
    "openlibrary/bin_input/upei_short_008.mrc": (1, []),
    "openlibrary/bin_input/collingswood_bad_008.mrc": (1, []),
    "openlibrary/bin_input/dasrmischepriv00rein_meta.mrc": (0, [1]),
    "openlibrary/bin_input/lesabndioeinas00sche_meta.mrc": (0, [1]),
    "openlibrary/bin_input/poganucpeoplethe00stowuoft_meta.mrc": (0, [1]),
    "openlibrary/bin_input/new_poganucpeoplethe00stowuoft_meta.mrc": (0, [1]),
    "openlibrary/bin_input/talis_no_title2.mrc": (0, [1]),
    "openlibrary/bin_input/talis_empty_245.mrc": (1, []),
    "openlibrary/bin_input/talis_no_title.mrc": (1, []),
}


def test_every_file_of_broken_csv_is_covered():
    assert {f for f, _ in broken_files()} == set(EXPECTED)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize(("relative", "records_in_file"), broken_files())
def test_a_broken_file_gives_its_good_records_and_reports_each_bad_one(relative, records_in_file):
    items = _read(relative)
    good, bad_positions = EXPECTED[relative]
    problems = _problems(items)
    assert len(_records(items)) == good
    assert [p.position for p in problems] == bad_positions
    assert len(items) == records_in_file  # every record of the file is either read or reported
    for problem in problems:
        assert problem.reason
        if not relative.endswith(".xml"):
            assert problem.offset is not None


def test_a_record_with_a_wrong_length_costs_only_itself():
    items = _read("solrmarc/bad_too_long_plus_2.mrc")
    problem = _problems(items)[0]
    assert problem.position == 1 and problem.offset == 0
    assert "does not match" in problem.reason and "skipped 123375 bytes" in problem.reason
    assert [r.provenance.split(", ", 1)[1] for r in _records(items)] == [
        "record 2 (byte 123375)",
        "record 3 (byte 124682)",
    ]


def test_bad_bytes_in_marc8_are_reported_with_the_field():
    [problem] = _problems(_read("pymarc/bad_eacc_encoding.dat"))
    assert "encoding error" in problem.reason and "field 880" in problem.reason
    [first, *_] = _problems(_read("pymarc/1251.dat"))
    assert "not a MARC-8 character" in first.reason


def test_invalid_utf8_is_reported_with_the_field():
    [problem] = _problems(_read("traject/bad_utf_byte.utf8.marc"))
    assert problem.reason == "encoding error (leader/09 says UTF-8): field 300: byte 0xc0 is not valid UTF-8"


def test_garbage_between_records_is_skipped_and_reading_goes_on():
    good = (MARC_DIR / "pymarc/one.dat").read_bytes()
    data = good + b"\r\n" + b"GARBAGE NOT A RECORD\x1d" + good[:40] + b"\n" + good
    items = list(read_marc(io.BytesIO(data), name="mixed.mrc"))
    assert [type(i).__name__ for i in items] == ["BibRecord", "ImportProblem", "ImportProblem", "BibRecord"]
    assert items[1].position == 2 and items[1].offset == len(good) + 2  # type: ignore[union-attr]
    assert "not a record" in items[1].reason  # type: ignore[union-attr]
    assert items[3].provenance == f"mixed.mrc, record 4 (byte {len(data) - len(good)})"  # type: ignore[union-attr]


def test_a_file_that_ends_inside_a_record_reports_it_truncated():
    good = (MARC_DIR / "pymarc/one.dat").read_bytes()
    items = list(read_marc(io.BytesIO(good + good[:300]), name="cut.mrc"))
    assert isinstance(items[0], BibRecord)
    assert isinstance(items[1], ImportProblem)
    assert "ends inside this record" in items[1].reason


def test_reading_is_lazy_one_record_at_a_time():
    class Counting(io.BytesIO):
        furthest = 0

        def read(self, size: int | None = -1) -> bytes:
            data = super().read(size)
            Counting.furthest = max(Counting.furthest, self.tell())
            return data

    stream = Counting((MARC_DIR / "solrmarc/uva_001_2000.mrc").read_bytes())
    first = next(read_marc(stream, name="uva"))
    assert isinstance(first, BibRecord)
    assert Counting.furthest < 70_000  # a record and the reader's look-ahead, not the 2.3 MB file


# --- MARCXML -----------------------------------------------------------------------------------


def test_marcxml_records_inside_other_documents_are_found():
    records = _records(_read("solrmarc/specTestRecs.xml"))
    assert len(records) == 76


def test_an_xml_document_without_marc_records_is_one_problem():
    [problem] = _read("traject/sample-oai-pmh.xml")
    assert isinstance(problem, ImportProblem) and "no MARCXML <record>" in problem.reason


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE collection [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<collection xmlns="http://www.loc.gov/MARC21/slim"><record><leader>00000nam a2200000 a 4500</leader>
<datafield tag="245" ind1="0" ind2="0"><subfield code="a">&xxe;</subfield></datafield></record></collection>
"""


def test_an_xxe_payload_is_refused_and_never_expanded():
    items = list(read_marcxml(io.BytesIO(XXE), name="xxe.xml"))
    assert len(items) == 1
    assert isinstance(items[0], ImportProblem)
    assert "refused" in items[0].reason and "xxe" in items[0].reason
    assert "root:" not in repr(items)


def test_entity_expansion_bombs_are_refused():
    bomb = XXE.replace(
        b'<!ENTITY xxe SYSTEM "file:///etc/passwd">', b'<!ENTITY a "aaaaaaaaaa"><!ENTITY xxe "&a;&a;&a;">'
    )
    [problem] = list(read_marcxml(io.BytesIO(bomb)))
    assert isinstance(problem, ImportProblem) and "refused" in problem.reason


def test_malformed_xml_keeps_the_records_before_the_error():
    text = (MARC_DIR / "pymarc/batch.xml").read_bytes()
    cut = text[: text.rindex(b"<marc:record")] + b"<marc:record><marc:leader>broken"
    items = list(read_marcxml(io.BytesIO(cut)))
    assert isinstance(items[0], BibRecord)
    assert isinstance(items[-1], ImportProblem) and "not well-formed" in items[-1].reason


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("solrmarc/uva_001-200.mrc", "marc"),
        ("pymarc/one.dat", "marc"),
        ("japanese/japanese_880_records.utf8.marcxml", "marcxml"),
        ("solrmarc/specTestRecs.xml", "marcxml"),
    ],
)
def test_the_format_is_detected_from_the_file(name, expected):
    assert detect_format(MARC_DIR / name) == expected


def test_the_shipped_data_stays_small():
    total = sum(p.stat().st_size for p in Path(MARC_DIR).rglob("*") if p.is_file())
    assert total < 8 * 1024 * 1024
