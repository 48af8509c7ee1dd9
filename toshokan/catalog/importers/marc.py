"""MARC 21 bibliographic records (ISO 2709 in MARC-8 or UTF-8, and MARCXML) → BibRecords.

Reading goes through pymarc (`Record`, `Field`, its MARC-8 tables); what it does not do, or does
too slowly for a bulk import, is written here:

* **One-pass decoding.** A well-formed record is decoded field by field straight from the ISO 2709
  bytes into Unicode (`_parse_iso2709`), a whole field at a time when it is ASCII or UTF-8;
  pymarc, which builds every record twice (bytes, then text), handles the rest, so its answers
  for odd records stay as they were. The framing (the five-digit length, the end-of-record mark)
  is checked as pymarc's MARCReader checks it.

* **Resynchronising after a broken record.** pymarc trusts the five-digit record length, so one
  wrong length throws every later record off. After a framing error (length not numeric, no
  end-of-record mark where the length says, file ends inside a record) reading resumes after the
  next end-of-record mark (0x1D, MARC 21 Specifications, "Record structure"), so one bad record
  costs one record.
* **Strict MARC-8.** pymarc turns characters it cannot map into spaces and only says so on
  stderr; `_marc8_error` walks the same escape sequences and code tables (pymarc's
  `marc8_mapping`) and reports the first byte that is not MARC-8, so a record in a legacy code
  page or with broken EACC bytes is reported instead of stored as garbage.
* **UTF-8 with leader/09 blank.** Text that is valid UTF-8 and has no MARC-8 escapes is read as
  UTF-8 (a MARC-8 diacritic byte is never followed by a UTF-8 continuation byte in real data).
* **MARCXML streaming.** lxml `iterparse` with entity resolution, DTD loading and network access
  off; a document whose DOCTYPE declares entities is refused whole.

Field mapping (docs/import-export.md has the full table): 245 $a $b $n $p → title, subtitle,
volume; an 880 linked through $6 gives the vernacular (Japanese) form and the regular field's
romanised form is kept in `title_romanized` / `CreatorEntry.romanized`; 100/110/111/700/710/711
with $e/$4 (111/711 $j) → creators; 250; 260/264; 300; 020/022/010/035/001/015/016; 084 with
$2 njb/ndc → NDC; 600-651 with the scheme from the 2nd indicator or $2; 490/830; 5XX; 008/35-37
(else 041); leader/06-07 → material type.
"""

from __future__ import annotations

import hashlib
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import IO

from lxml import etree
from pymarc import Record as MarcRecord
from pymarc.exceptions import (
    BaseAddressInvalid,
    BaseAddressNotFound,
    EndOfRecordNotFound,
    NoFieldsFound,
    RecordDirectoryInvalid,
    RecordLeaderInvalid,
    RecordLengthInvalid,
    TruncatedRecord,
)
from pymarc.field import Field, Indicators, Subfield
from pymarc.marc8 import marc8_to_unicode
from pymarc.marc8_mapping import CODESETS, ODD_MAP

from ..domain.dates import parse_year
from ..domain.enums import ROLE_WORDS, CreatorRole, IdentifierScheme, MaterialType
from ..domain.records import BibRecord, CreatorEntry, IdentifierEntry, ImportProblem, SubjectEntry

MARC_NS = "http://www.loc.gov/MARC21/slim"
END_OF_RECORD = 0x1D
END_OF_FIELD = 0x1E
SUBFIELD_DELIMITER = 0x1F
_FILLER = b" \t\r\n\x00\x1a"  # bytes some files put between records (newlines, DOS end-of-file)

# Relator terms and codes seen in MARC records besides those in ROLE_WORDS (MARC Code List for
# Relators, and the abbreviations of AACR2 $e).
_MARC_ROLE_WORDS: dict[str, CreatorRole] = {
    "joint author": CreatorRole.AUTHOR,
    "creator": CreatorRole.AUTHOR,
    "cre": CreatorRole.AUTHOR,
    "writer": CreatorRole.AUTHOR,
    "ed": CreatorRole.EDITOR,
    "eds": CreatorRole.EDITOR,
    "compiler": CreatorRole.EDITOR,
    "comp": CreatorRole.EDITOR,
    "com": CreatorRole.EDITOR,
    "editor of compilation": CreatorRole.EDITOR,
    "edc": CreatorRole.EDITOR,
    "tr": CreatorRole.TRANSLATOR,
    "trans": CreatorRole.TRANSLATOR,
    "illus": CreatorRole.ILLUSTRATOR,
    "ills": CreatorRole.ILLUSTRATOR,
    "artist": CreatorRole.ILLUSTRATOR,
    "art": CreatorRole.ILLUSTRATOR,
    "composer (expression)": CreatorRole.COMPOSER,
    "narr": CreatorRole.NARRATOR,
    "reader": CreatorRole.NARRATOR,
    "author of introduction": CreatorRole.CONTRIBUTOR,
    "aui": CreatorRole.CONTRIBUTOR,
    "writer of introduction": CreatorRole.CONTRIBUTOR,
    "win": CreatorRole.CONTRIBUTOR,
    "author of afterword, colophon, etc": CreatorRole.CONTRIBUTOR,
    "aft": CreatorRole.CONTRIBUTOR,
    "supervisor": CreatorRole.SUPERVISOR,
    "rev": CreatorRole.REVISER,
    "reviser": CreatorRole.REVISER,
    "adp": CreatorRole.ORIGINAL_AUTHOR,
    "adapter": CreatorRole.ORIGINAL_AUTHOR,
    "ant": CreatorRole.ORIGINAL_AUTHOR,
    "bibliographic antecedent": CreatorRole.ORIGINAL_AUTHOR,
}

