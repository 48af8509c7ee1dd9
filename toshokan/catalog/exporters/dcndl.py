"""Records → DC-NDL (RDF), the description NDL Search harvests (国立国会図書館ダブリンコアメタデータ記述).

The shape is the one NDL Search itself returns for `recordSchema=dcndl` and OAI-PMH `dcndl`, and
the one toshokan's own DC-NDL importer reads (importers/dcndl.py), so a record exported here and
imported again keeps its title and reading, people with their readings and roles, identifiers,
NDC, subjects, publisher, year, language and notes:

* an `rdf:RDF` with a `dcndl:BibAdminResource` (this record at this library) pointing to the
  `dcndl:BibResource` (the description), and a `dcndl:Item` per branch holding copies;
* titles and series as `dcterms:title` plus `dc:title/rdf:Description` with `rdf:value` and
  `dcndl:transcription` (the reading);
* people as `dcterms:creator/foaf:Agent` (`foaf:name` with the dates as NDL's headings add them,
  `dcndl:transcription`) and the statement as printed in `dc:creator` ("夏目漱石 著"), which is
  where DC-NDL keeps the role;
* identifiers as `dcterms:identifier` typed with `rdf:datatype` (http://ndl.go.jp/dcndl/terms/ISBN …),
  NDC as `dcterms:subject rdf:resource="http://id.ndl.go.jp/class/ndc9/…"`.
"""

from __future__ import annotations

from lxml import etree

from ..domain.enums import CreatorRole, MaterialType
from ..models import Record
from .common import identifiers_of

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
DC = "http://purl.org/dc/elements/1.1/"
DCTERMS = "http://purl.org/dc/terms/"
DCNDL = "http://ndl.go.jp/dcndl/terms/"
FOAF = "http://xmlns.com/foaf/0.1/"
NSMAP = {"rdf": RDF, "rdfs": RDFS, "dc": DC, "dcterms": DCTERMS, "dcndl": DCNDL, "foaf": FOAF}

# The word of a statement of responsibility for each role (the reverse of the importer's reading).
ROLE_WORD = {
    CreatorRole.AUTHOR: "著",
    CreatorRole.TRANSLATOR: "訳",
    CreatorRole.EDITOR: "編",
    CreatorRole.REVISER: "校訂",
    CreatorRole.ILLUSTRATOR: "絵",
    CreatorRole.COMPOSER: "作曲",
    CreatorRole.CONTRIBUTOR: "解説",
    CreatorRole.ORIGINAL_AUTHOR: "原作",
    CreatorRole.SUPERVISOR: "監修",
    CreatorRole.NARRATOR: "朗読",
    CreatorRole.OTHER: "その他",
}
# NDL Type (http://ndl.go.jp/ndltype/) and its label.
_NDL_TYPE = {
    MaterialType.BOOK: ("Book", "図書"),
    MaterialType.SERIAL: ("Periodical", "雑誌"),
    MaterialType.EBOOK: ("ElectronicResource", "電子書籍"),
    MaterialType.MAP: ("Map", "地図"),
    MaterialType.SCORE: ("MusicScore", "楽譜"),
    MaterialType.AUDIO: ("Sound", "録音資料"),
    MaterialType.VIDEO: ("VideoDisc", "映像資料"),
    MaterialType.KIT: ("Kit", "キット"),
    MaterialType.OTHER: ("Other", "その他"),
}
_IDENTIFIER_TYPE = {
    "isbn": "ISBN",
    "issn": "ISSN",
    "jpno": "JPNO",
    "ndl": "NDLBibID",
    "lccn": "LCCN",
    "oclc": "OCLCNO",
}


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def _text(parent: etree._Element, ns: str, name: str, text: str, **attrs: str) -> etree._Element | None:
    if not text or not text.strip():
        return None
    el = etree.SubElement(parent, _q(ns, name), {_q(RDF, k): v for k, v in attrs.items()})
    el.text = text.strip()
    return el


def _described(parent: etree._Element, ns: str, name: str, value: str, reading: str = "") -> None:
    """<ns:name><rdf:Description><rdf:value>…</rdf:value><dcndl:transcription>…</…></…></…>."""
    if not value.strip():
        return
    description = etree.SubElement(etree.SubElement(parent, _q(ns, name)), _q(RDF, "Description"))
    _text(description, RDF, "value", value)
    _text(description, DCNDL, "transcription", reading)


def _heading(name: str, dates: str) -> str:
    return f"{name}, {dates}" if dates else name


