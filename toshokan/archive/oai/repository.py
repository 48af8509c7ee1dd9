"""What the OAI-PMH repository holds: items, their datestamps and sets, the metadata formats, and the
harvest state carried in resumption tokens.

Items are of two kinds: the catalogue's records (`catalog/<id>`, sets `catalog` and `catalog:ndcN`)
and the archive's items (`archive/<id>`, sets `archive` and `archive:<collection>`), each live or
deleted (a tombstone, or an archive item that is not published). Every list is one ordered stream by (datestamp, kind, id), read a page at a time
from where the last page ended (a keyset, not an offset): the same query cost on the last page of a
million records as on the first, and no item is skipped or repeated when others change meanwhile.

A harvest's window is fixed by its first request: without `until`, it ends at the moment of that
request, so a record changed during a long harvest is not delivered twice in it — the next
incremental harvest (from = this one's start) brings it. Resumption tokens are signed, carry the
whole state (nothing is kept on the server) and expire after `TOKEN_TTL_S`.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db.models import Min, Q, QuerySet
from django.utils import timezone
from lxml import etree

from toshokan.catalog import selectors as catalog_selectors
from toshokan.catalog.exporters import dcndl, dublin_core
from toshokan.catalog.models import DeletedRecord, NdcClass, Record

from ..models import ArchiveItem, Collection, DeletedItem
from . import items as item_formats
from .protocol import OaiError, Request

CATALOG = "catalog"
ARCHIVE = "archive"  # sorts before "catalog": the order of kinds in every list
KINDS = (ARCHIVE, CATALOG)
_NDC_SET = re.compile(r"^catalog:ndc([0-9])$")
_COLLECTION_SET = re.compile(r"^archive:([A-Za-z0-9_-]+)$")
_TOKEN_SALT = "toshokan.archive.oai.token"


def config() -> dict[str, Any]:
    defaults: dict[str, Any] = {
        "REPOSITORY_NAME": "toshokan",
        "REPOSITORY_IDENTIFIER": "toshokan.invalid",
        "ADMIN_EMAILS": [settings.DEFAULT_FROM_EMAIL],
        "BASE_URL": "",  # the site's public address, for record links; the request's host when blank
        "PAGE_SIZE": 100,  # records per ListRecords response
        "IDENTIFIERS_PAGE_SIZE": 500,  # headers per ListIdentifiers response
        "TOKEN_TTL_S": 24 * 3600,
    }
    return {**defaults, **getattr(settings, "TOSHOKAN_OAI", {})}


# -- metadata formats ------------------------------------------------------------------------------
Renderer = Callable[[Any, str], etree._Element]


@dataclass(frozen=True, slots=True)
class MetadataFormat:
    prefix: str
    schema: str
    namespace: str
    render: Renderer


FORMATS: dict[str, MetadataFormat] = {
    "oai_dc": MetadataFormat(
        "oai_dc",
        "http://www.openarchives.org/OAI/2.0/oai_dc.xsd",
        dublin_core.OAI_DC,
        lambda obj, base_url: (
            item_formats.to_dc(obj, base_url=base_url)
            if isinstance(obj, ArchiveItem)
            else dublin_core.to_dc(obj, base_url=base_url)
        ),
    ),
    # DC-NDL (RDF), as NDL Search harvests it. NDL publishes DC-NDL as a specification, not as an
    # XML Schema; `schema` names that specification (docs/oai-pmh.md).
    "dcndl": MetadataFormat(
        "dcndl",
        "https://www.ndl.go.jp/jp/dlib/standards/meta/",
        dcndl.DCNDL,
        lambda obj, base_url: (
            item_formats.to_dcndl(obj, base_url=base_url)
            if isinstance(obj, ArchiveItem)
            else dcndl.to_dcndl(obj, base_url=base_url)
        ),
    ),
}


def metadata_format(prefix: str) -> MetadataFormat:
    try:
        return FORMATS[prefix]
    except KeyError:
        raise OaiError(
            "cannotDisseminateFormat",
            f"'{prefix}' is not a metadata format of this repository (it has: {', '.join(FORMATS)}).",
        ) from None


# -- identifiers and sets ----------------------------------------------------------------------------
def identifier(kind: str, pk: int) -> str:
    return f"oai:{config()['REPOSITORY_IDENTIFIER']}:{kind}/{pk}"


def parse_identifier(value: str) -> tuple[str, int]:
    prefix = f"oai:{config()['REPOSITORY_IDENTIFIER']}:"
    match = re.fullmatch(r"([a-z]+)/([1-9][0-9]{0,18})", value.removeprefix(prefix))
    if not value.startswith(prefix) or match is None or match.group(1) not in KINDS:
        raise OaiError("idDoesNotExist", f"'{value}' is not an identifier of this repository.")
    return match.group(1), int(match.group(2))


@dataclass(frozen=True, slots=True)
class SetInfo:
    spec: str
    name: str


def sets() -> list[SetInfo]:
    labels = dict(
        NdcClass.objects.filter(notation__in=[str(d) for d in range(10)]).values_list("notation", "label_ja")
    )
    out = [SetInfo(CATALOG, "蔵書目録 (書誌) / Catalogue records")]
    for digit in range(10):
        label = labels.get(str(digit), "")
        out.append(SetInfo(f"catalog:ndc{digit}", f"NDC {digit}類" + (f" {label}" if label else "")))
    out.append(SetInfo(ARCHIVE, "デジタルアーカイブ / Digital archive"))
    for slug, title in (
        Collection.objects.filter(published=True).order_by("slug").values_list("slug", "title")
    ):
        out.append(SetInfo(f"archive:{slug}", title))
    return out


def record_sets(ndc: str) -> list[str]:
    digit = ndc[:1]
    return [CATALOG, f"catalog:ndc{digit}"] if digit.isdigit() else [CATALOG]


def _set_filter(spec: str | None, field: str) -> Q | None:
    """The condition on catalogue rows for a set; None when the set holds none of them."""
    if not spec or spec == CATALOG:
        return Q()
    match = _NDC_SET.match(spec)
    if match:
        return Q(**{f"{field}__startswith": match.group(1)})
    return None


def _archive_filter(spec: str | None, field: str) -> Q | None:
    """The condition on archive rows (`field` names the collection's slug); None when none belong."""
    if not spec or spec == ARCHIVE:
        return Q()
    match = _COLLECTION_SET.match(spec)
    if match:
        return Q(**{field: match.group(1)})
    return None


def item_sets(collection_slug: str) -> list[str]:
    return [ARCHIVE, f"archive:{collection_slug}"]


# -- the stream of items -----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Header:
    identifier: str
    datestamp: datetime
    sets: list[str]
    deleted: bool
    pk: int
    kind: str = CATALOG


Key = tuple[datetime, str, int]  # (datestamp, kind, id): the order of every list


@dataclass(frozen=True, slots=True)
class Harvest:
    """A list request's state: what was asked, the window, how far it has come."""

    verb: str
    prefix: str
    set_spec: str | None
    start: datetime | None
    end: datetime
    after: Key | None = None
    cursor: int = 0
    total: int = 0


def _window(qs: QuerySet[Any], field: str, harvest: Harvest) -> QuerySet[Any]:
    if harvest.start is not None:
        qs = qs.filter(**{f"{field}__gte": harvest.start})
    return qs.filter(**{f"{field}__lt": harvest.end})


def _after(field: str, pk: str, after: Key | None, kind: str) -> Q:
    """Rows of `kind` that come after the key `after` in the order (datestamp, kind, id)."""
    if after is None:
        return Q()
    moment, last_kind, last = after
    if last_kind < kind:
        return Q(**{f"{field}__gte": moment})
    if last_kind > kind:
        return Q(**{f"{field}__gt": moment})
    return Q(**{f"{field}__gt": moment}) | Q(**{field: moment, f"{pk}__gt": last})


def _scoped(qs: QuerySet[Any], condition: Q | None, stamp: str, harvest: Harvest) -> QuerySet[Any] | None:
    """`qs` within the harvest's set (None when the set holds none of its rows) and window."""
    return None if condition is None else _window(qs.filter(condition), stamp, harvest)


def _records(harvest: Harvest) -> QuerySet[Record] | None:
    return _scoped(Record.objects.all(), _set_filter(harvest.set_spec, "ndc"), "updated_at", harvest)


def _deletions(harvest: Harvest) -> QuerySet[DeletedRecord] | None:
    return _scoped(DeletedRecord.objects.all(), _set_filter(harvest.set_spec, "ndc"), "deleted_at", harvest)


def _items(harvest: Harvest) -> QuerySet[ArchiveItem] | None:
    condition = _archive_filter(harvest.set_spec, "collection__slug")
    return _scoped(ArchiveItem.objects.all(), condition, "updated_at", harvest)


def _item_deletions(harvest: Harvest) -> QuerySet[DeletedItem] | None:
    condition = _archive_filter(harvest.set_spec, "collection_slug")
    return _scoped(DeletedItem.objects.all(), condition, "deleted_at", harvest)


def count(harvest: Harvest) -> int:
    querysets = (_records(harvest), _deletions(harvest), _items(harvest), _item_deletions(harvest))
    return sum(qs.count() for qs in querysets if qs is not None)


Row = tuple[datetime, str, int, str, bool]  # (datestamp, kind, id, set key, deleted)


def _stream(
    qs: QuerySet[Any] | None, stamp: str, pk: str, kind: str, harvest: Harvest, limit: int, *columns: str
) -> list[tuple[Any, ...]]:
    """Up to `limit` + 1 rows of `qs` after the harvest's key, in (datestamp, id) order: the datestamp,
    the id, then `columns`."""
    if qs is None:
        return []
    return list(
        qs.filter(_after(stamp, pk, harvest.after, kind))
        .order_by(stamp, pk)
        .values_list(stamp, pk, *columns)[: limit + 1]
    )


def page(harvest: Harvest, limit: int) -> tuple[list[Header], bool]:
    """The next `limit` headers after `harvest.after`, and whether more follow."""
    records = _stream(_records(harvest), "updated_at", "id", CATALOG, harvest, limit, "ndc")
    deletions = _stream(_deletions(harvest), "deleted_at", "record_id", CATALOG, harvest, limit, "ndc")
    items = _stream(
        _items(harvest), "updated_at", "id", ARCHIVE, harvest, limit,
        "collection__slug", "published", "collection__published",
    )  # fmt: skip
    gone_items = _stream(
        _item_deletions(harvest), "deleted_at", "item_id", ARCHIVE, harvest, limit, "collection_slug"
    )
    streams: list[list[Row]] = [
        [(ts, CATALOG, pk, ndc, False) for ts, pk, ndc in records],
        [(ts, CATALOG, pk, ndc, True) for ts, pk, ndc in deletions],
        # Every item: a published one (in a published collection) as a record, any other as deleted —
        # unpublishing takes an item back from harvesters too.
        [(ts, ARCHIVE, pk, slug, not (published and shown)) for ts, pk, slug, published, shown in items],
        [(ts, ARCHIVE, pk, slug, True) for ts, pk, slug in gone_items],
    ]
    merged = list(heapq.merge(*streams))[: limit + 1]
    headers = [
        Header(
            identifier(kind, pk),
            ts,
            record_sets(extra) if kind == CATALOG else item_sets(extra),
            deleted,
            pk,
            kind,
        )
        for ts, kind, pk, extra, deleted in merged
    ]
    return headers[:limit], len(headers) > limit


def key_of(header: Header) -> Key:
    return (header.datestamp, header.kind, header.pk)


def header_for(kind: str, pk: int) -> Header:
    if kind == ARCHIVE:
        row = (
            ArchiveItem.objects.filter(pk=pk)
            .values_list("updated_at", "collection__slug", "published", "collection__published")
            .first()
        )
        if row is not None:
            return Header(identifier(kind, pk), row[0], item_sets(row[1]), not (row[2] and row[3]), pk, kind)
        tomb = DeletedItem.objects.filter(item_id=pk).values_list("deleted_at", "collection_slug").first()
        if tomb is not None:
            return Header(identifier(kind, pk), tomb[0], item_sets(tomb[1]), True, pk, kind)
        raise OaiError("idDoesNotExist", f"'{identifier(kind, pk)}' is not an item of this repository.")
    record = Record.objects.filter(pk=pk).values_list("updated_at", "ndc").first()
    if record is not None:
        return Header(identifier(kind, pk), record[0], record_sets(record[1]), False, pk)
    deleted = DeletedRecord.objects.filter(record_id=pk).values_list("deleted_at", "ndc").first()
    if deleted is not None:
        return Header(identifier(kind, pk), deleted[0], record_sets(deleted[1]), True, pk)
    raise OaiError("idDoesNotExist", f"'{identifier(kind, pk)}' is not an item of this repository.")


def records_for(headers: list[Header]) -> dict[tuple[str, int], Record | ArchiveItem]:
    """The records and items behind these headers (not the deleted ones), by (kind, id)."""
    out: dict[tuple[str, int], Record | ArchiveItem] = {}
    record_ids = [h.pk for h in headers if not h.deleted and h.kind == CATALOG]
    out.update(((CATALOG, r.pk), r) for r in catalog_selectors.records_by_ids(record_ids))
    item_ids = [h.pk for h in headers if not h.deleted and h.kind == ARCHIVE]
    if item_ids:
        for item in ArchiveItem.objects.filter(pk__in=item_ids).select_related("collection"):
            out[(ARCHIVE, item.pk)] = item
    return out


def earliest_datestamp() -> datetime:
    candidates = [
        d
        for d in (
            Record.objects.aggregate(m=Min("updated_at"))["m"],
            DeletedRecord.objects.aggregate(m=Min("deleted_at"))["m"],
            ArchiveItem.objects.aggregate(m=Min("updated_at"))["m"],
            DeletedItem.objects.aggregate(m=Min("deleted_at"))["m"],
        )
        if d is not None
    ]
    return min(candidates) if candidates else timezone.now()


# -- resumption tokens -----------------------------------------------------------------------------
def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def _moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def start_harvest(request: Request, now: datetime) -> Harvest:
    prefix = request.arguments["metadataPrefix"]
    metadata_format(prefix)
    set_spec = request.arguments.get("set") or None
    # Without `until`, the window ends at this moment: whatever changes from now on comes in the next
    # incremental harvest (from = this response's date, to the second, overlaps it a little).
    end = request.end or now
    harvest = Harvest(request.verb, prefix, set_spec, request.start, end)
    return Harvest(**{**_fields(harvest), "total": count(harvest)})


def _fields(h: Harvest) -> dict[str, Any]:
    return {name: getattr(h, name) for name in Harvest.__slots__}


def advance(harvest: Harvest, last: Header, delivered: int) -> Harvest:
    return Harvest(**{**_fields(harvest), "after": key_of(last), "cursor": harvest.cursor + delivered})


def encode_token(harvest: Harvest) -> str:
    after = harvest.after
    state = {
        "v": harvest.verb,
        "m": harvest.prefix,
        "s": harvest.set_spec,
        "f": _iso(harvest.start),
        "u": _iso(harvest.end),
        "k": [_iso(after[0]), after[1], after[2]] if after else None,
        "c": harvest.cursor,
        "n": harvest.total,
    }
    return signing.dumps(state, salt=_TOKEN_SALT, compress=True)


def decode_token(token: str, verb: str) -> Harvest:
    try:
        state = signing.loads(token, salt=_TOKEN_SALT, max_age=config()["TOKEN_TTL_S"])
    except signing.SignatureExpired:
        raise OaiError(
            "badResumptionToken", "The resumptionToken has expired; start the list again."
        ) from None
    except signing.BadSignature:
        raise OaiError(
            "badResumptionToken", "The resumptionToken is not one this repository issued."
        ) from None
    if not isinstance(state, dict) or state.get("v") != verb:
        raise OaiError("badResumptionToken", f"The resumptionToken does not belong to {verb}.")
    key = state["k"]
    end = _moment(state["u"])
    assert end is not None
    return Harvest(
        verb=verb,
        prefix=state["m"],
        set_spec=state["s"],
        start=_moment(state["f"]),
        end=end,
        after=(_moment(key[0]), key[1], int(key[2])) if key else None,  # type: ignore[arg-type]
        cursor=int(state["c"]),
        total=int(state["n"]),
    )


def token_expiry(now: datetime) -> datetime:
    return now + timedelta(seconds=int(config()["TOKEN_TTL_S"]))