# Subject thesaurus from the second indicator of 6XX (MARC 21 Bibliographic, 650).
_SUBJECT_SCHEMES = {
    "0": "lcsh",
    "1": "lcshac",
    "2": "mesh",
    "3": "nal",
    "4": "keyword",
    "5": "cash",
    "6": "rvm",
}
_SUBJECT_TAGS = ("600", "610", "611", "630", "648", "650", "651")
_SUBDIVISION_CODES = "vxyz"
_CREATOR_TAGS = ("100", "110", "111", "700", "710", "711")
_LINKAGE = re.compile(r"^(\d{3})-(\d{2})")
_OCLC = re.compile(r"^\(OCoLC\)\s*(?:ocm|ocn|on)?\s*0*(\d+)", re.IGNORECASE)
_AOZORA = re.compile(r"^\(aozora\)\s*(\d{1,6})$", re.IGNORECASE)
_NCR = re.compile(r"&#x([0-9A-Fa-f]{2,6});")
_C0_CONTROLS = re.compile(rb"[\x00-\x1f]")
_C0_BUT_US = re.compile(rb"[\x00-\x1e]")  # C0 controls other than the subfield delimiter
# An initial of an alphabet (not a kanji or a digit) or a common abbreviation keeps its period.
_INITIAL = re.compile(r"(?:^|[\s.])(?:[A-Za-z\u00c0-\u024f\u0370-\u052f]|etc|Co|Inc|Ltd|Jr|Sr|Bros|St)\.$")


# ---------------------------------------------------------------------------------------------
# Text helpers


def _trim(text: str) -> str:
    """Drop the ISBD punctuation that ends a subfield (" /", " :", ",", a final period).

    A period after an initial or a common abbreviation stays ("Smith, J.", "etc.").
    """
    text = text.strip()
    while text and text[-1] in "/:;,=":
        text = text[:-1].rstrip()
    if text.endswith(".") and not text.endswith("...") and not _INITIAL.search(text):
        text = text[:-1].rstrip()
    return text


def _subfields(field: Field, codes: str) -> list[str]:
    return [sf.value.strip() for sf in field.subfields if sf.code in codes and sf.value and sf.value.strip()]


def _joined(field: Field | None, codes: str, sep: str = " ") -> str:
    if field is None:
        return ""
    return _trim(sep.join(_subfields(field, codes)))


def _first(field: Field | None, code: str) -> str:
    if field is None:
        return ""
    values = _subfields(field, code)
    return values[0] if values else ""


def _field_text(field: Field) -> str:
    """A note's text: every subfield except linkage and control subfields."""
    return " ".join(sf.value.strip() for sf in field.subfields if sf.code not in "68035" and sf.value).strip()


# ---------------------------------------------------------------------------------------------
# The mapping


class _Fields:
    """The record's fields with each regular field's linked 880 (alternate graphic representation)."""

    def __init__(self, record: MarcRecord) -> None:
        self.record = record
        self.by_tag: dict[str, list[Field]] = {}
        for f in record.fields:
            self.by_tag.setdefault(f.tag, []).append(f)
        self.linked: dict[tuple[str, str], Field] = {}
        self.unlinked: dict[str, list[Field]] = {}
        for f in self.by_tag.get("880", ()):
            match = _LINKAGE.match(_first(f, "6"))
            if match is None:
                continue  # 880 without $6 (some records use $7): nothing ties it to a field
            tag, occurrence = match.groups()
            if occurrence == "00":
                self.unlinked.setdefault(tag, []).append(f)
            else:
                self.linked[(tag, occurrence)] = f

    def get(self, *tags: str) -> list[Field]:
        """The fields with these tags, in record order."""
        if len(tags) == 1:
            return self.by_tag.get(tags[0], [])
        if sum(tag in self.by_tag for tag in tags) <= 1:
            return next((self.by_tag[tag] for tag in tags if tag in self.by_tag), [])
        wanted = set(tags)
        return [f for f in self.record.fields if f.tag in wanted]

    def vernacular(self, field: Field) -> Field | None:
        match = _LINKAGE.match(_first(field, "6"))
        if match is None or match.group(1) != "880":
            return None
        return self.linked.get((field.tag, match.group(2)))

    def preferred(self, field: Field) -> tuple[Field, Field | None]:
        """(the field to read, the romanised field when the first is its vernacular 880)."""
        vern = self.vernacular(field)
        return (vern, field) if vern is not None else (field, None)


def _role(field: Field) -> CreatorRole | None:
    codes = "j4" if field.tag in ("111", "711") else "e4"
    for raw in _subfields(field, codes):
        for part in re.split(r"[,;]| and ", raw):
            word = part.strip().strip(".,;:() ").lower()
            if word.startswith("http"):
                word = word.rstrip("/").rsplit("/", 1)[-1]
            role = ROLE_WORDS.get(word) or _MARC_ROLE_WORDS.get(word)
            if role is not None:
                return role
            if word:
                return CreatorRole.OTHER
    return None


def _name(field: Field) -> str:
    if field.tag in ("110", "710"):
        return _trim(". ".join(_trim(v) for v in _subfields(field, "ab")))
    if field.tag in ("111", "711"):
        return _joined(field, "aq")
    return _joined(field, "abc")


