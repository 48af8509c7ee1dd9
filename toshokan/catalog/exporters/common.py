"""What every export format shares: the records to write and small readings of a record."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from .. import selectors
from ..models import Identifier, Record


def has_japanese(text: str) -> bool:
    return any(
        "\u3040" <= c <= "\u30ff" or "\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff" for c in text
    )


@dataclass(frozen=True, slots=True)
class IdentifierView:
    scheme: str
    value: str
    qualifier: str = ""


def identifiers_of(record: Record) -> list[IdentifierView]:
    """The record's identifiers in a fixed order (ISBN first), as prefetched."""
    order = ["isbn", "issn", "ndl", "jpno", "lccn", "oclc", "aozora", "local"]
    items: list[Identifier] = list(record.identifiers.all())
    items.sort(key=lambda i: (order.index(i.scheme) if i.scheme in order else len(order), i.pk or 0))
    return [IdentifierView(i.scheme, i.value, i.qualifier) for i in items]


def iter_all_records(chunk: int = 500) -> Iterator[Record]:
    """Every record in id order, a chunk at a time with its relations prefetched (memory stays flat)."""
    last = 0
    while True:
        ids = list(Record.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:chunk])
        if not ids:
            return
        yield from selectors.records_by_ids(ids)
        last = ids[-1]


class NdcLabels:
    """NDC labels for `record_full`, looked up once per notation during one export."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[str, str] | None] = {}

    def __call__(self, ndc: str) -> tuple[str, str] | None:
        if ndc not in self._cache:
            self._cache[ndc] = selectors.ndc_label(ndc)
        return self._cache[ndc]
