"""NDL Search records in DC-NDL → BibRecords.

Two shapes are read, as NDL Search's APIs return them (国立国会図書館ダブリンコアメタデータ記述, DC-NDL):

* **DC-NDL (RDF)** — SRU `recordSchema=dcndl`, OAI-PMH `dcndl`: an `rdf:RDF` holding a
  `dcndl:BibResource` (the description) next to `dcndl:BibAdminResource` and `dcndl:Item`s. Titles
  carry their reading as `dc:title/rdf:Description/dcndl:transcription`; people are
  `dcterms:creator/foaf:Agent` with `foaf:name` (the authority heading "夏目, 漱石, 1867-1916") and
  `dcndl:transcription`, while `dc:creator` keeps the statement as printed ("夏目漱石 著"), which is
  where the role is; identifiers are `dcterms:identifier` typed with `rdf:datatype`
  (http://ndl.go.jp/dcndl/terms/ISBN, JPNO, NDLBibID …); NDC is a `dcterms:subject` whose
  `rdf:resource` is http://id.ndl.go.jp/class/ndc9/913.6.
* **DC-NDL Simple** — SRU `dcndl_simple`, OpenSearch RSS items: flat `dc:title` +
  `dcndl:titleTranscription`, `dc:creator` + `dcndl:creatorTranscription`, `dc:identifier` and
  `dc:subject` typed with `xsi:type` (dcndl:ISBN, dcndl:NDC9 …).

Records may be wrapped in an SRU response (recordPacking xml, or string: escaped XML, parsed here
with the same safe parser), an OAI-PMH response or an RSS channel; each record is read and then
dropped, so memory stays flat. `source_key` is the NDLBibID, else the JP number, else the ISBN.
Parsing uses lxml with entities, DTDs and the network off; a document declaring entities is refused.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import IO

from lxml import etree

from ..domain.dates import parse_year
from ..domain.enums import ROLE_WORDS, CreatorRole, IdentifierScheme, MaterialType
from ..domain.identifiers import InvalidIdentifier, normalize_isbn
from ..domain.records import BibRecord, CreatorEntry, IdentifierEntry, ImportProblem, SubjectEntry
from .marc import declared_entities, release, safe_iterparse

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
DC = "http://purl.org/dc/elements/1.1/"
DCTERMS = "http://purl.org/dc/terms/"
DCNDL = "http://ndl.go.jp/dcndl/terms/"
DCNDL_SIMPLE = "http://ndl.go.jp/dcndl/dcndl_simple/"
FOAF = "http://xmlns.com/foaf/0.1/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"

_RECORD_DATA = "recordData"
_DATES = re.compile(r"^(?:\d{3,4}\??-?(?:\d{3,4}\??)?|-\d{3,4}|\d{3,4}頃?-?)$")
_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff々〆ヶ]")

# Role words of NDL's statements of responsibility beyond the shared ROLE_WORDS.
_NDL_ROLE_WORDS: dict[str, CreatorRole] = {
    "著者代表": CreatorRole.AUTHOR,
    "述": CreatorRole.AUTHOR,
    "口述": CreatorRole.AUTHOR,
    "原著": CreatorRole.ORIGINAL_AUTHOR,
    "監訳": CreatorRole.TRANSLATOR,
    "訳注": CreatorRole.TRANSLATOR,
    "訳・解説": CreatorRole.TRANSLATOR,
    "編訳": CreatorRole.TRANSLATOR,
    "抄訳": CreatorRole.TRANSLATOR,
    "選": CreatorRole.EDITOR,
    "撰": CreatorRole.EDITOR,
    "編纂": CreatorRole.EDITOR,
    "責任編集": CreatorRole.EDITOR,
    "編集代表": CreatorRole.EDITOR,
    "校閲": CreatorRole.REVISER,
    "校": CreatorRole.REVISER,
    "注": CreatorRole.REVISER,
    "解説": CreatorRole.CONTRIBUTOR,
    "写真": CreatorRole.ILLUSTRATOR,
    "撮影": CreatorRole.ILLUSTRATOR,
    "作画": CreatorRole.ILLUSTRATOR,
    "まんが": CreatorRole.ILLUSTRATOR,
    "漫画": CreatorRole.ILLUSTRATOR,
    "作詞": CreatorRole.AUTHOR,
    "作・絵": CreatorRole.AUTHOR,
    "文・絵": CreatorRole.AUTHOR,
}

# NDL Type (http://ndl.go.jp/ndltype/…) and the labels NDL Search shows.
_MATERIAL_TYPES: dict[str, MaterialType] = {
    "book": MaterialType.BOOK,
    "図書": MaterialType.BOOK,
    "serial": MaterialType.SERIAL,
    "periodical": MaterialType.SERIAL,
    "雑誌": MaterialType.SERIAL,
    "新聞": MaterialType.SERIAL,
    "電子書籍": MaterialType.EBOOK,
    "electronicresource": MaterialType.EBOOK,
    "electronicbook": MaterialType.EBOOK,
    "map": MaterialType.MAP,
    "地図": MaterialType.MAP,
    "musicscore": MaterialType.SCORE,
    "楽譜": MaterialType.SCORE,
    "sound": MaterialType.AUDIO,
    "audiobook": MaterialType.AUDIO,
    "録音資料": MaterialType.AUDIO,
    "movingimage": MaterialType.VIDEO,
    "videodisc": MaterialType.VIDEO,
    "映像資料": MaterialType.VIDEO,
    "kit": MaterialType.KIT,
}

_IDENTIFIER_TYPES = {
    "ISBN": IdentifierScheme.ISBN,
    "ISSN": IdentifierScheme.ISSN,
    "ISSNL": IdentifierScheme.ISSN,
    "JPNO": IdentifierScheme.JPNO,
    "NDLBibID": IdentifierScheme.NDL,
    "LCCN": IdentifierScheme.LCCN,
    "OCLCNO": IdentifierScheme.OCLC,
}


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def _clean(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _type_name(value: str) -> str:
    """The term of an `rdf:datatype` URI or an `xsi:type` QName: ".../terms/ISBN" or "dcndl:ISBN" → ISBN."""
    return re.split(r"[/#:]", value.strip())[-1] if value else ""


def _value(element: etree._Element) -> tuple[str, str]:
    """(value, reading) of a literal or of an rdf:Description with rdf:value and dcndl:transcription."""
    description = element.find(_q(RDF, "Description"))
    if description is not None:
        return (
            _clean(description.findtext(_q(RDF, "value"))),
            _clean(description.findtext(_q(DCNDL, "transcription"))),
        )
    return _clean(element.text), ""


def _heading(text: str) -> tuple[str, str]:
    """An NDL name heading "夏目, 漱石, 1867-1916" → ("夏目漱石", "1867-1916"); "Strang, Gilbert" stays."""
    parts = [p.strip() for p in re.split(r",\s*|，\s*", text) if p.strip()]
    dates = ""
    if len(parts) > 1 and _DATES.match(parts[-1]):
        dates = parts.pop()
    if parts and all(_JAPANESE.search(p) for p in parts):
        return "".join(parts), dates
    return ", ".join(parts), dates


def _reading(text: str) -> str:
    """A transcription without the dates and with the heading's comma as a space: "ナツメ ソウセキ"."""
    parts = [p.strip() for p in re.split(r",\s*|，\s*", text) if p.strip()]
    if len(parts) > 1 and _DATES.match(parts[-1]):
        parts.pop()
    return " ".join(parts)