def _creators(fields: _Fields) -> list[CreatorEntry]:
    out: list[CreatorEntry] = []
    for field in fields.get(*_CREATOR_TAGS):
        main, romanised = fields.preferred(field)
        name = _name(main)
        if not name:
            continue
        role = _role(field) or _role(main)
        if role is None:
            role = CreatorRole.AUTHOR if field.tag.startswith("1") else CreatorRole.CONTRIBUTOR
        dates = _joined(main, "d") or _joined(field, "d")
        as_given = " ".join(_subfields(main, "abcdq")).strip()
        out.append(
            CreatorEntry(
                name=name,
                role=role,
                romanized=_name(romanised) if romanised is not None else "",
                dates=dates,
                name_as_given=as_given if as_given != name else "",
            )
        )
    # 880s that stand alone (occurrence 00) for a creator tag the record does not otherwise have
    for tag in _CREATOR_TAGS:
        if not fields.get(tag):
            for f in fields.unlinked.get(tag, []):
                name = _joined(f, "abc") if tag[1] == "0" else _name(Field(tag=tag, subfields=f.subfields))
                if name:
                    role = _role(f) or (
                        CreatorRole.AUTHOR if tag.startswith("1") else CreatorRole.CONTRIBUTOR
                    )
                    out.append(CreatorEntry(name=name, role=role, dates=_joined(f, "d")))
    return out


def _title(fields: _Fields) -> tuple[str, str, str, str, list[str]]:
    """(title, subtitle, volume, romanised title, warnings)."""
    warnings: list[str] = []
    f245 = next(iter(fields.get("245")), None)
    if f245 is None and fields.unlinked.get("245"):
        f245 = fields.unlinked["245"][0]
    if f245 is not None:
        main, romanised = fields.preferred(f245)
        title = _joined(main, "a") or _joined(main, "k")
        subtitle = _joined(main, "b")
        volume = _joined(main, "np")
        roman = (_joined(romanised, "a") or _joined(romanised, "k")) if romanised is not None else ""
        if title:
            return title, subtitle, volume, roman, warnings
        if subtitle:
            return subtitle, "", volume, roman, warnings
    # No usable 245: fall back on another title field, and say so.
    for tag, codes in (("246", "a"), ("240", "a"), ("130", "a"), ("740", "a")):
        for f in fields.get(tag):
            main, romanised = fields.preferred(f)
            title = _joined(main, codes)
            if title:
                warnings.append(f"no title in 245; title taken from {tag}")
                roman = _joined(romanised, codes) if romanised is not None else ""
                return title, "", _joined(main, "np"), roman, warnings
    return "", "", "", "", warnings


def _publication(fields: _Fields) -> tuple[str, str, str]:
    """(place, publisher, date as given) from 264 _1 (publication), else 260, else another 264."""
    candidates = [f for f in fields.get("264") if f.indicator2 == "1"] + fields.get("260") + fields.get("264")
    if not candidates:
        candidates = fields.unlinked.get("264", []) + fields.unlinked.get("260", [])
    place = publisher = date = ""
    for field in candidates:
        main, _ = fields.preferred(field)
        place = place or _trim(_first(main, "a"))
        publisher = publisher or _trim(_first(main, "b"))
        date = date or _trim(_first(main, "c"))
        if place and publisher and date:
            break
    if not date:
        for field in fields.get("264"):
            if field.indicator2 == "4":
                date = _trim(_first(field, "c"))
                break
    return place, publisher, date


def _year(date_text: str, f008: str) -> int | None:
    year = parse_year(date_text)
    if year is None and len(f008) >= 11 and f008[7:11].isdigit() and f008[7:11] != "9999":
        year = int(f008[7:11])
    return year


def _language(fields: _Fields, f008: str) -> str:
    code = f008[35:38] if len(f008) >= 38 else ""
    if re.fullmatch(r"[a-z]{3}", code):
        return code
    for f in fields.get("041"):
        value = _first(f, "a").lower()
        if re.fullmatch(r"[a-z]{3}.*", value):
            return value[:3]
    return "und"


def _material_type(record: MarcRecord, f008: str) -> MaterialType:
    leader = str(record.leader)
    kind, level = leader[6:7], leader[7:8]
    if kind in ("a", "t"):
        if level in ("s", "i", "b"):
            return MaterialType.SERIAL
        online = len(f008) > 23 and f008[23] in ("o", "s")
        if online or any(str(f.data).startswith("cr") for f in record.get_fields("007")):
            return MaterialType.EBOOK
        return MaterialType.BOOK
    return {
        "e": MaterialType.MAP,
        "f": MaterialType.MAP,
        "c": MaterialType.SCORE,
        "d": MaterialType.SCORE,
        "i": MaterialType.AUDIO,
        "j": MaterialType.AUDIO,
        "g": MaterialType.VIDEO,
        "o": MaterialType.KIT,
    }.get(kind, MaterialType.OTHER)


def _identifiers(fields: _Fields, notes: list[str]) -> list[IdentifierEntry]:
    out: list[IdentifierEntry] = []
    for f in fields.get("020"):
        for value in _subfields(f, "a"):
            number, _, rest = value.partition(" ")
            qualifier = rest.strip(" ():;,") or " ".join(_subfields(f, "q")).strip(" ():;,")
            out.append(IdentifierEntry(IdentifierScheme.ISBN, number, qualifier))
        for value in _subfields(f, "z"):
            notes.append(f"ISBN (取消・無効 / cancelled or invalid): {value}")
    for f in fields.get("022"):
        out.extend(IdentifierEntry(IdentifierScheme.ISSN, v) for v in _subfields(f, "a"))
    for f in fields.get("010"):
        out.extend(IdentifierEntry(IdentifierScheme.LCCN, v.strip()) for v in _subfields(f, "a"))
    for f in fields.get("035"):
        for value in _subfields(f, "a"):
            if m := _OCLC.match(value):
                out.append(IdentifierEntry(IdentifierScheme.OCLC, m.group(1)))
            elif m := _AOZORA.match(value):
                out.append(IdentifierEntry(IdentifierScheme.AOZORA, m.group(1)))
    for f in fields.get("015"):
        source = _first(f, "2").lower()
        if source in ("jnb", "jpno", "jp"):
            out.extend(IdentifierEntry(IdentifierScheme.JPNO, v) for v in _subfields(f, "a"))
    for f in fields.get("016"):
        if _first(f, "2").upper() in ("JTNDL", "NDL"):
            out.extend(IdentifierEntry(IdentifierScheme.NDL, v) for v in _subfields(f, "a"))
    control = fields.get("001")
    if control and str(control[0].data).strip():
        out.append(IdentifierEntry(IdentifierScheme.LOCAL, str(control[0].data).strip()[:64]))
    return out


