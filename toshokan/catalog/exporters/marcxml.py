"""Records → MARC 21 (MARCXML, or ISO 2709 in UTF-8), written with pymarc.

The record is described the way LC and NDL describe Japanese books in MARC 21: the regular 245 and
1XX/7XX carry the romanised form and a linked 880 (MARC 21 Bibliographic, "880 Alternate Graphic
Representation", $6 linkage, script code $1 for CJK) carries the Japanese. Where no romanisation
exists the Japanese goes in the regular field (UTF-8 allows it). ISBD punctuation ends the
subfields as catalogues write them; `importers.marc` strips it again, so an export re-imports to the
same title, creators and identifiers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from lxml import etree
from pymarc import Field, Indicators, Subfield
from pymarc import Record as MarcRecord

from ..domain.enums import CreatorRole, MaterialType
from ..models import Record
from .common import has_japanese, identifiers_of

MARC_NS = "http://www.loc.gov/MARC21/slim"
ORG_CODE = "toshokan"

_LEADER_TYPE = {
    MaterialType.BOOK: "am",
    MaterialType.SERIAL: "as",
    MaterialType.EBOOK: "am",
    MaterialType.MAP: "em",
    MaterialType.SCORE: "cm",
    MaterialType.AUDIO: "im",
    MaterialType.VIDEO: "gm",
    MaterialType.KIT: "om",
    MaterialType.OTHER: "pm",
}
# MARC Code List for Relators: the term goes in $e, the code in $4.
_RELATORS: dict[CreatorRole, tuple[str, str]] = {
    CreatorRole.AUTHOR: ("author", "aut"),
    CreatorRole.TRANSLATOR: ("translator", "trl"),
    CreatorRole.EDITOR: ("editor", "edt"),
    CreatorRole.REVISER: ("reviser", ""),
    CreatorRole.ILLUSTRATOR: ("illustrator", "ill"),
    CreatorRole.COMPOSER: ("composer", "cmp"),
    CreatorRole.CONTRIBUTOR: ("contributor", "ctb"),
    CreatorRole.ORIGINAL_AUTHOR: ("bibliographic antecedent", "ant"),
    CreatorRole.SUPERVISOR: ("supervisor", ""),
    CreatorRole.NARRATOR: ("narrator", "nrt"),
    CreatorRole.OTHER: ("other", "oth"),
}
_SUBJECT_IND2 = {"lcsh": "0", "lcshac": "1", "mesh": "2", "nal": "3", "cash": "5", "rvm": "6"}


def _sf(code: str, value: str) -> Subfield:
    return Subfield(code=code, value=value)


class _Linker:
    """Numbers the 880 pairs of one record (occurrence 01, 02 …)."""

    def __init__(self, record: MarcRecord) -> None:
        self.record = record
        self.count = 0
        self.alternates: list[Field] = []

    def add(
        self, tag: str, ind: tuple[str, str], regular: list[Subfield], vernacular: list[Subfield] | None
    ) -> None:
        if vernacular is None:
            self.record.add_ordered_field(Field(tag=tag, indicators=Indicators(*ind), subfields=regular))
            return
        self.count += 1
        occurrence = f"{self.count:02d}"
        self.record.add_ordered_field(
            Field(tag=tag, indicators=Indicators(*ind), subfields=[_sf("6", f"880-{occurrence}"), *regular])
        )
        self.alternates.append(
            Field(
                tag="880",
                indicators=Indicators(*ind),
                subfields=[_sf("6", f"{tag}-{occurrence}/$1"), *vernacular],
            )
        )

    def finish(self) -> None:
        for field in self.alternates:
            self.record.add_ordered_field(field)
        if self.alternates:
            self.record.add_ordered_field(
                Field(tag="066", indicators=Indicators(" ", " "), subfields=[_sf("c", "$1")])
            )


def _f008(record: Record) -> str:
    entered = record.created_at.strftime("%y%m%d") if record.created_at else "000000"
    dates = f"s{record.year:04d}    " if record.year else "nuuuuuuuu"
    place = "ja " if has_japanese(record.publication_place + record.publisher) else "xx "
    material = [" "] * 17  # 008/18-34
    if record.material_type == MaterialType.EBOOK:
        material[23 - 18] = "o"
    language = (record.language or "und")[:3].ljust(3)
    return f"{entered}{dates}{place}{''.join(material)}{language} d"


def _title_subfields(title: str, subtitle: str, volume: str) -> list[Subfield]:
    subfields = [_sf("a", title + (" :" if subtitle else "."))]
    if subtitle:
        subfields.append(_sf("b", subtitle + "."))
    if volume:
        subfields.append(_sf("n", volume + "."))
    return subfields


def _creator_subfields(name: str, dates: str, role: CreatorRole) -> list[Subfield]:
    term, code = _RELATORS.get(role, ("", ""))
    subfields = [_sf("a", name + ",")]
    if dates:
        subfields.append(_sf("d", dates + ","))
    subfields.append(_sf("e", term + "."))
    if code:
        subfields.append(_sf("4", code))
    return subfields


def to_marc(record: Record, *, org_code: str = ORG_CODE) -> MarcRecord:
    """One catalogue record as a pymarc Record (relations prefetched, as the selectors do)."""
    marc = MarcRecord(force_utf8=True)
    kind = _LEADER_TYPE.get(MaterialType(record.material_type), "am")
    marc.leader = f"00000n{kind} a2200000 i 4500"  # type: ignore[assignment]
    marc.fields.append(Field(tag="001", data=str(record.pk)))
    marc.fields.append(Field(tag="003", data=org_code))
    if record.updated_at:
        marc.fields.append(Field(tag="005", data=record.updated_at.strftime("%Y%m%d%H%M%S.0")))
    if record.material_type == MaterialType.EBOOK:
        marc.fields.append(Field(tag="007", data="cr"))
    marc.fields.append(Field(tag="008", data=_f008(record)))
    linker = _Linker(marc)
    blank = (" ", " ")

    for ident in identifiers_of(record):
        scheme, value, qualifier = ident.scheme, ident.value, ident.qualifier
        if scheme == "isbn":
            subfields = [_sf("a", value)] + ([_sf("q", qualifier)] if qualifier else [])
            linker.add("020", blank, subfields, None)
        elif scheme == "issn":
            linker.add("022", blank, [_sf("a", value)], None)
        elif scheme == "lccn":
            linker.add("010", blank, [_sf("a", value)], None)
        elif scheme == "jpno":
            linker.add("015", blank, [_sf("a", f"JP{value}"), _sf("2", "jnb")], None)
        elif scheme == "ndl":
            linker.add("016", ("7", " "), [_sf("a", value), _sf("2", "JTNDL")], None)
        elif scheme == "oclc":
            linker.add("035", blank, [_sf("a", f"(OCoLC){value}")], None)
        elif scheme == "aozora":
            linker.add("035", blank, [_sf("a", f"(aozora){value}")], None)
    if record.ndc:
        linker.add("084", blank, [_sf("a", record.ndc), _sf("2", "njb/9")], None)

    links = list(record.record_creators.all())
    main_entry = next((link for link in links if link.role == CreatorRole.AUTHOR), None)
    for link in ([main_entry] if main_entry else []) + [link for link in links if link is not main_entry]:
        creator = link.creator
        role = CreatorRole(link.role) if link.role in CreatorRole._value2member_map_ else CreatorRole.OTHER
        tag = "100" if link is main_entry else "700"
        romanized = creator.romanized or creator.romanized_auto
        name_subfields = _creator_subfields(creator.name, creator.dates, role)
        if has_japanese(creator.name) and romanized:
            linker.add(tag, ("1", " "), _creator_subfields(romanized, creator.dates, role), name_subfields)
        else:
            linker.add(tag, ("1", " "), name_subfields, None)

    title_romanized = record.title_romanized or record.title_romanized_auto
    ind = ("1" if main_entry else "0", "0")
    vernacular = _title_subfields(record.title, record.subtitle, record.volume)
    if has_japanese(record.title) and title_romanized:
        linker.add("245", ind, _title_subfields(title_romanized, "", record.volume), vernacular)
    else:
        linker.add("245", ind, vernacular, None)
    if record.edition:
        linker.add("250", blank, [_sf("a", record.edition + ".")], None)
    publication: list[Subfield] = []
    date = record.date_text or (str(record.year) if record.year else "")
    if record.publication_place:
        publication.append(_sf("a", record.publication_place + (" :" if record.publisher else ",")))
    if record.publisher:
        publication.append(_sf("b", record.publisher + ("," if date else ".")))
    if date:
        publication.append(_sf("c", date + "."))
    if publication:
        linker.add("264", (" ", "1"), publication, None)
    if record.extent:
        linker.add("300", blank, [_sf("a", record.extent)], None)
    if record.series:
        title, _, number = record.series.partition(" ; ")
        subfields = [_sf("a", title + (" ;" if number else ""))] + ([_sf("v", number)] if number else [])
        linker.add("490", ("0", " "), subfields, None)
    for note in (n.strip() for n in record.notes.splitlines()):
        if note:
            linker.add("500", blank, [_sf("a", note)], None)
    for subject in record.subjects.all():
        parts = [p.strip() for p in subject.term.split(" -- ") if p.strip()]
        if not parts:
            continue
        if subject.scheme == "keyword":
            linker.add("653", blank, [_sf("a", subject.term)], None)
            continue
        subfields = [_sf("a", parts[0])] + [_sf("x", p) for p in parts[1:]]
        ind2 = _SUBJECT_IND2.get(subject.scheme, "7")
        if ind2 == "7":
            subfields.append(_sf("2", subject.scheme))
        linker.add("650", (" ", ind2), subfields, None)
    if record.etext_url:
        linker.add("856", ("4", "0"), [_sf("u", record.etext_url)], None)
    linker.finish()
    return marc


def marc_element(marc: MarcRecord) -> etree._Element:
    """A pymarc Record as a MARCXML <record> (MARC 21 XML Schema), text kept as UTF-8 characters.

    pymarc's own record_to_xml writes every non-ASCII character as a numeric reference, which
    makes Japanese records three times larger and unreadable in an editor.
    """
    root = etree.Element(f"{{{MARC_NS}}}record", nsmap={None: MARC_NS})  # type: ignore[dict-item]
    etree.SubElement(root, f"{{{MARC_NS}}}leader").text = str(marc.leader)
    for field in marc.fields:
        if field.is_control_field():
            etree.SubElement(root, f"{{{MARC_NS}}}controlfield", tag=field.tag).text = field.data
            continue
        element = etree.SubElement(
            root, f"{{{MARC_NS}}}datafield", tag=field.tag, ind1=field.indicator1, ind2=field.indicator2
        )
        for sf in field.subfields:
            etree.SubElement(element, f"{{{MARC_NS}}}subfield", code=sf.code).text = sf.value
    return root


def record_xml(record: Record) -> bytes:
    """One record as a MARCXML document (a lone <record>)."""
    return etree.tostring(marc_element(to_marc(record)), xml_declaration=True, encoding="UTF-8") + b"\n"


def collection_xml(records: Iterable[Record]) -> Iterator[bytes]:
    """A MARCXML <collection>, written a record at a time."""
    yield b'<?xml version="1.0" encoding="UTF-8"?>\n<collection xmlns="' + MARC_NS.encode() + b'">\n'
    for record in records:
        # Serialised alone each record repeats the default namespace declaration, which is harmless.
        yield etree.tostring(marc_element(to_marc(record)), encoding="UTF-8") + b"\n"
    yield b"</collection>\n"


def iso2709(records: Iterable[Record]) -> Iterator[bytes]:
    """ISO 2709 transmission format in UTF-8 (leader/09 = a), one record after another."""
    for record in records:
        yield to_marc(record).as_marc()