def role_of(word: str) -> CreatorRole | None:
    """The role a word of a statement of responsibility names (著, 共訳, 作・絵 …), or None."""
    word = unicodedata.normalize("NFKC", word).strip("[]()（）")
    if not word:
        return None
    for candidate in (word, word.removeprefix("共"), word.removeprefix("共同")):
        role = ROLE_WORDS.get(candidate) or _NDL_ROLE_WORDS.get(candidate)
        if role is not None:
            return role
    if "・" in word:
        for part in word.split("・"):
            role = ROLE_WORDS.get(part) or _NDL_ROLE_WORDS.get(part)
            if role is not None:
                return role
    return None


def split_statement(statement: str) -> list[tuple[str, CreatorRole | None]]:
    """「松崎公紀, 新妻弘 共訳」 → [(松崎公紀, translator), (新妻弘, translator)]; no role word → None."""
    out: list[tuple[str, CreatorRole | None]] = []
    for part in re.split(r"\s*[;；]\s*", statement.strip().strip("[]")):
        part = part.strip()
        if not part:
            continue
        words = re.split(r"[ \u3000]+", part)
        role = role_of(words[-1]) if len(words) > 1 else None
        names = " ".join(words[:-1]) if role is not None else part
        for name in re.split(r"\s*[,，、]\s*", names):
            if name.strip():
                out.append((name.strip(), role))
    return out


