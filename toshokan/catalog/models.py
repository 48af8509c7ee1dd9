"""Bibliographic records, the people who made them, identifiers, subjects, branches and copies.

Text is stored exactly as the source gave it; search keys are derived elsewhere (toshokan.search).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from .domain.enums import CreatorRole, HoldingStatus, IdentifierScheme, MaterialType


def _choices(enum: type) -> list[tuple[str, str]]:
    return [(m.value, f"{m.label_ja} ({m.value})") for m in enum]  # type: ignore[attr-defined]


class NdcClass(models.Model):
    """A class of the Nippon Decimal Classification, 9th edition (JLA NDC9 LOD, CC BY)."""

    notation = models.CharField(max_length=32, primary_key=True)
    label_ja = models.CharField(max_length=255)
    label_en = models.CharField(max_length=255, blank=True)
    broader = models.CharField(max_length=32, blank=True)

    class Meta:
        verbose_name = "NDC分類"
        verbose_name_plural = "NDC分類"

    def __str__(self) -> str:
        return f"{self.notation} {self.label_ja}"


class Creator(models.Model):
    """A person or body (著者, 翻訳者 …) with the reading and romanised name librarians record."""

    name = models.CharField(max_length=255)
    reading = models.CharField(max_length=255, blank=True)
    romanized = models.CharField(max_length=255, blank=True)
    dates = models.CharField(max_length=64, blank=True)
    # The source's own person id ("aozora:000148"), or, where it has none, "name:" + the folded
    # name and dates, so the same heading in two records becomes one creator.
    authority_id = models.CharField(max_length=300, blank=True)
    reading_auto = models.CharField(max_length=255, blank=True, editable=False)
    romanized_auto = models.CharField(max_length=255, blank=True, editable=False)

    class Meta:
        verbose_name = "著者・作成者"
        verbose_name_plural = "著者・作成者"
        constraints = [
            models.UniqueConstraint(
                fields=["authority_id"], condition=~Q(authority_id=""), name="creator_authority_unique"
            )
        ]
        indexes = [models.Index(fields=["name"])]

    def __str__(self) -> str:
        return self.name


class Record(models.Model):
    """A bibliographic record (書誌): one work or edition as the catalogue describes it."""

    title = models.CharField(max_length=1000)
    title_reading = models.CharField("title reading (よみ)", max_length=1000, blank=True)
    title_romanized = models.CharField(max_length=1000, blank=True)
    # Made by the analyser (toshokan.core.japanese.readings) at import, never typed: a reading where
    # the source gives none, and the romaji of the title's own words (金の猫 → kane no neko).
    title_reading_auto = models.CharField(max_length=1000, blank=True, editable=False)
    title_romanized_auto = models.CharField(max_length=1000, blank=True, editable=False)
    subtitle = models.CharField(max_length=1000, blank=True)
    subtitle_reading = models.CharField(max_length=1000, blank=True)
    original_title = models.CharField(max_length=1000, blank=True)
    series = models.CharField(max_length=1000, blank=True)
    series_reading = models.CharField(max_length=1000, blank=True)
    volume = models.CharField(max_length=255, blank=True)
    publisher = models.CharField(max_length=500, blank=True)
    publication_place = models.CharField(max_length=255, blank=True)
    year = models.IntegerField(null=True, blank=True, db_index=True)
    date_text = models.CharField("date as given (和暦 etc.)", max_length=255, blank=True)
    edition = models.CharField(max_length=255, blank=True)
    extent = models.CharField(max_length=255, blank=True)
    ndc = models.CharField("NDC", max_length=32, blank=True, db_index=True)
    language = models.CharField(max_length=8, default="jpn")
    material_type = models.CharField(max_length=16, choices=_choices(MaterialType), default=MaterialType.BOOK)
    notes = models.TextField(blank=True)
    etext_url = models.URLField(max_length=500, blank=True)
    extra = models.JSONField(default=dict, blank=True)

    # Provenance: which source made this record, its key there, and where exactly it came from.
    source = models.CharField(max_length=32)
    source_key = models.CharField(max_length=255)
    provenance = models.CharField(max_length=1000, blank=True)

    creators = models.ManyToManyField(Creator, through="RecordCreator", related_name="records")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "書誌"
        verbose_name_plural = "書誌"
        constraints = [
            models.UniqueConstraint(fields=["source", "source_key"], name="record_source_key_unique")
        ]
        # Harvesters page through the catalogue by (datestamp, id): OAI-PMH (toshokan.archive.oai).
        indexes = [models.Index(fields=["updated_at", "id"], name="record_changed")]

    def __str__(self) -> str:
        return self.title


class DeletedRecord(models.Model):
    """A record that was deleted: its id and source key, and when — so that harvesters and copies
    elsewhere (OAI-PMH's deleted records) learn that it is gone. Nothing else of it is kept."""

    record_id = models.BigIntegerField(unique=True)
    source = models.CharField(max_length=32)
    source_key = models.CharField(max_length=255)
    ndc = models.CharField(max_length=32, blank=True)  # for harvesters' sets by class
    deleted_at = models.DateTimeField()

    class Meta:
        verbose_name = "削除された書誌"
        verbose_name_plural = "削除された書誌"
        indexes = [models.Index(fields=["deleted_at", "record_id"], name="deleted_record_changed")]

    def __str__(self) -> str:
        return f"{self.record_id} ({self.deleted_at:%Y-%m-%d})"


class RecordCreator(models.Model):
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="record_creators")
    creator = models.ForeignKey(Creator, on_delete=models.PROTECT, related_name="record_links")
    role = models.CharField(max_length=32, choices=_choices(CreatorRole), default=CreatorRole.AUTHOR)
    position = models.PositiveSmallIntegerField(default=0)
    name_as_given = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["record", "creator", "role"], name="record_creator_role_unique")
        ]

    def __str__(self) -> str:
        return f"{self.creator} ({self.role})"


