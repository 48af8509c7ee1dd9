"""Writes to the catalogue. Every change of a record ends with the record queued for reindexing.

Imports go through `import_records`: batches of records, each batch one transaction, matched to
existing records by (source, source_key) so that a second import of a file updates what the first
made. A batch either lands whole or not at all, so an import killed part-way (even by SIGKILL)
leaves no half-written record and can simply be run again.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice

from django.db import transaction

from toshokan.core import hooks
from toshokan.core.japanese import readings
from toshokan.core.japanese.normalize import fold, is_latin

from .domain.enums import HoldingStatus
from .domain.identifiers import InvalidIdentifier, normalize_identifier
from .domain.records import BibRecord, CreatorEntry, ImportProblem
from .models import Branch, Creator, Holding, Identifier, Record, RecordCreator, Subject

log = logging.getLogger(__name__)

_RECORD_FIELDS = [
    "title", "title_reading", "title_romanized", "title_reading_auto", "title_romanized_auto",
    "subtitle", "subtitle_reading", "original_title", "series", "series_reading", "volume",
    "publisher", "publication_place", "year", "date_text", "edition", "extent", "ndc", "language",
    "material_type", "notes", "etext_url", "extra", "provenance",
]  # fmt: skip


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    problems: list[ImportProblem] = field(default_factory=list)
    record_ids: list[int] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated

    def merge(self, other: ImportSummary) -> None:
        self.created += other.created
        self.updated += other.updated
        self.problems.extend(other.problems)
        self.record_ids.extend(other.record_ids)


def _creator_key(entry: CreatorEntry) -> str:
    if entry.authority_id:
        return entry.authority_id
    name = entry.name
    if is_latin(name):
        # Diacritics dropped, so "Natsume, Sōseki" and "Natsume, Soseki" are one person (Latin
        # names only: in kana, NFKD would split が into か and its voicing mark).
        name = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return f"name:{fold(name)}|{entry.dates.strip()}"


def _has_japanese(text: str) -> bool:
    return any("\u3040" <= c <= "\u30ff" or "\u3400" <= c <= "\u9fff" for c in text)


def derive_keys(bib: BibRecord) -> dict[str, str]:
    """Readings and romaji the analyser adds to a record (never overriding what the source gives)."""
    derived = {"title_reading_auto": "", "title_romanized_auto": ""}
    if _has_japanese(bib.title):
        if not bib.title_reading:
            derived["title_reading_auto"] = readings.reading(bib.title)
        derived["title_romanized_auto"] = readings.romanize(bib.title)
    return derived


def _record_values(bib: BibRecord) -> dict[str, object]:
    values: dict[str, object] = {
        "title": bib.title[:1000],
        "title_reading": bib.title_reading[:1000],
        "title_romanized": bib.title_romanized[:1000],
        "subtitle": bib.subtitle[:1000],
        "subtitle_reading": bib.subtitle_reading[:1000],
        "original_title": bib.original_title[:1000],
        "series": bib.series[:1000],
        "series_reading": bib.series_reading[:1000],
        "volume": bib.volume[:255],
        "publisher": bib.publisher[:500],
        "publication_place": bib.publication_place[:255],
        "year": bib.year,
        "date_text": bib.date_text[:255],
        "edition": bib.edition[:255],
        "extent": bib.extent[:255],
        "ndc": bib.ndc[:32],
        "language": bib.language[:8] or "und",
        "material_type": bib.material_type.value,
        "notes": "\n".join(bib.notes),
        "etext_url": bib.etext_url[:500],
        "extra": bib.extra,
        "provenance": bib.provenance[:1000],
    }
    values.update(derive_keys(bib))
    return values


def _resolve_creators(entries: Iterable[CreatorEntry]) -> dict[str, Creator]:
    """The Creator row for every entry, created where missing, in a few queries."""
    wanted: dict[str, CreatorEntry] = {}
    for entry in entries:
        wanted.setdefault(_creator_key(entry), entry)
    found = {c.authority_id: c for c in Creator.objects.filter(authority_id__in=list(wanted))}
    new: list[Creator] = []
    changed: list[Creator] = []
    for key, entry in wanted.items():
        creator = found.get(key)
        reading_auto = ""
        romanized_auto = ""
        if not entry.reading and _has_japanese(entry.name):
            reading_auto = readings.reading(entry.name)
        if not entry.romanized and _has_japanese(entry.name):
            romanized_auto = readings.romanize(entry.name)
        values = {
            "name": entry.name[:255],
            "reading": entry.reading[:255],
            "romanized": entry.romanized[:255],
            "dates": entry.dates[:64],
            "reading_auto": reading_auto[:255],
            "romanized_auto": romanized_auto[:255],
        }
        if creator is None:
            creator = Creator(authority_id=key, **values)
            new.append(creator)
            found[key] = creator
        elif any(getattr(creator, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(creator, k, v)
            changed.append(creator)
    if new:
        Creator.objects.bulk_create(new)
        # bulk_create sets primary keys on PostgreSQL and SQLite ≥ 3.35, which Django 5.2 requires.
    if changed:
        Creator.objects.bulk_update(
            changed, ["name", "reading", "romanized", "dates", "reading_auto", "romanized_auto"]
        )
    return found


def _batches(
    items: Iterable[BibRecord | ImportProblem], size: int
) -> Iterator[list[BibRecord | ImportProblem]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch


def _clean_identifiers(bib: BibRecord) -> tuple[list[tuple[str, str, str]], list[str]]:
    kept: list[tuple[str, str, str]] = []
    warnings: list[str] = []
    seen: set[tuple[str, str]] = set()
    for ident in bib.identifiers:
        try:
            value = normalize_identifier(ident.scheme, ident.value)
        except InvalidIdentifier as exc:
            # A wrong ISBN is kept in the notes, as libraries keep "cancelled/invalid" 020 $z.
            warnings.append(str(exc))
            continue
        if (ident.scheme.value, value) not in seen:
            seen.add((ident.scheme.value, value))
            kept.append((ident.scheme.value, value, ident.qualifier[:64]))
    return kept, warnings


@transaction.atomic
def _import_batch(batch: list[BibRecord]) -> ImportSummary:
    summary = ImportSummary()
    by_key: dict[tuple[str, str], BibRecord] = {}
    for bib in batch:
        by_key[(bib.source, bib.source_key)] = bib  # a later duplicate in one batch wins
    existing: dict[tuple[str, str], Record] = {}
    sources = {s for s, _ in by_key}
    for source in sources:
        keys = [k for s, k in by_key if s == source]
        for rec in Record.objects.filter(source=source, source_key__in=keys):
            existing[(rec.source, rec.source_key)] = rec

    creators = _resolve_creators(c for bib in by_key.values() for c in bib.creators)
    to_create: list[Record] = []
    to_update: list[Record] = []
    for key, bib in by_key.items():
        idents, warnings = _clean_identifiers(bib)
        if warnings:
            bib.notes = [*bib.notes, *(f"無効な識別子 / invalid identifier: {w}" for w in warnings)]
        values = _record_values(bib)
        current = existing.get(key)
        if current is None:
            to_create.append(Record(source=bib.source, source_key=bib.source_key, **values))
        else:
            for name, value in values.items():
                setattr(current, name, value)
            to_update.append(current)
        bib.extra["_identifiers"] = idents  # carried to the child rows below, not stored
    if to_create:
        Record.objects.bulk_create(to_create)
    if to_update:
        Record.objects.bulk_update(to_update, _RECORD_FIELDS)
    summary.created, summary.updated = len(to_create), len(to_update)

    records = {(r.source, r.source_key): r for r in [*to_create, *to_update]}
    ids = [r.pk for r in records.values()]
    # Children are replaced whole: the source is the truth for what a record lists.
    RecordCreator.objects.filter(record_id__in=ids).delete()
    Identifier.objects.filter(record_id__in=ids).delete()
    Subject.objects.filter(record_id__in=ids).delete()
    links: list[RecordCreator] = []
    identifiers: list[Identifier] = []
    subjects: list[Subject] = []
    for key, bib in by_key.items():
        rec = records[key]
        seen_links: set[tuple[int, str]] = set()
        for position, entry in enumerate(bib.creators):
            creator = creators[_creator_key(entry)]
            if (creator.pk, entry.role.value) in seen_links:
                continue
            seen_links.add((creator.pk, entry.role.value))
            links.append(
                RecordCreator(
                    record=rec,
                    creator=creator,
                    role=entry.role.value,
                    position=position,
                    name_as_given=entry.name_as_given[:255],
                )
            )
        for scheme, value, qualifier in bib.extra.pop("_identifiers", []):  # type: ignore[attr-defined]
            identifiers.append(Identifier(record=rec, scheme=scheme, value=value, qualifier=qualifier))
        for subject in bib.subjects:
            subjects.append(
                Subject(
                    record=rec,
                    term=subject.term[:500],
                    scheme=subject.scheme[:32],
                    reading=subject.reading[:500],
                )
            )
    RecordCreator.objects.bulk_create(links)
    Identifier.objects.bulk_create(identifiers)
    Subject.objects.bulk_create(subjects)
    summary.record_ids = ids
    _queue_reindex(ids)
    return summary


def import_records(
    items: Iterable[BibRecord | ImportProblem],
    *,
    batch_size: int = 500,
    on_progress: Callable[[int], None] | None = None,
) -> ImportSummary:
    """Store records from an importer; problems the importer met are passed through into the summary.

    `items` may be a generator over a file of any size: it is consumed a batch at a time, so memory
    stays flat. `on_progress(n)` is called after each batch with the number of items it held.
    """
    total = ImportSummary()
    for batch in _batches(items, batch_size):
        records = [item for item in batch if isinstance(item, BibRecord)]
        total.problems.extend(item for item in batch if isinstance(item, ImportProblem))
        if records:
            total.merge(_import_batch(records))
        if on_progress:
            on_progress(len(batch))
    return total


def _queue_reindex(record_ids: list[int]) -> None:
    """After the transaction commits, make these records searchable (or unsearchable) at once."""
    if not record_ids:
        return
    ids = list(record_ids)
    transaction.on_commit(lambda: hooks.records_changed(ids))


@transaction.atomic
def save_record(*, bib: BibRecord) -> Record:
    """Create or update one record (the admin and the API use this); searchable once it commits."""
    summary = _import_batch([bib])
    return Record.objects.get(pk=summary.record_ids[0])


@transaction.atomic
def delete_record(*, record: Record) -> None:
    record_id = record.pk
    record.delete()
    _queue_reindex([record_id])


@transaction.atomic
def add_holding(
    *,
    record: Record,
    branch: Branch,
    barcode: str,
    shelf_mark: str = "",
    location: str = "",
    material_type: str = "book",
    status: HoldingStatus = HoldingStatus.AVAILABLE,
) -> Holding:
    holding = Holding.objects.create(
        record=record,
        branch=branch,
        barcode=barcode,
        shelf_mark=shelf_mark,
        location=location,
        material_type=material_type,
        status=status.value,
    )
    _queue_reindex([record.pk])
    return holding


@transaction.atomic
def set_holding_status(*, holding: Holding, status: HoldingStatus) -> Holding:
    """Change a copy's status; search's "available now" filter follows at once."""
    locked = Holding.objects.select_for_update().get(pk=holding.pk)
    locked.status = status.value
    locked.save(update_fields=["status", "updated_at"])
    _queue_reindex([locked.record_id])
    return locked