def _name_key(name: str) -> str:
    name, _ = _heading(name)
    return re.sub(r"[\s,，・･.]", "", unicodedata.normalize("NFKC", name)).lower()


def _creators_rdf(resource: etree._Element) -> list[CreatorEntry]:
    agents: list[tuple[str, str, str, str]] = []  # name as given, reading, authority id, dates
    for creator in resource.iterfind(_q(DCTERMS, "creator")):
        agent = creator.find(_q(FOAF, "Agent"))
        if agent is None:
            agents.append((_clean(creator.text), "", "", ""))
            continue
        about = agent.get(_q(RDF, "about"), "")
        authority = f"ndl:{about.rstrip('/').rsplit('/', 1)[-1]}" if "id.ndl.go.jp/auth" in about else ""
        agents.append(
            (
                _clean(agent.findtext(_q(FOAF, "name"))),
                _clean(agent.findtext(_q(DCNDL, "transcription"))),
                authority,
                "",
            )
        )
    statements = [s for el in resource.iterfind(_q(DC, "creator")) for s in split_statement(_clean(el.text))]
    if not agents:
        return [CreatorEntry(name=n, role=r or CreatorRole.AUTHOR) for n, r in statements]
    # The role of each heading is in the printed statement: match them by name, then in order.
    unmatched = list(statements)
    roles: list[CreatorRole | None] = []
    for given, *_ in agents:
        key = _name_key(given)
        hit = next((s for s in unmatched if _name_key(s[0]) == key), None)
        if hit is not None:
            unmatched.remove(hit)
        roles.append(hit[1] if hit else None)
    leftovers = iter(unmatched)
    out: list[CreatorEntry] = []
    for (given, reading, authority, _), role in zip(agents, roles, strict=True):
        if role is None:
            role = next(leftovers, ("", CreatorRole.AUTHOR))[1]
        name, dates = _heading(given)
        if not name:
            continue
        out.append(
            CreatorEntry(
                name=name,
                role=role or CreatorRole.AUTHOR,
                reading=_reading(reading),
                dates=dates,
                authority_id=authority,
                name_as_given=given if given != name else "",
            )
        )
    return out


def _creators_simple(item: etree._Element) -> list[CreatorEntry]:
    statements = [s for el in item.iterfind(_q(DC, "creator")) for s in split_statement(_clean(el.text))]
    readings = [_reading(_clean(el.text)) for el in item.iterfind(_q(DCNDL, "creatorTranscription"))]
    out: list[CreatorEntry] = []
    for i, (name, role) in enumerate(statements):
        heading, dates = _heading(name)
        reading = readings[i] if len(readings) == len(statements) else ""
        out.append(CreatorEntry(name=heading, role=role or CreatorRole.AUTHOR, reading=reading, dates=dates))
    return out


def _identifiers(element: etree._Element) -> list[IdentifierEntry]:
    out: list[IdentifierEntry] = []
    for tag in (_q(DCTERMS, "identifier"), _q(DC, "identifier")):
        for el in element.iterfind(tag):
            kind = _type_name(el.get(_q(RDF, "datatype")) or el.get(_q(XSI, "type")) or "")
            scheme = _IDENTIFIER_TYPES.get(kind)
            value = _clean(el.text)
            if scheme is not None and value:
                out.append(IdentifierEntry(scheme, value))
    return out