def _ndc(fields: _Fields) -> str:
    found: dict[str, str] = {}
    for f in fields.get("084"):
        scheme = _first(f, "2").lower().replace(" ", "")
        if scheme.startswith(("njb", "ndc")):
            value = _trim(_first(f, "a"))
            if value:
                found.setdefault(scheme, value)
    for preferred in ("njb/9", "ndc9", "njb/10", "ndc10", "njb/8", "ndc8"):
        if preferred in found:
            return found[preferred]
    return next(iter(found.values()), "")


def _subject_term(field: Field) -> str:
    head: list[str] = []
    subdivisions: list[str] = []
    for sf in field.subfields:
        value = sf.value.strip() if sf.value else ""
        if not value:
            continue
        if sf.code in _SUBDIVISION_CODES:
            subdivisions.append(_trim(value))
        elif sf.code in "abcdqtnp" or (field.tag == "651" and sf.code == "g"):
            head.append(value)
    parts = [_trim(" ".join(head)), *subdivisions]
    return " -- ".join(p for p in parts if p)


def _subjects(fields: _Fields) -> list[SubjectEntry]:
    out: list[SubjectEntry] = []
    seen: set[tuple[str, str]] = set()
    for field in fields.get(*_SUBJECT_TAGS):
        main, _ = fields.preferred(field)
        scheme = _SUBJECT_SCHEMES.get(field.indicator2, "")
        if field.indicator2 == "7" or not scheme:
            scheme = _first(field, "2").lower().rstrip(".") or "keyword"
        term = _subject_term(main)
        if term and (scheme, term) not in seen:
            seen.add((scheme, term))
            out.append(SubjectEntry(term=term, scheme=scheme))
    for field in fields.get("653"):
        for value in _subfields(field, "a"):
            if ("keyword", value) not in seen:
                seen.add(("keyword", value))
                out.append(SubjectEntry(term=_trim(value), scheme="keyword"))
    return out


def _series(fields: _Fields) -> str:
    for tags in (("490",), ("830", "440", "800", "810", "811")):
        for field in fields.get(*tags):
            main, _ = fields.preferred(field)
            title = _joined(main, "atnp")
            if title:
                number = _joined(main, "v")
                return f"{title} ; {number}" if number else title
    return ""


def _notes(fields: _Fields) -> list[str]:
    notes: list[str] = []
    for field in fields.record.fields:
        # 59X are local notes (MARC 21: "59X Local Notes"): a source library's own housekeeping
        if field.tag.startswith("5") and not field.tag.startswith("59") and not field.is_control_field():
            main, _ = fields.preferred(field)
            text = _field_text(main)
            if text:
                notes.append(text)
    return notes


def _etext_url(fields: _Fields) -> str:
    for field in fields.get("856"):
        if field.indicator2 in ("0", "1"):
            url = _first(field, "u")
            if url.startswith(("http://", "https://")):
                return url[:500]
    return ""


def content_key(record: MarcRecord) -> str:
    """A key for a record without 001: a hash of its leader and fields, 001/003/005 excepted.

    Made from the decoded text, so the same record read from ISO 2709 or from MARCXML gets the same
    key, and a second import of the same file matches the first.
    """
    digest = hashlib.sha1(usedforsecurity=False)
    digest.update(str(record.leader)[5:12].encode())
    for field in record.fields:
        if field.tag in ("001", "003", "005"):
            continue
        if field.is_control_field():
            digest.update(f"{field.tag}={field.data}\n".encode())
        else:
            subs = "".join(f"${sf.code}{sf.value}" for sf in field.subfields)
            digest.update(f"{field.tag}{field.indicator1}{field.indicator2}{subs}\n".encode())
    return "sha1:" + digest.hexdigest()


def source_key(record: MarcRecord) -> str:
    """001 with its 003 agency ("DLC:2008543486"); a content hash for records without 001."""
    control = record.get_fields("001")
    number = str(control[0].data).strip() if control else ""
    if not number:
        return content_key(record)
    agency_fields = record.get_fields("003")
    agency = str(agency_fields[0].data).strip() if agency_fields else ""
    return f"{agency}:{number}"[:255] if agency else number[:255]