def to_dcndl(record: Record, *, base_url: str) -> etree._Element:
    """One record as an rdf:RDF element in DC-NDL (relations prefetched: creators, identifiers,
    subjects and holdings with their branches, as selectors.records_by_ids gives them)."""
    page = f"{base_url.rstrip('/')}/records/{record.pk}"
    material = f"{page}#material"
    root = etree.Element(_q(RDF, "RDF"), nsmap=NSMAP)

    admin = etree.SubElement(root, _q(DCNDL, "BibAdminResource"), {_q(RDF, "about"): page})
    etree.SubElement(admin, _q(DCNDL, "record"), {_q(RDF, "resource"): material})
    _text(admin, DCTERMS, "modified", record.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ"))

    bib = etree.SubElement(root, _q(DCNDL, "BibResource"), {_q(RDF, "about"): material})
    etree.SubElement(bib, _q(RDFS, "seeAlso"), {_q(RDF, "resource"): page})
    for ident in identifiers_of(record):
        kind = _IDENTIFIER_TYPE.get(ident.scheme)
        if kind:
            _text(bib, DCTERMS, "identifier", ident.value, datatype=f"{DCNDL}{kind}")
    title = record.title + (f" : {record.subtitle}" if record.subtitle else "")
    _text(bib, DCTERMS, "title", title)
    reading = record.title_reading + (
        f" : {record.subtitle_reading}" if record.subtitle and record.subtitle_reading else ""
    )
    _described(bib, DC, "title", title, reading)
    _described(bib, DCNDL, "seriesTitle", record.series, record.series_reading)
    _described(bib, DCNDL, "volume", record.volume)
    _described(bib, DCNDL, "edition", record.edition)

    statements: list[str] = []
    for link in record.record_creators.all():
        creator = link.creator
        agent = etree.SubElement(etree.SubElement(bib, _q(DCTERMS, "creator")), _q(FOAF, "Agent"))
        if creator.authority_id.startswith("ndl:"):
            agent.set(_q(RDF, "about"), f"http://id.ndl.go.jp/auth/entity/{creator.authority_id[4:]}")
        _text(agent, FOAF, "name", _heading(creator.name, creator.dates))
        _text(
            agent, DCNDL, "transcription", _heading(creator.reading, creator.dates) if creator.reading else ""
        )
        role = CreatorRole(link.role) if link.role in CreatorRole._value2member_map_ else CreatorRole.OTHER
        statements.append(f"{link.name_as_given or creator.name} {ROLE_WORD[role]}")
    for statement in statements:
        _text(bib, DC, "creator", statement)

    if record.publisher:
        agent = etree.SubElement(etree.SubElement(bib, _q(DCTERMS, "publisher")), _q(FOAF, "Agent"))
        _text(agent, FOAF, "name", record.publisher)
        _text(agent, DCNDL, "location", record.publication_place)
    _text(bib, DCTERMS, "date", record.date_text or (str(record.year) if record.year else ""))
    if record.year:
        _text(bib, DCTERMS, "issued", str(record.year), datatype=f"{DCTERMS}W3CDTF")
    if record.original_title:
        _text(bib, DCTERMS, "description", f"原タイトル: {record.original_title}")
    for note in record.notes.splitlines():
        _text(bib, DCTERMS, "description", note)
    for subject in record.subjects.all():
        _described(bib, DCTERMS, "subject", subject.term, subject.reading)
    if record.ndc:
        etree.SubElement(
            bib, _q(DCTERMS, "subject"), {_q(RDF, "resource"): f"http://id.ndl.go.jp/class/ndc9/{record.ndc}"}
        )
    _text(bib, DCTERMS, "language", record.language, datatype=f"{DCTERMS}ISO639-2")
    _text(bib, DCTERMS, "extent", record.extent)
    material_type = (
        MaterialType(record.material_type)
        if record.material_type in MaterialType._value2member_map_
        else MaterialType.OTHER
    )
    ndl_type, label = _NDL_TYPE[material_type]
    etree.SubElement(
        bib,
        _q(DCNDL, "materialType"),
        {_q(RDF, "resource"): f"http://ndl.go.jp/ndltype/{ndl_type}", _q(RDFS, "label"): label},
    )
    if record.etext_url:
        etree.SubElement(bib, _q(RDFS, "seeAlso"), {_q(RDF, "resource"): record.etext_url})

    # One dcndl:Item per branch with copies: who holds it and under which shelf mark.
    by_branch: dict[str, list[str]] = {}
    for holding in record.holdings.all():
        marks = by_branch.setdefault(holding.branch.name, [])
        if holding.shelf_mark and holding.shelf_mark not in marks:
            marks.append(holding.shelf_mark)
    for n, (branch, marks) in enumerate(sorted(by_branch.items()), start=1):
        item = etree.SubElement(root, _q(DCNDL, "Item"), {_q(RDF, "about"): f"{page}#item{n}"})
        agent = etree.SubElement(etree.SubElement(item, _q(DCNDL, "holdingAgent")), _q(FOAF, "Agent"))
        _text(agent, FOAF, "name", branch)
        for mark in marks:
            _text(item, DCNDL, "callNumber", mark)
        etree.SubElement(item, _q(DCNDL, "record"), {_q(RDF, "resource"): material})
    return root