def _source_key(identifiers: list[IdentifierEntry]) -> str:
    by_scheme: dict[IdentifierScheme, str] = {}
    for ident in identifiers:
        by_scheme.setdefault(ident.scheme, ident.value)
    if IdentifierScheme.NDL in by_scheme:
        return by_scheme[IdentifierScheme.NDL]
    if IdentifierScheme.JPNO in by_scheme:
        return "jpno:" + re.sub(r"\D", "", by_scheme[IdentifierScheme.JPNO])
    if IdentifierScheme.ISBN in by_scheme:
        try:
            return "isbn:" + normalize_isbn(by_scheme[IdentifierScheme.ISBN])
        except InvalidIdentifier:
            return "isbn:" + by_scheme[IdentifierScheme.ISBN]
    return ""


def _classes(element: etree._Element) -> dict[str, str]:
    """Classification numbers by scheme ("ndc9": "913.6", "ndlc": "KH317")."""
    found: dict[str, str] = {}
    for el in element.iterfind(_q(DCTERMS, "subject")):
        resource = el.get(_q(RDF, "resource"), "")
        match = re.search(r"id\.ndl\.go\.jp/class/([^/]+)/(.+)$", resource)
        if match:
            found.setdefault(match.group(1).lower(), match.group(2))
    for el in element.iterfind(_q(DC, "subject")):
        kind = _type_name(el.get(_q(XSI, "type"), "")).lower()
        if kind in ("ndc9", "ndc10", "ndc8", "ndc", "ndlc") and _clean(el.text):
            found.setdefault(kind, _clean(el.text))
    return found


def _ndc(classes: dict[str, str]) -> str:
    for scheme in ("ndc9", "ndc10", "ndc8", "ndc"):
        if scheme in classes:
            return classes[scheme]
    return ""


def _subjects(element: etree._Element) -> list[SubjectEntry]:
    out: list[SubjectEntry] = []
    for el in element.iterfind(_q(DCTERMS, "subject")):
        description = el.find(_q(RDF, "Description"))
        if description is None:
            if _clean(el.text):
                out.append(SubjectEntry(term=_clean(el.text), scheme="keyword"))
            continue
        term, reading = _value(el)
        about = description.get(_q(RDF, "about"), "")
        scheme = "ndlsh" if "/ndlsh/" in about else "keyword"
        if term:
            out.append(SubjectEntry(term=term, scheme=scheme, reading=reading))
    for el in element.iterfind(_q(DC, "subject")):
        kind = _type_name(el.get(_q(XSI, "type"), "")).lower()
        if kind in ("ndc9", "ndc10", "ndc8", "ndc", "ndlc"):
            continue
        if _clean(el.text):
            out.append(SubjectEntry(term=_clean(el.text), scheme=kind or "keyword"))
    return out


def _material_type(element: etree._Element) -> MaterialType:
    for el in element.iterfind(_q(DCNDL, "materialType")):
        for candidate in (el.get(_q(RDF, "resource"), ""), el.get(_q(RDFS, "label"), ""), el.text or ""):
            key = _type_name(candidate).lower() if "/" in candidate else candidate.strip().lower()
            if key in _MATERIAL_TYPES:
                return _MATERIAL_TYPES[key]
    return MaterialType.BOOK


def _language(element: etree._Element) -> str:
    for tag in (_q(DCTERMS, "language"), _q(DC, "language")):
        for el in element.iterfind(tag):
            code = _clean(el.text).lower()
            if re.fullmatch(r"[a-z]{3}", code):
                return code
    return "jpn"


def _texts(element: etree._Element, *tags: str) -> list[str]:
    return [_clean(el.text) for tag in tags for el in element.iterfind(tag) if _clean(el.text)]


def _first_value(element: etree._Element, tag: str) -> tuple[str, str]:
    el = element.find(tag)
    return _value(el) if el is not None else ("", "")


