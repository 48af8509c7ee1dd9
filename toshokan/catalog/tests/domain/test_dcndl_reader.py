"""Reading NDL Search's DC-NDL (RDF/XML and DC-NDL Simple) into BibRecords: no database."""

from __future__ import annotations

import io

import pytest

from toshokan.catalog.domain.enums import CreatorRole, IdentifierScheme, MaterialType
from toshokan.catalog.domain.records import BibRecord, ImportProblem
from toshokan.catalog.importers.dcndl import read_dcndl, role_of, split_statement
from toshokan.catalog.importers.registry import detect_format
from toshokan.catalog.tests.paths import TEST_DATA

SRU = TEST_DATA / "ndl_sru_dcndl.xml"
OPENSEARCH = TEST_DATA / "ndl_opensearch_simple.xml"


def _read(data: bytes, name: str = "test.xml") -> list[BibRecord | ImportProblem]:
    return list(read_dcndl(io.BytesIO(data), name=name))


def _records(path) -> dict[str, BibRecord]:
    with open(path, "rb") as stream:
        items = list(read_dcndl(stream, name=path.name))
    records = [i for i in items if isinstance(i, BibRecord)]
    assert len(records) == len(items), items
    return {r.source_key: r for r in records}


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("夏目漱石 著", [("夏目漱石", CreatorRole.AUTHOR)]),
        ("夏目漱石 作", [("夏目漱石", CreatorRole.AUTHOR)]),
        ("松崎公紀, 新妻弘 共訳", [("松崎公紀", CreatorRole.TRANSLATOR), ("新妻弘", CreatorRole.TRANSLATOR)]),
        ("ギルバート・ストラング 著", [("ギルバート・ストラング", CreatorRole.AUTHOR)]),
        ("宮沢賢治 作・絵", [("宮沢賢治", CreatorRole.AUTHOR)]),
        ("日本図書館協会 編", [("日本図書館協会", CreatorRole.EDITOR)]),
        (
            "芥川龍之介 著 ; 吉田精一 校注",
            [("芥川龍之介", CreatorRole.AUTHOR), ("吉田精一", CreatorRole.REVISER)],
        ),
        ("村上 春樹", [("村上 春樹", None)]),  # a space inside a name is not a role
        ("[夏目漱石 著]", [("夏目漱石", CreatorRole.AUTHOR)]),
    ],
)
def test_a_statement_of_responsibility_is_split_into_names_and_a_role(statement, expected):
    assert split_statement(statement) == expected


@pytest.mark.parametrize(
    ("word", "role"),
    [("著", CreatorRole.AUTHOR), ("共著", CreatorRole.AUTHOR), ("訳", CreatorRole.TRANSLATOR),
     ("監訳", CreatorRole.TRANSLATOR), ("編著", CreatorRole.EDITOR), ("絵", CreatorRole.ILLUSTRATOR),
     ("監修", CreatorRole.SUPERVISOR), ("原作", CreatorRole.ORIGINAL_AUTHOR), ("春樹", None)],
)  # fmt: skip
def test_role_words_of_ndl_records_are_understood(word, role):
    assert role_of(word) is role


def test_the_sru_sample_gives_four_records_keyed_by_ndlbibid():
    records = _records(SRU)
    assert list(records) == ["000007293174", "000002394081", "000002137625", "026975592"]
    assert {r.source for r in records.values()} == {"ndl"}


def test_title_reading_creator_and_publisher_come_from_dc_ndl():
    kokoro = _records(SRU)["000007293174"]
    assert (kokoro.title, kokoro.title_reading) == ("こころ", "ココロ")
    assert (kokoro.series, kokoro.series_reading) == ("新潮文庫", "シンチョウ ブンコ")
    assert kokoro.edition == "改版"
    [soseki] = kokoro.creators
    assert (soseki.name, soseki.reading, soseki.dates, soseki.role) == (
        "夏目漱石",
        "ナツメ ソウセキ",
        "1867-1916",
        CreatorRole.AUTHOR,
    )
    assert soseki.authority_id == "ndl:00054222"
    assert soseki.name_as_given == "夏目, 漱石, 1867-1916"
    assert (kokoro.publisher, kokoro.publication_place) == ("新潮社", "東京")
    assert (kokoro.year, kokoro.date_text) == (2004, "2004.3")
    assert kokoro.extent == "326p ; 16cm"
    assert kokoro.ndc == "913.6"
    assert kokoro.extra["ndlc"] == "KH317"
    assert kokoro.language == "jpn"
    assert kokoro.material_type is MaterialType.BOOK
    schemes = {(i.scheme, i.value) for i in kokoro.identifiers}
    assert (IdentifierScheme.ISBN, "978-4-10-101013-7") in schemes
    assert (IdentifierScheme.JPNO, "20568841") in schemes
    assert (IdentifierScheme.NDL, "000007293174") in schemes
    assert "record 1" in kokoro.provenance and "ndlsearch.ndl.go.jp" in kokoro.provenance


