"""Writes to the catalogue. Every change of a record ends with the record queued for reindexing.

Imports go through `import_records`: batches of records, each batch one transaction, matched to
existing records by (source, source_key) so that a second import of a file updates what the first
made. A batch either lands whole or not at all, so an import killed part-way (even by SIGKILL)
leaves no half-written record and can simply be run again. What a record becomes is worked out
without the database (`prepare_record`, which a bulk import runs in its reading process), and
the rows go in through the cursor, many at a time (docs/import-export.md, "Speed").
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, NamedTuple

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from toshokan.core import hooks
from toshokan.core.domain import NotFound
from toshokan.core.japanese import readings
from toshokan.core.japanese.normalize import fold, is_latin

from .domain.enums import HoldingStatus
from .domain.identifiers import InvalidIdentifier, normalize_identifier
from .domain.records import BibRecord, CreatorEntry, ImportProblem
from .models import Branch, Creator, DeletedRecord, Holding, Identifier, Record, RecordCreator, Subject

log = logging.getLogger(__name__)

_RECORD_FIELDS = [
    "title", "title_reading", "title_romanized", "title_reading_auto", "title_romanized_auto",
    "subtitle", "subtitle_reading", "original_title", "series", "series_reading", "volume",
    "publisher", "publication_place", "year", "date_text", "edition", "extent", "ndc", "language",
    "material_type", "notes", "etext_url", "extra", "provenance",
]  # fmt: skip
_EXTRA = _RECORD_FIELDS.index("extra")


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


_JAPANESE = re.compile("[\u3040-\u30ff\u3400-\u9fff]")  # kana and CJK ideographs


def _has_japanese(text: str) -> bool:
    return _JAPANESE.search(text) is not None


def derive_keys(bib: BibRecord) -> dict[str, str]:
    """Readings and romaji the analyser adds to a record (never overriding what the source gives)."""
    derived = {"title_reading_auto": "", "title_romanized_auto": ""}
    if _has_japanese(bib.title):
        if not bib.title_reading:
            derived["title_reading_auto"] = readings.reading(bib.title)
        derived["title_romanized_auto"] = readings.romanize(bib.title)
    return derived


class PreparedRecord(NamedTuple):
    """A BibRecord as the rows it becomes, worked out without the database (see `prepare_record`).

    Plain tuples of text and numbers, so that a reader process hands them to the writing one
    cheaply (pickling a BibRecord with its enums costs as much as a tenth of storing it).
    """

    source: str
    source_key: str
    values: tuple[object, ...]  # in _RECORD_FIELDS order
    # (creator key, (name, reading, romanized, dates, reading_auto, romanized_auto), role,
    # position, name as given), duplicates of one creator in one role left out
    creators: list[tuple[str, tuple[str, ...], str, int, str]]
    identifiers: list[tuple[str, str, str]]  # scheme, value, qualifier
    subjects: list[tuple[str, str, str]]  # term, scheme, reading


def _record_values(bib: BibRecord, notes: list[str]) -> tuple[object, ...]:
    derived = derive_keys(bib)
    return (
        bib.title[:1000],
        bib.title_reading[:1000],
        bib.title_romanized[:1000],
        derived["title_reading_auto"],
        derived["title_romanized_auto"],
        bib.subtitle[:1000],
        bib.subtitle_reading[:1000],
        bib.original_title[:1000],
        bib.series[:1000],
        bib.series_reading[:1000],
        bib.volume[:255],
        bib.publisher[:500],
        bib.publication_place[:255],
        bib.year,
        bib.date_text[:255],
        bib.edition[:255],
        bib.extent[:255],
        bib.ndc[:32],
        bib.language[:8] or "und",
        bib.material_type.value,
        "\n".join(notes),
        bib.etext_url[:500],
        bib.extra,
        bib.provenance[:1000],
    )


def _creator_values(entry: CreatorEntry) -> tuple[str, ...]:
    japanese = _has_japanese(entry.name)
    reading_auto = readings.reading(entry.name) if japanese and not entry.reading else ""
    romanized_auto = readings.romanize(entry.name) if japanese and not entry.romanized else ""
    return (
        entry.name[:255],
        entry.reading[:255],
        entry.romanized[:255],
        entry.dates[:64],
        reading_auto[:255],
        romanized_auto[:255],
    )


def prepare_record(bib: BibRecord) -> PreparedRecord:
    """Everything about storing `bib` that needs no database: the record's column values (with the
    analyser's readings), its creators' keys and values, cleaned identifiers, subjects.

    Pure, so a bulk import runs it in the reading process (toshokan.catalog.importers.registry,
    `read_in_worker`) while this one writes.
    """
    identifiers, warnings = _clean_identifiers(bib)
    notes = [*bib.notes, *(f"無効な識別子 / invalid identifier: {w}" for w in warnings)]
    creators: list[tuple[str, tuple[str, ...], str, int, str]] = []
    seen: set[tuple[str, str]] = set()
    values_of: dict[str, tuple[str, ...]] = {}
    for position, entry in enumerate(bib.creators):
        key = _creator_key(entry)
        if (key, entry.role.value) in seen:
            continue
        seen.add((key, entry.role.value))
        if key not in values_of:
            values_of[key] = _creator_values(entry)
        creators.append((key, values_of[key], entry.role.value, position, entry.name_as_given[:255]))
    subjects = [(s.term[:500], s.scheme[:32], s.reading[:500]) for s in bib.subjects]
    return PreparedRecord(
        bib.source, bib.source_key, _record_values(bib, notes), creators, identifiers, subjects
    )


_CREATOR_FIELDS = ("name", "reading", "romanized", "dates", "reading_auto", "romanized_auto")


def _resolve_creators(records: Iterable[PreparedRecord]) -> dict[str, int]:
    """The Creator id for every creator key, the row created where missing and brought up to
    date where the source now says otherwise, in a few queries."""
    wanted: dict[str, tuple[str, ...]] = {}
    for prepared in records:
        for key, values, *_ in prepared.creators:
            wanted.setdefault(key, values)
    ids: dict[str, int] = {}
    changed: list[tuple[object, ...]] = []
    keys = list(wanted)
    for start in range(0, len(keys), _IN_CHUNK):
        found = Creator.objects.filter(authority_id__in=keys[start : start + _IN_CHUNK]).values_list(
            "authority_id", "id", *_CREATOR_FIELDS
        )
        for key, pk, *stored in found:
            ids[key] = pk
            if tuple(stored) != wanted[key]:
                changed.append((*wanted[key], pk))
    new = [(*values, key) for key, values in wanted.items() if key not in ids]
    if new:
        returned = _insert(Creator, [*_CREATOR_FIELDS, "authority_id"], new, returning="authority_id")
        ids.update(returned)
    if changed:
        _update(Creator, list(_CREATOR_FIELDS), changed)
    return ids


Item = BibRecord | PreparedRecord | ImportProblem


def _batches(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
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


# Rows go in through the database cursor, several to a statement: a model instance a row (and
# bulk_create's preparing of each field of each) cost more than the database's own work.
_IN_CHUNK = 900  # ids in one IN (…): under SQLite's old limit of 999 parameters


def _column(model: type[Model], name: str) -> str:
    """The quoted column of a field (a foreign key's "record" is "record_id")."""
    column = model._meta.get_field(name).column  # type: ignore[union-attr]
    return connection.ops.quote_name(str(column))


def _insert(
    model: type[Model],
    fields: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    returning: str | None = None,
) -> dict[Any, int]:
    """INSERT `rows` (values for `fields`, in order); with `returning`, {that column's value: id}.

    SQLite takes many rows a statement. PostgreSQL takes them through COPY, with ids drawn from
    the table's sequence beforehand when they are wanted: psycopg binds parameters on the client
    and parsing a statement with thousands of them costs more than the database's own work.
    """
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(_column(model, name) for name in fields)
    out: dict[Any, int] = {}
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            if returning:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [model._meta.db_table, len(rows)],
                )
                ids = [pk for (pk,) in cursor.fetchall()]
                key = list(fields).index(returning)
                out = {row[key]: pk for pk, row in zip(ids, rows, strict=True)}
                rows = [(pk, *row) for pk, row in zip(ids, rows, strict=True)]
                names = f"{_column(model, 'id')}, {names}"
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return out
        row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
        tail = f" RETURNING {_column(model, returning)}, {_column(model, 'id')}" if returning else ""
        per_statement = max(1, min(500, 30_000 // len(fields)))  # SQLite takes 32,766 parameters
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            sql = f"INSERT INTO {table} ({names}) VALUES {', '.join([row_sql] * len(chunk))}{tail}"
            cursor.execute(sql, [value for row in chunk for value in row])
            if returning:
                out.update(cursor.fetchall())
    return out


def _update(model: type[Model], fields: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """UPDATE rows by id: each row is the values of `fields`, then the id."""
    table = connection.ops.quote_name(model._meta.db_table)
    sets = ", ".join(f"{_column(model, name)} = %s" for name in fields)
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET {sets} WHERE {_column(model, 'id')} = %s", rows)


def _delete_children(record_ids: list[int]) -> None:
    for start in range(0, len(record_ids), _IN_CHUNK):
        chunk = record_ids[start : start + _IN_CHUNK]
        RecordCreator.objects.filter(record_id__in=chunk).delete()
        Identifier.objects.filter(record_id__in=chunk).delete()
        Subject.objects.filter(record_id__in=chunk).delete()


@transaction.atomic
def _import_batch(batch: Sequence[PreparedRecord], *, reindex: bool = True) -> ImportSummary:
    summary = ImportSummary()
    by_key: dict[tuple[str, str], PreparedRecord] = {}
    for prepared in batch:
        by_key[(prepared.source, prepared.source_key)] = prepared  # a later duplicate in one batch wins
    ids: dict[tuple[str, str], int] = {}
    for source in {s for s, _ in by_key}:
        keys = [k for s, k in by_key if s == source]
        for start in range(0, len(keys), _IN_CHUNK):
            found = Record.objects.filter(
                source=source, source_key__in=keys[start : start + _IN_CHUNK]
            ).values_list("source_key", "id")
            ids.update(((source, key), pk) for key, pk in found)
    existing = [key for key in by_key if key in ids]
    creators = _resolve_creators(by_key.values())

    now = Record._meta.get_field("updated_at").get_db_prep_save(timezone.now(), connection)
    extra = Record._meta.get_field("extra")
    new: dict[str, list[list[object]]] = {}
    for (source, _), prepared in by_key.items():
        if (source, prepared.source_key) not in ids:
            row = list(prepared.values)
            row[_EXTRA] = extra.get_db_prep_save(row[_EXTRA], connection)
            new.setdefault(source, []).append([*row, source, prepared.source_key, now, now])
    for source, rows in new.items():
        returned = _insert(
            Record,
            [*_RECORD_FIELDS, "source", "source_key", "created_at", "updated_at"],
            rows,
            returning="source_key",
        )
        ids.update(((source, str(key)), pk) for key, pk in returned.items())
    if existing:
        updates = []
        for key in existing:
            row = list(by_key[key].values)
            row[_EXTRA] = extra.get_db_prep_save(row[_EXTRA], connection)
            updates.append([*row, now, ids[key]])
        _update(Record, [*_RECORD_FIELDS, "updated_at"], updates)
        # Children are replaced whole: the source is the truth for what a record lists.
        _delete_children([ids[key] for key in existing])
    created = sum(len(rows) for rows in new.values())
    summary.created, summary.updated = created, len(existing)

    links: list[tuple[int, int, str, int, str]] = []
    identifiers: list[tuple[int, str, str, str]] = []
    subjects: list[tuple[int, str, str, str]] = []
    for key, prepared in by_key.items():
        record_id = ids[key]
        links.extend(
            (record_id, creators[ckey], role, position, as_given)
            for ckey, _, role, position, as_given in prepared.creators
        )
        identifiers.extend((record_id, *ident) for ident in prepared.identifiers)
        subjects.extend((record_id, *subject) for subject in prepared.subjects)
    if links:
        _insert(RecordCreator, ["record", "creator", "role", "position", "name_as_given"], links)
    if identifiers:
        _insert(Identifier, ["record", "scheme", "value", "qualifier"], identifiers)
    if subjects:
        _insert(Subject, ["record", "term", "scheme", "reading"], subjects)
    summary.record_ids = [ids[key] for key in by_key]
    if reindex:
        _queue_reindex(summary.record_ids)
    return summary


def import_records(
    items: Iterable[Item],
    *,
    batch_size: int = 500,
    on_progress: Callable[[int], None] | None = None,
    index_every: int = 0,
) -> ImportSummary:
    """Store records from an importer; problems the importer met are passed through into the summary.

    `items` may be a generator over a file of any size: it is consumed a batch at a time, so memory
    stays flat. BibRecords are prepared here; a reader running in another process hands over
    PreparedRecords instead (`prepare_record`). `on_progress(n)` is called after each batch with
    the number of items it held.

    With `index_every=0` each batch is made searchable as it commits, as every other change is.
    A bulk import passes a number of records instead: the search index then takes them that many
    at a time, and the rest at the end, in one write each, which costs a fraction of one write a
    batch. Records are then searchable a little after they are stored rather than at once; an
    import killed in between leaves up to that many stored but not yet searchable, until the same
    file is imported again (which updates, and so reindexes, every record in it) or the index is
    rebuilt (`manage.py rebuild_index`).
    """
    total = ImportSummary()
    pending: list[int] = []
    try:
        for batch in _batches(items, batch_size):
            records = [
                prepare_record(item) if isinstance(item, BibRecord) else item
                for item in batch
                if not isinstance(item, ImportProblem)
            ]
            total.problems.extend(item for item in batch if isinstance(item, ImportProblem))
            if records:
                summary = _import_batch(records, reindex=not index_every)
                total.merge(summary)
                if index_every:
                    pending.extend(summary.record_ids)
                    if len(pending) >= index_every:
                        _queue_reindex(pending)
                        pending = []
            if on_progress:
                on_progress(len(batch))
    finally:
        # Whatever was stored goes to the index, even when an error (or Ctrl-C) stops the import.
        _queue_reindex(pending)
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
    summary = _import_batch([prepare_record(bib)])
    return Record.objects.get(pk=summary.record_ids[0])


@transaction.atomic
def delete_record(*, record: Record) -> None:
    record_id = record.pk
    DeletedRecord.objects.update_or_create(
        record_id=record_id,
        defaults={
            "source": record.source,
            "source_key": record.source_key,
            "ndc": record.ndc,
            "deleted_at": timezone.now(),
        },
    )
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


def lock_holding(*, barcode: str) -> Holding:
    """The copy with this barcode, locked until the caller's transaction ends (circulation's
    checkout, return and hold handling serialise on it). Call inside `transaction.atomic`."""
    barcode = barcode.strip()
    try:
        # Only the copy's row: locking the joined branch too would queue every checkout at a branch
        # behind the one before it.
        return (
            Holding.objects.select_for_update(of=("self",))
            .select_related("record", "branch")
            .get(barcode=barcode)
        )
    except Holding.DoesNotExist:
        raise NotFound(
            f"資料番号 {barcode} の資料はありません (no copy with barcode {barcode})", code="item_not_found"
        ) from None


def update_holding_status(*, holding: Holding, status: HoldingStatus) -> None:
    """Set the status of a copy the caller has locked (lock_holding). Search follows after commit,
    as an availability change: coalesced with others, within about a second (search.availability)."""
    if holding.status != status.value:
        holding.status = status.value
        Holding.objects.filter(pk=holding.pk).update(status=status.value, updated_at=timezone.now())
        record_id = holding.record_id
        transaction.on_commit(lambda: hooks.availability_changed([record_id]))
