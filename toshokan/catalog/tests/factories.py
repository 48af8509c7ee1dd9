"""Test data built through the services, as the product builds it."""

from __future__ import annotations

import itertools

from toshokan.catalog import services
from toshokan.catalog.domain.enums import CreatorRole, HoldingStatus, IdentifierScheme
from toshokan.catalog.domain.records import BibRecord, CreatorEntry, IdentifierEntry
from toshokan.catalog.models import Branch, Holding, Record

_seq = itertools.count(1)


def bib(title: str = "吾輩は猫である", **kwargs: object) -> BibRecord:
    creators = kwargs.pop("creators", None)
    identifiers = kwargs.pop("identifiers", None)
    n = next(_seq)
    return BibRecord(
        source=str(kwargs.pop("source", "test")),
        source_key=str(kwargs.pop("source_key", f"t{n}")),
        title=title,
        creators=creators
        if creators is not None
        else [  # type: ignore[arg-type]
            CreatorEntry(
                name="夏目漱石",
                reading="なつめ そうせき",
                romanized="Natsume Soseki",
                role=CreatorRole.AUTHOR,
                authority_id="test:soseki",
            )
        ],
        identifiers=identifiers if identifiers is not None else [],  # type: ignore[arg-type]
        **kwargs,  # type: ignore[arg-type]
    )


def record(title: str = "吾輩は猫である", **kwargs: object) -> Record:
    return services.save_record(bib=bib(title, **kwargs))


def branch(code: str = "central", name: str = "中央図書館", position: int = 0) -> Branch:
    return Branch.objects.get_or_create(code=code, defaults={"name": name, "position": position})[0]


def holding(
    rec: Record, *, branch_code: str = "central", status: HoldingStatus = HoldingStatus.AVAILABLE
) -> Holding:
    return services.add_holding(
        record=rec,
        branch=branch(branch_code),
        barcode=f"1000{next(_seq):08d}",
        shelf_mark="913.6/ナ",
        status=status,
    )


def isbn(value: str) -> IdentifierEntry:
    return IdentifierEntry(IdentifierScheme.ISBN, value)