def test_roles_are_matched_to_authority_headings_by_name():
    strang = _records(SRU)["026975592"]
    assert [(c.name, c.role, c.reading) for c in strang.creators] == [
        ("Strang, Gilbert", CreatorRole.AUTHOR, ""),
        ("松崎公紀", CreatorRole.TRANSLATOR, "マツザキ キミノリ"),
        ("新妻弘", CreatorRole.TRANSLATOR, "ニイツマ ヒロシ"),
    ]
    assert strang.original_title == "Introduction to Linear Algebra"
    assert [(s.term, s.scheme, s.reading) for s in strang.subjects] == [
        ("線型代数学", "ndlsh", "センケイダイスウガク")
    ]
    assert strang.ndc == "411.3"
    assert "文献あり 索引あり" in strang.notes


def test_ndlsh_subjects_keep_their_reading():
    iwanami = _records(SRU)["000002394081"]
    assert [(s.term, s.scheme, s.reading) for s in iwanami.subjects] == [
        ("小説 (日本)", "ndlsh", "ショウセツ (ニホン)")
    ]
    assert iwanami.title == "こゝろ"


def test_dc_ndl_simple_items_give_the_same_key_as_the_rdf_record():
    simple = _records(OPENSEARCH)
    assert list(simple) == ["000007293174", "000002223911"]
    kokoro = simple["000007293174"]
    assert (kokoro.title, kokoro.title_reading) == ("こころ", "ココロ")
    assert [(c.name, c.role, c.reading) for c in kokoro.creators] == [
        ("夏目漱石", CreatorRole.AUTHOR, "ナツメ ソウセキ")
    ]
    assert kokoro.ndc == "913.6"
    assert {(i.scheme, i.value) for i in kokoro.identifiers} >= {(IdentifierScheme.ISBN, "978-4-10-101013-7")}


def _rdf(body: str) -> bytes:
    return f"""<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:dc="http://purl.org/dc/elements/1.1/"
      xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcndl="http://ndl.go.jp/dcndl/terms/">
      <dcndl:BibResource rdf:about="https://ndlsearch.ndl.go.jp/books/R1#material">{body}</dcndl:BibResource>
    </rdf:RDF>""".encode()


def test_without_an_ndlbibid_the_jp_number_then_the_isbn_is_the_key():
    jp = _rdf("""<dcterms:title>坊っちゃん</dcterms:title>
        <dcterms:identifier rdf:datatype="http://ndl.go.jp/dcndl/terms/JPNO">JP12345678</dcterms:identifier>""")
    isbn = _rdf("""<dcterms:title>坊っちゃん</dcterms:title>
        <dcterms:identifier rdf:datatype="http://ndl.go.jp/dcndl/terms/ISBN">4-00-310103-0</dcterms:identifier>""")
    assert _read(jp)[0].source_key == "jpno:12345678"
    assert _read(isbn)[0].source_key == "isbn:9784003101032"


def test_a_record_with_no_identifier_or_no_title_is_a_problem():
    [no_id] = _read(_rdf("<dcterms:title>名無し</dcterms:title>"))
    [no_title] = _read(
        _rdf(
            '<dcterms:identifier rdf:datatype="http://ndl.go.jp/dcndl/terms/NDLBibID">1</dcterms:identifier>'
        )
    )
    assert isinstance(no_id, ImportProblem) and "NDLBibID" in no_id.reason
    assert isinstance(no_title, ImportProblem) and "no title" in no_title.reason


def test_records_packed_as_escaped_strings_in_sru_are_read():
    from xml.sax.saxutils import escape

    record = _rdf("""<dcterms:title>三四郎</dcterms:title>
        <dcterms:identifier rdf:datatype="http://ndl.go.jp/dcndl/terms/NDLBibID">000001</dcterms:identifier>""")
    sru = f"""<searchRetrieveResponse xmlns="http://www.loc.gov/zing/srw/"><records><record>
        <recordPacking>string</recordPacking><recordData>{escape(record.decode())}</recordData>
        </record></records></searchRetrieveResponse>""".encode()
    [bib] = _read(sru)
    assert isinstance(bib, BibRecord) and (bib.title, bib.source_key) == ("三四郎", "000001")


def test_an_xxe_payload_in_dc_ndl_is_refused():
    xxe = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + _rdf(
        "<dcterms:title>&x;</dcterms:title>"
    )
    [problem] = _read(xxe)
    assert isinstance(problem, ImportProblem) and "refused" in problem.reason


def test_the_format_of_the_samples_is_detected():
    assert detect_format(SRU) == "dcndl"
    assert detect_format(OPENSEARCH) == "dcndl"
