"""The OAI-PMH 2.0 endpoint at /oai: GET or POST (application/x-www-form-urlencoded), XML out.

Errors are OAI-PMH errors in a 200 response, as the protocol wants; the `request` element echoes
the arguments except after badVerb or badArgument, where it must carry the base URL alone.
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from lxml import etree

from . import repository
from .protocol import GRANULARITY, OaiError, Request, format_datestamp, parse_request

OAI = "http://www.openarchives.org/OAI/2.0/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
OAI_IDENTIFIER = "http://www.openarchives.org/OAI/2.0/oai-identifier"


def _q(name: str) -> str:
    return f"{{{OAI}}}{name}"


def _sub(parent: etree._Element, name: str, text: str | None = None, **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, _q(name), attrs)
    if text is not None:
        el.text = text
    return el


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri(request.path)


def _site_url(request: HttpRequest) -> str:
    return str(repository.config()["BASE_URL"] or request.build_absolute_uri("/")).rstrip("/")


# A harvester cannot send a CSRF token, and nothing here changes state: POST is the protocol's
# other way of sending the same read-only request (specification section 3.1.1.2).
@csrf_exempt
def endpoint(request: HttpRequest) -> HttpResponse:
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    params = request.GET if request.method == "GET" else request.POST
    now = timezone.now().replace(microsecond=0)
    root = etree.Element(_q("OAI-PMH"), nsmap={None: OAI, "xsi": XSI})  # type: ignore[dict-item]
    root.set(f"{{{XSI}}}schemaLocation", f"{OAI} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd")
    _sub(root, "responseDate", format_datestamp(now))
    request_el = _sub(root, "request", _base_url(request))
    try:
        oai_request = parse_request({k: params.getlist(k) for k in params})
    except OaiError as error:
        _sub(root, "error", error.message, code=error.code)
        return _respond(root)
    for name, value in [("verb", oai_request.verb), *sorted(oai_request.arguments.items())]:
        request_el.set(name, value)
    try:
        body = _VERBS[oai_request.verb](request, oai_request, now)
    except OaiError as error:
        _sub(root, "error", error.message, code=error.code)
    else:
        root.append(body)
    return _respond(root)


def _respond(root: etree._Element) -> HttpResponse:
    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return HttpResponse(xml, content_type="text/xml; charset=utf-8")


# -- verbs -----------------------------------------------------------------------------------------
def _identify(request: HttpRequest, oai: Request, now: datetime) -> etree._Element:
    config = repository.config()
    body = etree.Element(_q("Identify"))
    _sub(body, "repositoryName", config["REPOSITORY_NAME"])
    _sub(body, "baseURL", _base_url(request))
    _sub(body, "protocolVersion", "2.0")
    for email in config["ADMIN_EMAILS"]:
        _sub(body, "adminEmail", email)
    _sub(body, "earliestDatestamp", format_datestamp(repository.earliest_datestamp()))
    _sub(body, "deletedRecord", "persistent")
    _sub(body, "granularity", GRANULARITY)
    description = _sub(body, "description")
    ident = etree.SubElement(description, f"{{{OAI_IDENTIFIER}}}oai-identifier", nsmap={None: OAI_IDENTIFIER})  # type: ignore[dict-item]
    ident.set(
        f"{{{XSI}}}schemaLocation", f"{OAI_IDENTIFIER} http://www.openarchives.org/OAI/2.0/oai-identifier.xsd"
    )
    for name, value in (
        ("scheme", "oai"),
        ("repositoryIdentifier", config["REPOSITORY_IDENTIFIER"]),
        ("delimiter", ":"),
        ("sampleIdentifier", repository.identifier(repository.CATALOG, 1)),
    ):
        etree.SubElement(ident, f"{{{OAI_IDENTIFIER}}}{name}").text = value
    return body


def _list_metadata_formats(request: HttpRequest, oai: Request, now: datetime) -> etree._Element:
    if "identifier" in oai.arguments:
        repository.header_for(*repository.parse_identifier(oai.arguments["identifier"]))
    body = etree.Element(_q("ListMetadataFormats"))
    for fmt in repository.FORMATS.values():
        el = _sub(body, "metadataFormat")
        _sub(el, "metadataPrefix", fmt.prefix)
        _sub(el, "schema", fmt.schema)
        _sub(el, "metadataNamespace", fmt.namespace)
    return body


def _list_sets(request: HttpRequest, oai: Request, now: datetime) -> etree._Element:
    if oai.token is not None:
        # The whole list fits in one response, so this repository never issues a ListSets token.
        raise OaiError("badResumptionToken", "This repository issues no resumptionToken for ListSets.")
    body = etree.Element(_q("ListSets"))
    for info in repository.sets():
        el = _sub(body, "set")
        _sub(el, "setSpec", info.spec)
        _sub(el, "setName", info.name)
    return body


def _header(parent: etree._Element, header: repository.Header) -> None:
    el = _sub(parent, "header", **({"status": "deleted"} if header.deleted else {}))
    _sub(el, "identifier", header.identifier)
    _sub(el, "datestamp", format_datestamp(header.datestamp))
    for spec in header.sets:
        _sub(el, "setSpec", spec)


def _record(
    parent: etree._Element,
    header: repository.Header,
    record: object | None,
    fmt: repository.MetadataFormat,
    site: str,
) -> None:
    el = _sub(parent, "record")
    _header(el, header)
    if not header.deleted and record is not None:
        _sub(el, "metadata").append(fmt.render(record, site))


def _list(request: HttpRequest, oai: Request, now: datetime) -> etree._Element:
    if oai.token is not None:
        harvest = repository.decode_token(oai.token, oai.verb)
    else:
        harvest = repository.start_harvest(oai, timezone.now())
    fmt = repository.metadata_format(harvest.prefix)
    config = repository.config()
    size = int(config["PAGE_SIZE"] if oai.verb == "ListRecords" else config["IDENTIFIERS_PAGE_SIZE"])
    headers, more = repository.page(harvest, size)
    if not headers:
        # (After a token: the items left when it was issued have all changed since, and come in the
        # next incremental harvest.)
        raise OaiError("noRecordsMatch", "No items match these arguments.")
    body = etree.Element(_q(oai.verb))
    if oai.verb == "ListIdentifiers":
        for header in headers:
            _header(body, header)
    else:
        records = repository.records_for(headers)
        site = _site_url(request)
        for header in headers:
            _record(body, header, records.get((header.kind, header.pk)), fmt, site)
    if oai.token is not None or more:
        attrs = {"cursor": str(harvest.cursor), "completeListSize": str(harvest.total)}
        if more:
            following = repository.advance(harvest, headers[-1], len(headers))
            attrs["expirationDate"] = format_datestamp(repository.token_expiry(now))
            _sub(body, "resumptionToken", repository.encode_token(following), **attrs)
        else:
            _sub(body, "resumptionToken", "", **attrs)  # the last part of a list that was split
    return body


def _get_record(request: HttpRequest, oai: Request, now: datetime) -> etree._Element:
    fmt = repository.metadata_format(oai.arguments["metadataPrefix"])
    header = repository.header_for(*repository.parse_identifier(oai.arguments["identifier"]))
    body = etree.Element(_q("GetRecord"))
    records = repository.records_for([header])
    _record(body, header, records.get((header.kind, header.pk)), fmt, _site_url(request))
    return body


_VERBS = {
    "Identify": _identify,
    "ListMetadataFormats": _list_metadata_formats,
    "ListSets": _list_sets,
    "ListIdentifiers": _list,
    "ListRecords": _list,
    "GetRecord": _get_record,
}
