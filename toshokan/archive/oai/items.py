"""Archive items → the OAI-PMH formats: simple Dublin Core (`oai_dc`) and DC-NDL (RDF).

oai_dc: title (and the alternative title), creator, publisher, subject, description, date (as the
source gives it, and the year or range in the Western calendar, e.g. 1885/1889), type (DCMI Type),
format, identifier (the item page and its IIIF manifest), source, language, coverage (the place and
its coordinates), relation (the catalogue record), rights (the 二次利用条件 URIs of the metadata and
of the content).

DC-NDL: the same in the shape NDL Search reads, with the readings as `dcndl:transcription`, the
year as `dcterms:issued`, the place as `dcterms:spatial`, the call number on a `dcndl:Item`, and the
rights as `dcterms:rights` resources.
"""

from __future__ import annotations

from django.urls import reverse
from lxml import etree

from toshokan.catalog.exporters import dublin_core
from toshokan.catalog.exporters.dcndl import DCNDL, DCTERMS, FOAF, NSMAP, RDF, RDFS

from ..domain.kinds import DCMI_TYPE, LABELS_JA, ItemKind
from ..models import ArchiveItem

DC = dublin_core.DC


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def _years(item: ArchiveItem) -> str:
    if item.year_start is None:
        return ""
    if item.year_end is not None and item.year_end != item.year_start:
        return f"{item.year_start}/{item.year_end}"
    return str(item.year_start)


def _kind(item: ArchiveItem) -> ItemKind:
    try:
        return ItemKind(item.kind)
    except ValueError:
        return ItemKind.OTHER


def _urls(item: ArchiveItem, base_url: str) -> tuple[str, str]:
    base = base_url.rstrip("/")
    return (
        base + reverse("archive:item", args=[item.identifier]),
        base + reverse("archive:iiif-manifest", args=[item.identifier]),
    )


def _add(parent: etree._Element, ns: str, name: str, text: str | None, **attrs: str) -> etree._Element | None:
    if not text or not str(text).strip():
        return None
    el = etree.SubElement(parent, _q(ns, name), {_q(RDF, k): v for k, v in attrs.items()})
    el.text = str(text).strip()
    return el


def to_dc(item: ArchiveItem, *, base_url: str) -> etree._Element:
    root = etree.Element(_q(dublin_core.OAI_DC, "dc"), nsmap=dublin_core.NSMAP)
    root.set(_q(dublin_core.XSI, "schemaLocation"), dublin_core.SCHEMA_LOCATION)
    page, manifest = _urls(item, base_url)
    _add(root, DC, "title", item.title)
    _add(root, DC, "title", item.alternative_title)
    _add(root, DC, "creator", item.creator)
    _add(root, DC, "publisher", item.publisher)
    for subject in item.subjects or []:
        _add(root, DC, "subject", subject)
    _add(root, DC, "description", item.description)
    _add(root, DC, "date", item.date_text)
    _add(root, DC, "date", _years(item))
    _add(root, DC, "type", DCMI_TYPE[_kind(item)])
    _add(root, DC, "format", item.extent)
    _add(root, DC, "identifier", page)
    _add(root, DC, "identifier", manifest)
    _add(root, DC, "source", item.source)
    _add(root, DC, "language", item.language)
    _add(root, DC, "coverage", item.place_name)
    if item.latitude is not None and item.longitude is not None:
        _add(root, DC, "coverage", f"{item.latitude}, {item.longitude}")
    if item.record_id:
        _add(root, DC, "relation", base_url.rstrip("/") + reverse("portal:record", args=[item.record_id]))
    for uri in dict.fromkeys([item.rights_metadata, item.rights_content]):
        _add(root, DC, "rights", uri)
    return root


def to_dcndl(item: ArchiveItem, *, base_url: str) -> etree._Element:
    page, manifest = _urls(item, base_url)
    material = f"{page}#material"
    root = etree.Element(_q(RDF, "RDF"), nsmap=NSMAP)
    admin = etree.SubElement(root, _q(DCNDL, "BibAdminResource"), {_q(RDF, "about"): page})
    etree.SubElement(admin, _q(DCNDL, "record"), {_q(RDF, "resource"): material})
    _add(admin, DCTERMS, "modified", item.updated_at.strftime("%Y-%m-%dT%H:%M:%SZ"))

    bib = etree.SubElement(root, _q(DCNDL, "BibResource"), {_q(RDF, "about"): material})
    etree.SubElement(bib, _q(RDFS, "seeAlso"), {_q(RDF, "resource"): page})
    etree.SubElement(bib, _q(RDFS, "seeAlso"), {_q(RDF, "resource"): manifest})
    _add(bib, DCTERMS, "title", item.title)
    title = etree.SubElement(etree.SubElement(bib, _q(DC, "title")), _q(RDF, "Description"))
    _add(title, RDF, "value", item.title)
    _add(title, DCNDL, "transcription", item.title_reading)
    if item.alternative_title:
        alt = etree.SubElement(etree.SubElement(bib, _q(DCNDL, "alternative")), _q(RDF, "Description"))
        _add(alt, RDF, "value", item.alternative_title)
    if item.creator:
        agent = etree.SubElement(etree.SubElement(bib, _q(DCTERMS, "creator")), _q(FOAF, "Agent"))
        _add(agent, FOAF, "name", item.creator)
        _add(agent, DCNDL, "transcription", item.creator_reading)
        _add(bib, DC, "creator", item.creator)
    if item.publisher:
        agent = etree.SubElement(etree.SubElement(bib, _q(DCTERMS, "publisher")), _q(FOAF, "Agent"))
        _add(agent, FOAF, "name", item.publisher)
    _add(bib, DCTERMS, "date", item.date_text or _years(item))
    _add(bib, DCTERMS, "issued", _years(item), datatype=f"{DCTERMS}W3CDTF")
    _add(bib, DCTERMS, "description", item.description)
    for subject in item.subjects or []:
        described = etree.SubElement(etree.SubElement(bib, _q(DCTERMS, "subject")), _q(RDF, "Description"))
        _add(described, RDF, "value", subject)
    _add(bib, DCTERMS, "language", item.language, datatype=f"{DCTERMS}ISO639-2")
    _add(bib, DCTERMS, "extent", item.extent)
    _add(bib, DCTERMS, "spatial", item.place_name)
    kind = _kind(item)
    etree.SubElement(
        bib,
        _q(DCNDL, "materialType"),
        {
            _q(RDF, "resource"): f"http://purl.org/dc/dcmitype/{DCMI_TYPE[kind]}",
            _q(RDFS, "label"): LABELS_JA[kind],
        },
    )
    for uri in dict.fromkeys([item.rights_metadata, item.rights_content]):
        if uri:
            etree.SubElement(bib, _q(DCTERMS, "rights"), {_q(RDF, "resource"): uri})
    _add(bib, DCTERMS, "source", item.source)
    if item.call_number:
        holding = etree.SubElement(root, _q(DCNDL, "Item"), {_q(RDF, "about"): f"{page}#item"})
        _add(holding, DCNDL, "callNumber", item.call_number)
        etree.SubElement(holding, _q(DCNDL, "record"), {_q(RDF, "resource"): material})
    return root