def to_bib(
    record: MarcRecord,
    *,
    provenance: str = "",
    position: int = 0,
    offset: int | None = None,
    warnings: Iterable[str] = (),
) -> BibRecord | ImportProblem:
    """One pymarc Record as a BibRecord; an ImportProblem when it has no title at all."""
    fields = _Fields(record)
    key = source_key(record)
    control_008 = record.get_fields("008")
    f008 = str(control_008[0].data) if control_008 else ""
    title, subtitle, volume, title_romanized, title_warnings = _title(fields)
    if not title:
        return ImportProblem(
            position=position,
            reason="no title: the record has no 245 $a/$k and no 246, 240, 130 or 740 to fall back on",
            source_key=key,
            offset=offset,
        )
    place, publisher, date_text = _publication(fields)
    notes: list[str] = []
    identifiers = _identifiers(fields, notes)
    notes.extend(_notes(fields))
    f250 = next(iter(fields.get("250")), None)
    edition = _joined(fields.preferred(f250)[0], "ab") if f250 is not None else ""
    f300 = next(iter(fields.get("300")), None)
    extent = " ".join(_subfields(fields.preferred(f300)[0], "abce")) if f300 is not None else ""
    extra: dict[str, object] = {}
    f245 = next(iter(fields.get("245")), None)
    if f245 is not None:
        responsibility = _joined(fields.preferred(f245)[0], "c")
        if responsibility:
            extra["responsibility"] = responsibility
    for tag, name in (("082", "ddc"), ("050", "lcc")):
        f = next(iter(fields.get(tag)), None)
        if f is not None and _first(f, "a"):
            extra[name] = " ".join(_subfields(f, "ab"))
    all_warnings = [*warnings, *title_warnings]
    if all_warnings:
        extra["import_warnings"] = all_warnings
    extra["leader"] = str(record.leader)
    return BibRecord(
        source="marc",
        source_key=key,
        title=title,
        title_romanized=title_romanized,
        subtitle=subtitle,
        volume=volume,
        series=_series(fields),
        creators=_creators(fields),
        publisher=publisher,
        publication_place=place,
        year=_year(date_text, f008),
        date_text=date_text,
        edition=edition,
        extent=extent.strip(),
        ndc=_ndc(fields),
        subjects=_subjects(fields),
        language=_language(fields, f008),
        material_type=_material_type(record, f008),
        notes=notes,
        identifiers=identifiers,
        etext_url=_etext_url(fields),
        extra=extra,
        provenance=provenance,
    )


# ---------------------------------------------------------------------------------------------
# Character sets


def _marc8_error(data: bytes) -> str | None:
    """Why `data` (one subfield's bytes) is not MARC-8, or None when pymarc decodes all of it.

    The walk follows pymarc's MARC8ToUnicode.translate: escape sequences choose the G0/G1 sets
    (MARC 21 Specifications, "Character sets"), multibyte EACC takes three bytes per character.
    """
    g0, g1 = 0x42, 0x45
    pos = 0
    while pos < len(data):
        byte = data[pos]
        if byte == 0x1B:
            nxt = data[pos + 1 : pos + 2]
            if nxt in (b"(", b",", b"$"):
                if len(data) < pos + 3:
                    return f"escape sequence cut short at byte {pos}"
                if nxt == b"$" and data[pos + 2 : pos + 3] == b",":
                    pos += 1
                g0 = data[pos + 2]
                pos += 3
                continue
            if nxt in (b")", b"-"):
                g1 = data[pos + 2] if len(data) > pos + 2 else g1
                pos += 3
                continue
            if nxt and (data[pos + 1] in CODESETS or data[pos + 1] == 0x73):
                g0 = 0x42 if data[pos + 1] == 0x73 else data[pos + 1]
                pos += 2
                continue
            return f"unknown escape sequence 0x1b 0x{data[pos + 1 : pos + 2].hex() or '??'} at byte {pos}"
        if g0 == 0x31:  # EACC (CJK), three bytes a character
            if len(data) < pos + 3:
                return f"EACC character cut short at byte {pos}"
            code = int.from_bytes(data[pos : pos + 3], "big")
            if (
                code not in CODESETS.get(g0, {})
                and code not in ODD_MAP
                and not (code < 0x20 or 0x80 < code < 0xA0)
            ):
                return f"bytes 0x{data[pos : pos + 3].hex()} at byte {pos} are not an EACC character"
            pos += 3
            continue
        pos += 1
        if byte <= 0x20 or 0x80 < byte < 0xA0:
            continue  # controls are dropped; the space is common to every set
        table = CODESETS.get(g1 if byte > 0x80 else g0, {})
        if byte not in table and byte not in ODD_MAP:
            return f"byte 0x{byte:02x} at byte {pos - 1} is not a MARC-8 character"
    return None


def _data_area(chunk: bytes) -> bytes:
    try:
        return chunk[int(chunk[12:17]) :]
    except ValueError:
        return chunk[24:]


class _EncodingError(ValueError):
    def __init__(self, tag: str, detail: str) -> None:
        super().__init__(f"field {tag}: {detail}")


def _unescape_ncr(text: str) -> str:
    """MARC-8 writes characters it lacks as &#xXXXX; (MARC 21 Specifications, "Lossless conversion")."""
    return _NCR.sub(lambda m: chr(int(m.group(1), 16)), text) if "&#x" in text else text


def _default_sets_table() -> list[tuple[str, bool] | None]:
    """Each byte in MARC-8's default sets (G0 basic Latin, G1 ANSEL) as (text, combining mark?);
    "" for the controls pymarc drops, None for bytes left to pymarc (escapes, gaps, 0x7F, 0x80)."""
    table: list[tuple[str, bool] | None] = [None] * 256
    for byte in range(256):
        if (byte < 0x20 and byte != 0x1B) or 0x80 < byte < 0xA0:
            table[byte] = ("", False)
            continue
        entry = CODESETS[0x45 if byte > 0x80 else 0x42].get(byte) if byte != 0x1B else None
        if entry is not None and byte != 0x80:
            table[byte] = (chr(entry[0]), bool(entry[1]))
    return table


_DEFAULT_SETS = _default_sets_table()


def _ansel(value: bytes) -> str | None:
    """MARC-8 text that stays in the default sets, translated as pymarc's MARC8ToUnicode does it
    (a combining mark, written before its letter in MARC-8, goes after it; NFC at the end); None
    when `value` needs more than that (escape sequences, EACC, bytes no set has)."""
    out: list[str] = []
    marks: list[str] = []
    for byte in value:
        entry = _DEFAULT_SETS[byte]
        if entry is None:
            return None
        char, combining = entry
        if combining:
            marks.append(char)
        elif char:
            out.append(char)
            if marks:
                out.extend(marks)
                marks = []
    return unicodedata.normalize("NFC", "".join(out))


