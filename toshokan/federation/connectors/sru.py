"""The `sru` connector: any SRU server, searched with CQL by ISBN (and by title).

SRU 1.1/1.2 searchRetrieve (https://www.loc.gov/standards/sru/sru-1-2.html): `GET {endpoint}?
version=1.2&operation=searchRetrieve&query=<CQL>&recordSchema=marcxml&maximumRecords=N`. The ISBN
query asks for both forms a catalogue may hold, `bath.isbn="978…" or bath.isbn="4…"` (the Bath
profile's ISBN index; another index with `options.isbn_index`). Holdings come from the records'
MARC 852/952 fields (domain/marc_holdings.py), their location codes mapped to libkeys by
`options.locations` or the registry's branches; a hit without holdings fields is 蔵書あり at
`options.default_libkey`, else the system's first branch (a one-branch system reports that branch).
No hit is 蔵書なし. Diagnostics and unparsable XML are the system's Error.

Several ISBNs go in one OR-ed query, each record given to the ISBNs its 020 fields carry; when
that cannot be trusted (the server held back hits, or a record carries none of the ISBNs) — or
with `options.batch = false` — each ISBN is asked on its own, the engine's per-host cap keeping a
small OPAC from seeing more than a couple of those at once. The XML is parsed with entities,
DTDs and network access off (lxml), since it comes from a server we do not control.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any

from lxml import etree
from pymarc import Field, Indicators, Record, Subfield
from pymarc.leader import Leader

from toshokan.catalog.domain.identifiers import InvalidIdentifier, isbn10, normalize_isbn

from ..domain import holdings, marc_holdings
from ..domain.availability import BranchStatus, SystemAnswer
from ..domain.registry import SystemSpec
from .base import FetchError, Http, libkey_for, ok, reserve_url

MARC = "http://www.loc.gov/MARC21/slim"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _quote(term: str) -> str:
    """A CQL quoted string (CQL 1.2, section 2.3): backslash-escape quotes and backslashes."""
    return '"' + term.replace("\\", "\\\\").replace('"', '\\"') + '"'


def isbn_query(isbn13: str, index: str = "bath.isbn") -> str:
    forms = [isbn13] + [f for f in (isbn10(isbn13),) if f]
    return " or ".join(f"{index}={_quote(f)}" for f in forms)


def title_query(title: str, index: str = "dc.title") -> str:
    return f"{index}={_quote(title)}"


def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def parse(body: bytes) -> tuple[int, list[Record]]:
    """numberOfRecords and the MARCXML records of a searchRetrieve response."""
    try:
        root = etree.fromstring(body, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise FetchError(f"broken XML: {exc}") from None
    if _local(root.tag) != "searchRetrieveResponse":
        raise FetchError(f"not an SRU searchRetrieveResponse: <{_local(root.tag)}>")
    for diagnostic in root.iter("{*}diagnostic"):
        message = " ".join(str(t).strip() for t in diagnostic.itertext() if str(t).strip())
        raise FetchError(f"SRU diagnostic: {message}")
    count_el = next(root.iterchildren("{*}numberOfRecords"), None)
    try:
        count = int((count_el.text or "0") if count_el is not None else "0")
    except ValueError:
        raise FetchError("numberOfRecords is not a number") from None
    records: list[Record] = []
    for data in root.iter("{*}recordData"):
        marc = next(data.iter(f"{{{MARC}}}record"), None)
        if marc is None and data.text and data.text.strip():  # recordPacking=string
            try:
                inner = etree.fromstring(data.text.strip().encode(), _PARSER)
            except etree.XMLSyntaxError as exc:
                raise FetchError(f"broken XML in a string-packed record: {exc}") from None
            marc = inner if _local(inner.tag) == "record" else next(inner.iter(f"{{{MARC}}}record"), None)
        if marc is not None:
            records.append(to_pymarc(marc))
    return count, records


def to_pymarc(element: Any) -> Record:
    """A pymarc Record from a MARCXML <record> element (MARC 21 XML Schema)."""
    record = Record()
    for child in element:
        name = _local(child.tag)
        if name == "leader":
            if (
                len(child.text or "") == 24
            ):  # MARC 21 leaders are 24 characters; a wrong one says nothing of holdings
                record.leader = Leader(child.text)
        elif name == "controlfield":
            record.add_field(Field(tag=child.get("tag", "000"), data=child.text or ""))  # type: ignore[no-untyped-call]
        elif name == "datafield":
            subfields = [
                Subfield(code=s.get("code", " "), value=s.text or "")
                for s in child
                if _local(s.tag) == "subfield"
            ]
            record.add_field(  # type: ignore[no-untyped-call]
                Field(
                    tag=child.get("tag", "999"),
                    indicators=Indicators(child.get("ind1", " "), child.get("ind2", " ")),
                    subfields=subfields,
                )
            )
    return record


def record_isbns(record: Record) -> set[str]:
    """The ISBN-13s a record's 020 $a (and cancelled $z) fields carry."""
    out = set()
    for field in record.get_fields("020"):
        for value in field.get_subfields("a", "z"):
            with contextlib.suppress(InvalidIdentifier):
                out.add(normalize_isbn(value))
    return out