def _common(element: etree._Element, identifiers: list[IdentifierEntry]) -> dict[str, object]:
    date_text = (_texts(element, _q(DCTERMS, "date"), _q(DC, "date")) or [""])[0]
    issued = (_texts(element, _q(DCTERMS, "issued")) or [""])[0]
    notes: list[str] = []
    original_title = ""
    for text in _texts(element, _q(DCTERMS, "description"), _q(DC, "description")):
        if text.startswith("type :"):
            continue  # NDL's record-type marker, not a note
        match = re.match(r"^原タイトル\s*[:：]\s*(.+?)(?:\s+原著.*)?$", text)
        if match and not original_title:
            original_title = match.group(1).strip()
        notes.append(text)
    classes = _classes(element)
    extra: dict[str, object] = {k: v for k, v in classes.items() if not k.startswith("ndc")}
    prices = _texts(element, _q(DCNDL, "price"))
    if prices:
        extra["price"] = prices[0]
    alternatives = [_value(el)[0] for el in element.iterfind(_q(DCNDL, "alternative"))]
    alternatives += _texts(element, _q(DCTERMS, "alternative"))
    if alternatives:
        extra["alternative_titles"] = [a for a in alternatives if a]
    return {
        "identifiers": identifiers,
        "year": parse_year(issued) or parse_year(date_text),
        "date_text": date_text or issued,
        "extent": (_texts(element, _q(DCTERMS, "extent"), _q(DC, "extent"), _q(DC, "format")) or [""])[0],
        "ndc": _ndc(classes),
        "subjects": _subjects(element),
        "language": _language(element),
        "material_type": _material_type(element),
        "notes": notes,
        "original_title": original_title,
        "extra": extra,
    }


def resource_to_bib(resource: etree._Element, *, provenance: str = "") -> BibRecord | None:
    """A DC-NDL (RDF) dcndl:BibResource as a BibRecord; None when it has no title."""
    title = _clean(resource.findtext(_q(DCTERMS, "title")))
    dc_title, title_reading = _first_value(resource, _q(DC, "title"))
    title = title or dc_title
    if not title:
        return None
    identifiers = _identifiers(resource)
    series, series_reading = _first_value(resource, _q(DCNDL, "seriesTitle"))
    volume, _ = _first_value(resource, _q(DCNDL, "volume"))
    volume_title, volume_title_reading = _first_value(resource, _q(DCNDL, "volumeTitle"))
    edition, _ = _first_value(resource, _q(DCNDL, "edition"))
    publishers: list[str] = []
    places: list[str] = []
    for el in resource.iterfind(_q(DCTERMS, "publisher")):
        agent = el.find(_q(FOAF, "Agent"))
        name = _clean(agent.findtext(_q(FOAF, "name")) if agent is not None else el.text)
        if name:
            publishers.append(name)
        if agent is not None and _clean(agent.findtext(_q(DCNDL, "location"))):
            places.append(_clean(agent.findtext(_q(DCNDL, "location"))))
    about = resource.get(_q(RDF, "about"), "")
    common = _common(resource, identifiers)
    country = _texts(resource, _q(DCNDL, "publicationPlace"))
    if country:
        common["extra"]["country"] = country[0]  # type: ignore[index]
    if about:
        common["extra"]["ndl_url"] = about.split("#", 1)[0]  # type: ignore[index]
    return BibRecord(
        source="ndl",
        source_key=_source_key(identifiers),
        title=title,
        title_reading=title_reading,
        subtitle=volume_title,
        subtitle_reading=volume_title_reading,
        series=series,
        series_reading=series_reading,
        volume=volume,
        creators=_creators_rdf(resource),
        publisher=" ; ".join(publishers),
        publication_place=places[0] if places else "",
        edition=edition,
        provenance=provenance + (f" <{about.split('#', 1)[0]}>" if about else ""),
        **common,  # type: ignore[arg-type]
    )


def simple_to_bib(item: etree._Element, *, provenance: str = "") -> BibRecord | None:
    """A DC-NDL Simple record (dcndl_simple:dc or an OpenSearch RSS item) as a BibRecord."""
    title = (_texts(item, _q(DC, "title")) or _texts(item, "title") or [""])[0]
    if not title:
        return None
    identifiers = _identifiers(item)
    link = (_texts(item, "link", "guid") or [""])[0]
    common = _common(item, identifiers)
    if link:
        common["extra"]["ndl_url"] = link  # type: ignore[index]
    return BibRecord(
        source="ndl",
        source_key=_source_key(identifiers),
        title=title,
        title_reading=(_texts(item, _q(DCNDL, "titleTranscription")) or [""])[0],
        series=(_texts(item, _q(DCNDL, "seriesTitle")) or [""])[0],
        series_reading=(_texts(item, _q(DCNDL, "seriesTitleTranscription")) or [""])[0],
        volume=(_texts(item, _q(DCNDL, "volume")) or [""])[0],
        creators=_creators_simple(item),
        publisher=" ; ".join(_texts(item, _q(DC, "publisher"))),
        publication_place=(_texts(item, _q(DCNDL, "publicationPlace")) or [""])[0],
        edition=(_texts(item, _q(DCNDL, "edition")) or [""])[0],
        provenance=provenance + (f" <{link}>" if link else ""),
        **common,  # type: ignore[arg-type]
    )