def _marc8(tag: str, value: bytes) -> str:
    # Most MARC-8 text is plain ASCII, for which MARC-8 and ASCII agree, and most of the rest is
    # Latin with ANSEL diacritics; pymarc's general translation, escape sequences and all, is by
    # far the slowest step of reading a MARC-8 file, so it is kept for what these two do not cover.
    if value.isascii() and not _C0_CONTROLS.search(value):
        return _unescape_ncr(value.decode("ascii"))
    text = _ansel(value)
    if text is not None:
        return _unescape_ncr(text)
    error = _marc8_error(value)
    if error:
        raise _EncodingError(tag, error)
    return _unescape_ncr(marc8_to_unicode(value, hide_utf8_warnings=True))


def _utf8(tag: str, value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _EncodingError(tag, f"byte 0x{value[exc.start]:02x} is not valid UTF-8") from None


def decode_record(raw: MarcRecord, *, utf8: bool) -> MarcRecord:
    """A record read with `to_unicode=False` (bytes values), decoded strictly as UTF-8 or MARC-8.

    Raises _EncodingError naming the first field that is not valid in that character set.
    """
    decode = _utf8 if utf8 else _marc8
    record = MarcRecord(leader=str(raw.leader), force_utf8=True)
    fields: list[Field] = []
    for field in raw.fields:
        if field.is_control_field():
            data = field.data
            if isinstance(data, bytes):
                data = _utf8(field.tag, data) if utf8 else data.decode("iso8859-1")
            fields.append(Field(tag=field.tag, data=data))
            continue
        subfields = [
            Subfield(sf.code, decode(field.tag, sf.value) if isinstance(sf.value, bytes) else sf.value)
            for sf in field.subfields
        ]
        fields.append(Field(tag=field.tag, indicators=field.indicators, subfields=subfields))
    record.fields = fields
    return record


def _slot_field(
    tag: str, indicators: Indicators | None, subfields: list[Subfield], data: str | None
) -> Field:
    # What Field.__init__ stores, without its checks of arguments that are already right here (it
    # costs as much as the rest of decoding a field). `_FIELD_FACTORY` falls back on the
    # constructor should a pymarc release store fields differently.
    field = object.__new__(Field)
    field.tag = tag
    field._indicators = indicators
    field.subfields = subfields
    field.data = data
    field.control_field = indicators is None
    return field


def _constructed_field(
    tag: str, indicators: Indicators | None, subfields: list[Subfield], data: str | None
) -> Field:
    if indicators is None:
        return Field(tag=tag, data=data)
    return Field(tag=tag, indicators=indicators, subfields=subfields)


def _same_fields(make: Callable[[str, Indicators | None, list[Subfield], str | None], Field]) -> bool:
    samples = [("001", None, [], "x1"), ("245", Indicators("1", "0"), [Subfield("a", "T")], None)]
    for sample in samples:
        one, two = make(*sample), _constructed_field(*sample)
        if any(getattr(one, slot, None) != getattr(two, slot, None) for slot in Field.__slots__) or (
            one.is_control_field(),
            str(one),
            one.value(),
        ) != (two.is_control_field(), str(two), two.value()):
            return False
    return True


_FIELD_FACTORY = _slot_field if _same_fields(_slot_field) else _constructed_field
_new_subfield = partial(tuple.__new__, Subfield)  # a namedtuple without its generated __new__


def _parse_iso2709(chunk: bytes, *, utf8: bool) -> MarcRecord | None:
    """A well-formed ISO 2709 record decoded in one pass; None for anything out of the ordinary.

    pymarc builds a record of byte strings and `decode_record` builds it again in Unicode, field by
    field and subfield by subfield: two thirds of the reader's time. Here each field is decoded
    once, whole when it is plain ASCII (most MARC-8 text) or UTF-8, and split into subfields after.
    A record this does not take as it is (a malformed leader or directory, one or three
    indicators, a subfield code that is not ASCII, an encoding error) gives None, and the caller
    reads it through pymarc and `decode_record`, whose answers (problems, warnings) therefore stay
    the same.
    """
    try:
        base = int(chunk[12:17])
        if base <= 24 or base >= len(chunk) or (base - 25) % 12:
            return None
        directory = chunk[24 : base - 1].decode("ascii")
        leader = chunk[:24].decode("ascii")
    except (ValueError, UnicodeDecodeError):
        return None
    make_field = _FIELD_FACTORY
    new_subfield = _new_subfield
    fields: list[Field] = []
    for entry in range(0, len(directory), 12):
        tag = directory[entry : entry + 3]
        try:
            length = int(directory[entry + 3 : entry + 7])
            start = base + int(directory[entry + 7 : entry + 12])
        except ValueError:
            return None
        data = chunk[start : start + length - 1]
        if tag < "010" and tag.isdigit():
            if utf8:
                try:
                    text = data.decode("utf-8")
                except UnicodeDecodeError:
                    return None
            else:
                text = data.decode("iso8859-1")
            fields.append(make_field(tag, None, [], text))
            continue
        subfields: list[Subfield] = []
        if utf8 or (data.isascii() and not _C0_BUT_US.search(data)):
            try:
                parts = data.decode("utf-8").split("\x1f")  # ASCII is UTF-8
            except UnicodeDecodeError:
                return None
            indicators = parts[0]
            ncr = not utf8 and b"&#x" in data  # MARC-8's numeric character references
            for part in parts[1:]:
                if part:
                    if not part[0].isascii():
                        return None
                    subfields.append(new_subfield((part[0], _unescape_ncr(part[1:]) if ncr else part[1:])))
        else:
            # MARC-8 beyond ASCII: subfield by subfield, as decode_record does
            raw = data.split(b"\x1f")
            indicators = raw[0].decode("ascii", "replace")
            for value in raw[1:]:
                if value:
                    if value[0] >= 0x80:
                        return None
                    try:
                        subfields.append(new_subfield((chr(value[0]), _marc8(tag, value[1:]))))
                    except _EncodingError:
                        return None
        if len(indicators) != 2 or not indicators.isascii():
            return None
        fields.append(make_field(tag, Indicators(indicators[0], indicators[1]), subfields, None))
    if not fields:
        return None
    record = MarcRecord(leader=leader, force_utf8=True)
    record.fields = fields
    return record


def _raw_source_key(raw: MarcRecord) -> str:
    def control(tag: str) -> str:
        found = raw.get_fields(tag)
        data = found[0].data if found else b""
        return (data.decode("latin-1") if isinstance(data, bytes) else str(data)).strip()

    number, agency = control("001"), control("003")
    return f"{agency}:{number}" if agency and number else number


# ---------------------------------------------------------------------------------------------
# ISO 2709


def _reason(exc: BaseException | None, chunk: bytes) -> str:
    declared = chunk[:5].decode("ascii", "replace")
    match exc:
        case RecordLengthInvalid():
            return f"not a record: the first five bytes {declared!r} are not a record length"
        case EndOfRecordNotFound():
            return f"record length in the leader ({declared}) does not match the record: no end-of-record mark there"
        case TruncatedRecord():
            return f"the file ends inside this record (the leader says {declared} bytes, {len(chunk)} remain)"
        case RecordLeaderInvalid():
            return "the leader is not 24 characters"
        case BaseAddressNotFound():
            return "the leader's base address of data (leader/12-16) is zero"
        case BaseAddressInvalid():
            return "the leader's base address of data (leader/12-16) points past the end of the record"
        case RecordDirectoryInvalid():
            return "the directory is not a whole number of 12-byte entries"
        case NoFieldsFound():
            return "the record has no fields"
        case UnicodeDecodeError():
            return "the leader or directory holds bytes that are not ASCII"
        case ValueError():
            return f"the directory is malformed ({exc})"
        case None:
            return "unreadable record"
        case _:
            return f"unreadable record ({type(exc).__name__}: {exc})"


def _skip_filler(fh: IO[bytes]) -> int | None:
    """Offset of the next record, past newlines and padding between records; None at the end."""
    while True:
        pos = fh.tell()
        byte = fh.read(1)
        if not byte:
            return None
        if byte not in _FILLER:
            fh.seek(pos)
            return pos


# A MARC 21 leader: record length, status, type, level, control, coding scheme, then the fixed
# indicator and subfield-code counts "22" and the base address (MARC 21 Specifications, "Leader").
_LEADER = re.compile(rb"\d{5}[a-z ][a-z][a-z ][a-z ][a ]22\d{5}")


def _resync(fh: IO[bytes], start: int) -> int:
    """Move to where the next record begins after a broken one starting at `start`; that offset.

    That is after the next end-of-record mark, or at the next leader if one comes first (a record
    cut short has no end-of-record mark of its own, and the next record must not be lost with it).
    """
    fh.seek(start + 1)
    pos = start + 1
    carry = b""
    while block := fh.read(65536):
        data = carry + block
        base = pos - len(carry)
        end = data.find(bytes([END_OF_RECORD]))
        leader = _LEADER.search(data)
        if leader is not None and (end < 0 or leader.start() <= end):
            target = base + leader.start()
            fh.seek(target)
            return target
        if end >= 0:
            fh.seek(base + end + 1)
            return base + end + 1
        carry = data[-23:]
        pos += len(block)
    return pos


def _seekable(stream: IO[bytes]) -> IO[bytes]:
    if stream.seekable():
        return stream
    spool = tempfile.SpooledTemporaryFile(max_size=16 << 20)  # noqa: SIM115 - returned to the caller
    while block := stream.read(1 << 20):
        spool.write(block)
    spool.seek(0)
    return spool


def _read_chunk(fh: IO[bytes]) -> tuple[bytes, Exception | None]:
    """The record at the file's position, framed as pymarc's MARCReader frames it, and what is
    wrong with its framing (TruncatedRecord, EndOfRecordNotFound) if anything. The caller has
    checked that the first five bytes are a length."""
    chunk = fh.read(5)
    if len(chunk) < 5:
        return chunk, TruncatedRecord()
    length = int(chunk)
    chunk += fh.read(length - 5)
    if len(chunk) < length:
        return chunk, TruncatedRecord()
    if chunk[-1] != END_OF_RECORD:
        return chunk, EndOfRecordNotFound()
    return chunk, None


def _pymarc_record(chunk: bytes) -> MarcRecord:
    # Values stay bytes: decode_record decodes them, strictly, with a fast path for ASCII.
    return MarcRecord(chunk, to_unicode=False)


def read_marc(stream: IO[bytes], *, name: str = "") -> Iterator[BibRecord | ImportProblem]:
    """BibRecords and ImportProblems from ISO 2709 data, one record in memory at a time."""
    fh = _seekable(stream)
    position = 0
    while True:
        start = _skip_filler(fh)
        if start is None:
            return
        position += 1
        head = fh.read(5)
        fh.seek(start)
        if not head.isdigit() or int(head) < 25:
            # pymarc would read a negative or tiny length as "the rest of the file"
            end = _resync(fh, start)
            yield ImportProblem(
                position=position,
                reason=f"not a record: the first five bytes {head.decode('ascii', 'replace')!r} are not a record "
                f"length; skipped {end - start} bytes to the next end-of-record mark",
                offset=start,
            )
            continue
        chunk, framing = _read_chunk(fh)
        if framing is not None:
            end = _resync(fh, start)
            reason = f"{_reason(framing, chunk)}; skipped {end - start} bytes to the next end-of-record mark"
            yield ImportProblem(position=position, reason=reason, offset=start)
            continue
        warnings: list[str] = []
        utf8 = chunk[9:10] == b"a"
        if not utf8:
            data = _data_area(chunk)
            if not data.isascii() and b"\x1b" not in data and _is_utf8(data):
                utf8 = True
                warnings.append("leader/09 says MARC-8 but the text is UTF-8; read as UTF-8")
        decoded = _parse_iso2709(chunk, utf8=utf8)
        if decoded is None:
            try:
                record = _pymarc_record(chunk)
            except Exception as exc:  # pymarc's own errors, told apart in _reason
                yield ImportProblem(position=position, reason=_reason(exc, chunk), offset=start)
                continue
            try:
                decoded = decode_record(record, utf8=utf8)
            except _EncodingError as exc:
                said = "UTF-8" if utf8 else "MARC-8"
                hint = "" if utf8 else "; the record may be in another character set"
                yield ImportProblem(
                    position=position,
                    reason=f"encoding error (leader/09 says {said}): {exc}{hint}",
                    source_key=_raw_source_key(record),
                    offset=start,
                )
                continue
        label = f"{name}, " if name else ""
        yield to_bib(
            decoded,
            provenance=f"{label}record {position} (byte {start})",
            position=position,
            offset=start,
            warnings=warnings,
        )


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


# ---------------------------------------------------------------------------------------------
# MARCXML


def safe_iterparse(stream: IO[bytes], **kwargs: object) -> etree.iterparse:
    """lxml's iterparse that never fetches a DTD, resolves an entity or touches the network."""
    return etree.iterparse(
        stream,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        **kwargs,
    )


def declared_entities(element: etree._Element) -> list[str]:
    """Names of the entities the document's DOCTYPE declares (refused: XXE, entity expansion)."""
    dtd = element.getroottree().docinfo.internalDTD
    if dtd is None:
        return []
    return [e.name for e in dtd.iterentities()]  # type: ignore[attr-defined]


def release(element: etree._Element) -> None:
    """Free a record iterparse has handed over, and everything before it, so memory stays flat."""
    element.clear(keep_tail=True)  # type: ignore[call-arg]
    node: etree._Element | None = element
    while node is not None:
        parent = node.getparent()
        if parent is not None:
            while node.getprevious() is not None:
                del parent[0]
        node = parent


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _text(element: etree._Element) -> str:
    return element.text or ""


def element_to_record(element: etree._Element) -> MarcRecord:
    """A MARCXML <record> element (MARC 21 XML Schema) as a pymarc Record; ValueError if malformed."""
    record = MarcRecord(force_utf8=True)
    leader_seen = False
    for child in element:
        kind = _local(child.tag)
        if kind == "leader":
            leader = _text(child)
            if len(leader) != 24:
                raise ValueError(f"the leader is {len(leader)} characters, not 24: {leader!r}")
            record.leader = leader  # type: ignore[assignment]
            leader_seen = True
        elif kind == "controlfield":
            tag = child.get("tag", "")
            if not re.fullmatch(r"[0-9A-Za-z]{3}", tag):
                raise ValueError(f"invalid tag {tag!r} (line {child.sourceline})")
            record.fields.append(Field(tag=tag, data=_text(child)))
        elif kind == "datafield":
            tag = child.get("tag", "")
            if not re.fullmatch(r"[0-9A-Za-z]{3}", tag):
                raise ValueError(f"invalid tag {tag!r} (line {child.sourceline})")
            subfields = [
                Subfield(code=(sf.get("code") or " ")[:1], value=_text(sf))
                for sf in child
                if _local(sf.tag) == "subfield"
            ]
            indicators = Indicators((child.get("ind1") or " ")[:1], (child.get("ind2") or " ")[:1])
            record.fields.append(Field(tag=tag, indicators=indicators, subfields=subfields))
    if not leader_seen:
        raise ValueError("the record has no leader")
    if not record.fields:
        raise ValueError("the record has no fields")
    return record


def _is_marc_record(element: etree._Element) -> bool:
    if element.tag == f"{{{MARC_NS}}}record":
        return True
    # MARCXML written without its namespace; an OAI-PMH <record> has a <header> instead.
    return element.tag == "record" and any(
        _local(c.tag) in ("leader", "controlfield", "datafield") for c in element
    )


def read_marcxml(stream: IO[bytes], *, name: str = "") -> Iterator[BibRecord | ImportProblem]:
    """BibRecords and ImportProblems from MARCXML (a <collection>, a lone <record>, or records
    wrapped in another document such as an SRU or OAI-PMH response), one record at a time."""
    position = 0
    checked = False
    label = f"{name}, " if name else ""
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
            if _local(element.tag) != "record" or not _is_marc_record(element):
                continue
            position += 1
            line = element.sourceline
            try:
                record = element_to_record(element)
            except ValueError as exc:
                yield ImportProblem(position=position, reason=f"{exc} (record starts at line {line})")
            else:
                yield to_bib(record, provenance=f"{label}record {position} (line {line})", position=position)
            release(element)
    except etree.XMLSyntaxError as exc:
        yield ImportProblem(
            position=position + 1,
            reason=f"the XML is not well-formed at line {exc.lineno}: {exc.msg}; reading stopped there",
        )
        return
    if position == 0:
        yield ImportProblem(position=0, reason="no MARCXML <record> found in the document")