class SruConnector:
    async def search(
        self, spec: SystemSpec, http: Http, query: str, *, maximum: int | None = None
    ) -> tuple[int, list[Record]]:
        options = spec.options
        params = [
            ("version", str(options.get("version", "1.2"))),
            ("operation", "searchRetrieve"),
            ("query", query),
            ("recordSchema", str(options.get("record_schema", "marcxml"))),
            ("maximumRecords", str(maximum or options.get("maximum_records", 20))),
        ]
        response = (await http.get(spec.endpoint, params=params)).ok()
        return parse(response.body)

    def answer(self, spec: SystemSpec, isbn: str, count: int, records: list[Record]) -> SystemAnswer:
        if not count and not records:
            return ok({}, "")
        locations = spec.options.get("locations") or {}
        libkeys: dict[str, BranchStatus] = {}
        for record in records:
            for copy in marc_holdings.copies(record):
                holdings.merge(libkeys, libkey_for(spec, copy.location, locations), copy.status)
        if not libkeys:
            default = str(spec.options.get("default_libkey") or "")
            if not default and spec.branches:
                default = spec.branches[0].libkey
            libkeys[default or spec.systemid] = BranchStatus.HELD
        return ok(libkeys, reserve_url(spec, isbn))

    async def check(self, spec: SystemSpec, isbns: Sequence[str], http: Http) -> dict[str, SystemAnswer]:
        index = str(spec.options.get("isbn_index", "bath.isbn"))
        if len(isbns) > 1 and spec.options.get("batch", True):
            answers = await self._batch(spec, isbns, http, index)
            if answers is not None:
                return answers

        async def one(isbn: str) -> tuple[str, SystemAnswer]:
            count, records = await self.search(spec, http, isbn_query(isbn, index))
            return isbn, self.answer(spec, isbn, count, records)

        return dict(await asyncio.gather(*(one(i) for i in isbns)))

    async def _batch(
        self, spec: SystemSpec, isbns: Sequence[str], http: Http, index: str
    ) -> dict[str, SystemAnswer] | None:
        """All ISBNs in one OR-ed query, each record given to the ISBNs its 020 fields name.

        None — ask per ISBN instead — when the server held back hits or a record names none of
        the ISBNs (it matched on a form its 020 does not carry), since then a miss would not
        mean 蔵書なし.
        """
        per_isbn = int(spec.options.get("maximum_records", 20))
        query = " or ".join(f"({isbn_query(i, index)})" for i in isbns)
        count, records = await self.search(spec, http, query, maximum=per_isbn * len(isbns))
        if count > len(records):
            return None
        found: dict[str, list[Record]] = {i: [] for i in isbns}
        for record in records:
            named = record_isbns(record) & found.keys()
            if not named:
                return None
            for isbn in named:
                found[isbn].append(record)
        return {i: self.answer(spec, i, len(found[i]), found[i]) for i in isbns}

    async def by_title(self, spec: SystemSpec, http: Http, title: str) -> list[Record]:
        """Records whose title matches (for a record without an ISBN)."""
        index = str(spec.options.get("title_index", "dc.title"))
        return (await self.search(spec, http, title_query(title, index)))[1]
