"""Reads of the catalogue. Selectors own their prefetching; callers never add queries per row."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from django.db.models import Prefetch, QuerySet

from toshokan.core.domain import NotFound

from .domain.snapshots import CreatorSource, HoldingSource, RecordSource
from .models import Branch, Holding, Identifier, Record, RecordCreator


def _with_related(qs: QuerySet[Record]) -> QuerySet[Record]:
    return qs.prefetch_related(
        Prefetch("record_creators", queryset=RecordCreator.objects.select_related("creator").order_by("position")),
        Prefetch("identifiers", queryset=Identifier.objects.order_by("scheme", "value")),
        "subjects",
        Prefetch("holdings", queryset=Holding.objects.select_related("branch").order_by("branch__position", "barcode")),
    )


def record_detail(record_id: int) -> Record:
    try:
        return _with_related(Record.objects.all()).get(pk=record_id)
    except Record.DoesNotExist:
        raise NotFound(f"record {record_id} does not exist") from None


def records_by_ids(ids: list[int]) -> list[Record]:
    """These records with creators, identifiers and holdings, in the order of `ids` (missing ones skipped)."""
    found = {r.pk: r for r in _with_related(Record.objects.filter(pk__in=ids))}
    return [found[i] for i in ids if i in found]


def records_by_identifier(scheme: str, value: str) -> QuerySet[Record]:
    return Record.objects.filter(identifiers__scheme=scheme, identifiers__value=value).distinct()


def branches() -> QuerySet[Branch]:
    return Branch.objects.order_by("position", "code")


def to_source(record: Record) -> RecordSource:
    """The plain form search indexes (relations must be prefetched, as `_with_related` does)."""
    return RecordSource(
        id=record.pk,
        title=record.title,
        title_reading=record.title_reading,
        title_romanized=record.title_romanized,
        title_reading_auto=record.title_reading_auto,
        title_romanized_auto=record.title_romanized_auto,
        subtitle=record.subtitle,
        subtitle_reading=record.subtitle_reading,
        original_title=record.original_title,
        series=record.series,
        series_reading=record.series_reading,
        publisher=record.publisher,
        year=record.year,
        ndc=record.ndc,
        language=record.language,
        material_type=record.material_type,
        creators=tuple(
            CreatorSource(
                name=link.creator.name,
                reading=link.creator.reading,
                romanized=link.creator.romanized,
                reading_auto=link.creator.reading_auto,
                romanized_auto=link.creator.romanized_auto,
                role=link.role,
                name_as_given=link.name_as_given,
            )
            for link in record.record_creators.all()
        ),
        subjects=tuple(s.term for s in record.subjects.all()),
        identifiers=tuple((i.scheme, i.value) for i in record.identifiers.all()),
        holdings=tuple(HoldingSource(branch=h.branch.code, status=h.status) for h in record.holdings.all()),
        has_etext=bool(record.etext_url),
    )


def sources_for_ids(ids: Iterable[int]) -> list[RecordSource]:
    return [to_source(r) for r in records_by_ids(list(ids))]


def iter_all_sources(chunk: int = 2000) -> Iterator[RecordSource]:
    """Every record, in id order, a chunk of queries at a time (memory stays flat)."""
    last = 0
    while True:
        batch = list(_with_related(Record.objects.filter(pk__gt=last).order_by("pk"))[:chunk])
        if not batch:
            return
        for record in batch:
            yield to_source(record)
        last = batch[-1].pk


def record_count() -> int:
    return Record.objects.count()


def ndc_label(ndc: str) -> tuple[str, str] | None:
    """The most specific NDC 9 class that labels `ndc` (913.6 → 913.6 if listed, else 913, 91, 9)."""
    from .models import NdcClass

    if not ndc:
        return None
    candidates = [ndc]
    digits = ndc.split(".")[0]
    candidates += [digits[:i] for i in range(len(digits), 0, -1)]
    found = {c.notation: c.label_ja for c in NdcClass.objects.filter(notation__in=candidates)}
    for candidate in candidates:
        if candidate in found:
            return candidate, found[candidate]
    return None


def ndc_labels(notations: Iterable[str]) -> dict[str, tuple[str, str, str]]:
    """For each NDC notation, its most specific labelled class as (notation, label_ja, label_en).

    One query for a whole page of results; notations with no labelled class are left out.
    """
    from .models import NdcClass

    wanted: dict[str, list[str]] = {}
    for ndc in notations:
        if not ndc or ndc in wanted:
            continue
        digits = ndc.split(".")[0]
        wanted[ndc] = [ndc, *(digits[:i] for i in range(len(digits), 0, -1))]
    if not wanted:
        return {}
    candidates = {c for chain in wanted.values() for c in chain}
    found = {c.notation: c for c in NdcClass.objects.filter(notation__in=candidates)}
    out: dict[str, tuple[str, str, str]] = {}
    for ndc, chain in wanted.items():
        for candidate in chain:
            if candidate in found:
                cls = found[candidate]
                out[ndc] = (cls.notation, cls.label_ja, cls.label_en)
                break
    return out