def _resources(rdf: etree._Element) -> list[etree._Element]:
    """The BibResources of one rdf:RDF, those describing the same thing (rdf:about) merged."""
    merged: dict[str, etree._Element] = {}
    for resource in rdf.iterfind(_q(DCNDL, "BibResource")):
        about = resource.get(_q(RDF, "about"), "") or f"#{len(merged)}"
        if about in merged:
            for child in list(resource):
                merged[about].append(child)
        else:
            merged[about] = resource
    return list(merged.values())


def _is_simple_item(element: etree._Element) -> bool:
    if element.tag == _q(DCNDL_SIMPLE, "dc"):
        return True
    return element.tag == "item" and element.find(_q(DC, "title")) is not None


class _Reader:
    def __init__(self, name: str) -> None:
        self.label = f"{name}, " if name else ""
        self.position = 0

    def records(self, element: etree._Element) -> Iterator[BibRecord | ImportProblem]:
        if element.tag == _q(RDF, "RDF"):
            found = [(r, True) for r in _resources(element)]
        else:
            found = [(element, False)]
        for node, is_rdf in found:
            self.position += 1
            where = f"{self.label}record {self.position} (line {node.sourceline})"
            bib = resource_to_bib(node, provenance=where) if is_rdf else simple_to_bib(node, provenance=where)
            if bib is None:
                yield ImportProblem(
                    position=self.position,
                    reason=f"no title (dcterms:title / dc:title) at line {node.sourceline}",
                )
            elif not bib.source_key:
                yield ImportProblem(
                    position=self.position,
                    reason=f"no NDLBibID, JP number or ISBN to identify the record (line {node.sourceline})",
                )
            else:
                yield bib

    def packed(self, element: etree._Element) -> Iterator[BibRecord | ImportProblem]:
        """SRU recordPacking=string: the record is escaped XML text inside recordData."""
        text = (element.text or "").strip()
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
        try:
            root = etree.fromstring(text.encode("utf-8"), parser)
        except etree.XMLSyntaxError as exc:
            self.position += 1
            yield ImportProblem(
                position=self.position, reason=f"the packed record is not well-formed XML: {exc.msg}"
            )
            return
        if declared_entities(root):
            self.position += 1
            yield ImportProblem(
                position=self.position, reason="refused: the packed record declares XML entities"
            )
            return
        for node in root.iter(_q(RDF, "RDF"), _q(DCNDL_SIMPLE, "dc")):
            yield from self.records(node)


def read_dcndl(stream: IO[bytes], *, name: str = "") -> Iterator[BibRecord | ImportProblem]:
    """BibRecords and ImportProblems from a DC-NDL document (RDF or Simple), in document order."""
    reader = _Reader(name)
    checked = False
    try:
        for _event, element in safe_iterparse(stream, events=("end",)):
            if not checked:
                checked = True
                entities = declared_entities(element)
                if entities:
                    yield ImportProblem(
                        position=0,
                        reason="refused: the document's DOCTYPE declares entities "
                        f"({', '.join(entities[:5])}); entities are never expanded",
                    )
                    return
            if element.tag == _q(RDF, "RDF") or _is_simple_item(element):
                yield from reader.records(element)
            elif (
                _local(element.tag) == _RECORD_DATA
                and len(element) == 0
                and (element.text or "").strip().startswith("<")
            ):
                yield from reader.packed(element)
            else:
                continue
            release(element)
    except etree.XMLSyntaxError as exc:
        yield ImportProblem(
            position=reader.position + 1,
            reason=f"the XML is not well-formed at line {exc.lineno}: {exc.msg}; reading stopped there",
        )
        return
    if reader.position == 0:
        yield ImportProblem(
            position=0, reason="no DC-NDL record (rdf:RDF, dcndl_simple:dc or RSS item) found"
        )