class Identifier(models.Model):
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="identifiers")
    scheme = models.CharField(max_length=16, choices=[(s.value, s.value) for s in IdentifierScheme])
    value = models.CharField(max_length=64)
    qualifier = models.CharField(max_length=64, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["record", "scheme", "value"], name="identifier_unique_per_record")
        ]
        indexes = [models.Index(fields=["scheme", "value"])]

    def __str__(self) -> str:
        return f"{self.scheme}:{self.value}"


class Subject(models.Model):
    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="subjects")
    term = models.CharField(max_length=500)
    scheme = models.CharField(max_length=32, default="keyword")
    reading = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [models.Index(Lower("term"), name="subject_term_lower")]

    def __str__(self) -> str:
        return self.term


class Branch(models.Model):
    """A library building (館): the central library or a branch (分館)."""

    code = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=255)
    name_en = models.CharField(max_length=255, blank=True)
    address = models.CharField(max_length=500, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "館"
        verbose_name_plural = "館"
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name


class Holding(models.Model):
    """A physical copy (所蔵・資料) with its barcode, place on the shelf and status."""

    record = models.ForeignKey(Record, on_delete=models.CASCADE, related_name="holdings")
    branch = models.ForeignKey(Branch, on_delete=models.PROTECT, related_name="holdings")
    barcode = models.CharField(max_length=32, unique=True)
    location = models.CharField("location (配架場所)", max_length=64, blank=True)
    shelf_mark = models.CharField("shelf mark (請求記号)", max_length=64, blank=True)
    material_type = models.CharField(max_length=16, choices=_choices(MaterialType), default=MaterialType.BOOK)
    status = models.CharField(max_length=16, choices=_choices(HoldingStatus), default=HoldingStatus.AVAILABLE)
    note = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "所蔵"
        verbose_name_plural = "所蔵"
        indexes = [models.Index(fields=["record", "branch"])]

    def __str__(self) -> str:
        return self.barcode
