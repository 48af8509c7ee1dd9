"""Validation of /oai responses against the official OAI-PMH, oai_dc and oai-identifier schemas (offline)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from lxml import etree

HERE = Path(__file__).parent / "schemas"
_LOCAL = {
    "http://dublincore.org/schemas/xmls/simpledc20021212.xsd": HERE / "simpledc20021212.xsd",
    "http://www.w3.org/2001/03/xml.xsd": HERE / "xml.xsd",
}


class _Resolver(etree.Resolver):
    def resolve(self, url, pubid, context):  # type: ignore[override]
        if url in _LOCAL:
            return self.resolve_filename(str(_LOCAL[url]), context)  # type: ignore[attr-defined]
        return None


@cache
def oai_schema() -> etree.XMLSchema:
    wrapper = f"""<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:toshokan:test:wrapper">
  <xs:import namespace="http://www.openarchives.org/OAI/2.0/" schemaLocation="{(HERE / "OAI-PMH.xsd").as_uri()}"/>
  <xs:import namespace="http://www.openarchives.org/OAI/2.0/oai_dc/" schemaLocation="{(HERE / "oai_dc.xsd").as_uri()}"/>
  <xs:import namespace="http://www.openarchives.org/OAI/2.0/oai-identifier"
             schemaLocation="{(HERE / "oai-identifier.xsd").as_uri()}"/>
</xs:schema>"""
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_Resolver())
    return etree.XMLSchema(etree.fromstring(wrapper.encode(), parser))


def assert_valid(xml: bytes) -> etree._Element:
    doc = etree.fromstring(xml, etree.XMLParser(no_network=True, resolve_entities=False))
    schema = oai_schema()
    if not schema.validate(doc):
        raise AssertionError(f"not valid OAI-PMH: {schema.error_log}\n{xml.decode()[:3000]}")
    return doc
