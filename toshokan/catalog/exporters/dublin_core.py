"""Records → simple Dublin Core, shaped as OAI-PMH's `oai_dc` (http://www.openarchives.org/OAI/2.0/oai_dc/).

Mapping (DCMI Metadata Terms, the fifteen elements): title (+ subtitle after " : ", volume after
". "), creator for authors and contributor for everyone else, subject for subject terms and the
NDC class ("NDC9: 913.6"), description for notes, publisher, date (the year, else the date as
given), type (DCMI Type: Text, Image, Sound, MovingImage …), format (extent), identifier (urn:isbn:,
urn:issn:, NDL and JP-number URIs of id.ndl.go.jp, info:lccn/, info:oclcnum/, the e-text URL and,
with a base URL, the record's own page), language (ISO 639-2), relation (series).
A list of records is wrapped in a plain <records> element.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from lxml import etree

from ..domain.enums import CreatorRole, MaterialType
from ..models import Record
from .common import identifiers_of

OAI_DC = "http://www.openarchives.org/OAI/2.0/oai_dc/"
DC = "http://purl.org/dc/elements/1.1/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{OAI_DC} http://www.openarchives.org/OAI/2.0/oai_dc.xsd"
NSMAP = {"oai_dc": OAI_DC, "dc": DC, "xsi": XSI}

_DCMI_TYPE = {
    MaterialType.BOOK: "Text",
    MaterialType.SERIAL: "Text",
    MaterialType.EBOOK: "Text",
    MaterialType.SCORE: "Text",
    MaterialType.MAP: "Image",
    MaterialType.AUDIO: "Sound",
    MaterialType.VIDEO: "MovingImage",
    MaterialType.KIT: "Collection",
    MaterialType.OTHER: "PhysicalObject",
}
_IDENTIFIER_FORMS = {
    "isbn": "urn:isbn:{}",
    "issn": "urn:issn:{}",
    "ndl": "http://id.ndl.go.jp/bib/{}",
    "jpno": "http://id.ndl.go.jp/jpno/{}",
    "lccn": "info:lccn/{}",
    "oclc": "info:oclcnum/{}",
    "aozora": "aozora:{}",
}


def _add(parent: etree._Element, name: str, text: str) -> None:
    if text and text.strip():
        etree.SubElement(parent, f"{{{DC}}}{name}").text = text.strip()


def to_dc(record: Record, *, base_url: str = "") -> etree._Element:
    """One record as an <oai_dc:dc> element (relations prefetched)."""
    root = etree.Element(f"{{{OAI_DC}}}dc", nsmap=NSMAP)
    root.set(f"{{{XSI}}}schemaLocation", SCHEMA_LOCATION)
    title = record.title + (f" : {record.subtitle}" if record.subtitle else "")
    if record.volume:
        title += f". {record.volume}"
    _add(root, "title", title)
    for link in record.record_creators.all():
        element = "creator" if link.role == CreatorRole.AUTHOR else "contributor"
        _add(root, element, link.creator.name)
    for subject in record.subjects.all():
        _add(root, "subject", subject.term)
    if record.ndc:
        _add(root, "subject", f"NDC9: {record.ndc}")
    for note in record.notes.splitlines():
        _add(root, "description", note)
    _add(root, "publisher", record.publisher)
    _add(root, "date", str(record.year) if record.year else record.date_text)
    material = (
        MaterialType(record.material_type)
        if record.material_type in MaterialType._value2member_map_
        else None
    )
    _add(root, "type", _DCMI_TYPE.get(material, "Text") if material else "Text")
    _add(root, "format", record.extent)
    for ident in identifiers_of(record):
        form = _IDENTIFIER_FORMS.get(ident.scheme)
        if form:
            _add(root, "identifier", form.format(ident.value))
    _add(root, "identifier", record.etext_url)
    if base_url:
        _add(root, "identifier", f"{base_url.rstrip('/')}/records/{record.pk}")
    _add(root, "language", record.language)
    _add(root, "relation", record.series)
    return root


def record_xml(record: Record, *, base_url: str = "") -> bytes:
    return etree.tostring(
        to_dc(record, base_url=base_url), xml_declaration=True, encoding="UTF-8", pretty_print=True
    )


def collection_xml(records: Iterable[Record], *, base_url: str = "") -> Iterator[bytes]:
    yield b'<?xml version="1.0" encoding="UTF-8"?>\n<records>\n'
    for record in records:
        yield etree.tostring(to_dc(record, base_url=base_url), encoding="UTF-8", pretty_print=True)
    yield b"</records>\n"
