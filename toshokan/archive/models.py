"""The digital archive: collections, items with their curators' metadata, and the images of each item.

An item's fields are Dublin Core's, extended with what Japan Search (ジャパンサーチ) and JPCOAR ask for:
the title's reading, the date as the source gives it (和暦) beside a year or range in the Western calendar,
a place with coordinates, a call number, and rights (二次利用条件) stated separately for the metadata,
the thumbnails and the content. Rights values are URIs from toshokan.archive.domain.rights.

Images keep the untrusted original under the archive directory (never served), and a tile pyramid of
published derivatives made at ingest (toshokan.archive.iiif.pyramid) that the IIIF Image API serves.
"""

from __future__ import annotations

import os

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import Q

from .domain import rights
from .domain.kinds import LABELS_JA, ItemKind


def archive_root() -> str:
    """Where originals and pyramids live: the TOSHOKAN_ARCHIVE_DIR setting or environment variable, by
    default var/archive."""
    configured = getattr(settings, "TOSHOKAN_ARCHIVE_DIR", None) or os.environ.get("TOSHOKAN_ARCHIVE_DIR")
    return str(configured or settings.VAR_DIR / "archive")


class ArchiveStorage(FileSystemStorage):
    """The archive directory, looked up on every use (not once at start-up), so that a changed setting
    and each test's own directory are honoured."""

    @property
    def base_location(self) -> str:
        return archive_root()

    @property
    def location(self) -> str:
        return os.path.abspath(self.base_location)


def archive_storage() -> FileSystemStorage:
    return ArchiveStorage()


def validate_rights(value: str) -> None:
    try:
        if rights.canonical_rights(value) != value:
            raise ValidationError(f"write the rights URI as {rights.canonical_rights(value)}")
    except rights.RightsError as exc:
        raise ValidationError(str(exc)) from exc


def _rights_field(verbose: str) -> models.CharField[str, str]:
    return models.CharField(
        verbose,
        max_length=200,
        choices=rights.choices(),
        default=rights.CommonRights.NOT_EVALUATED.value,
        validators=[validate_rights],
    )


class Collection(models.Model):
    """A collection (コレクション): a set of items shown together and harvested as one set."""

    slug = models.SlugField(max_length=64, unique=True, allow_unicode=False)
    title = models.CharField(max_length=500)
    title_reading = models.CharField("title reading (よみ)", max_length=500, blank=True)
    description = models.TextField(blank=True)
    credit = models.CharField("credit line (出典表示)", max_length=500, blank=True)
    published = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "コレクション"
        verbose_name_plural = "コレクション"
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.title


class ArchiveItem(models.Model):
    """One archive item (資料): a book, a document, a photograph, a map — with one or more images."""

    collection = models.ForeignKey(Collection, on_delete=models.PROTECT, related_name="items")
    identifier = models.SlugField("identifier (資料ID)", max_length=100, unique=True)
    title = models.CharField(max_length=1000)
    title_reading = models.CharField("title reading (よみ)", max_length=1000, blank=True)
    alternative_title = models.CharField(max_length=1000, blank=True)
    creator = models.CharField(max_length=500, blank=True)
    creator_reading = models.CharField(max_length=500, blank=True)
    publisher = models.CharField(max_length=500, blank=True)
    date_text = models.CharField("date as given (和暦 etc.)", max_length=255, blank=True)
    year_start = models.IntegerField("year (西暦) from", null=True, blank=True, db_index=True)
    year_end = models.IntegerField("year (西暦) to", null=True, blank=True)
    place_name = models.CharField(max_length=500, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    subjects = models.JSONField("subjects (件名)", default=list, blank=True)
    kind = models.CharField(
        "kind (資料種別)",
        max_length=16,
        choices=[(k.value, LABELS_JA[k]) for k in ItemKind],
        default=ItemKind.OTHER.value,
    )
    extent = models.CharField("extent (数量・大きさ)", max_length=255, blank=True)
    source = models.CharField("source (出典・原資料)", max_length=1000, blank=True)
    call_number = models.CharField("call number (請求記号)", max_length=255, blank=True)
    language = models.CharField(max_length=8, default="jpn")
    description = models.TextField(blank=True)
    credit = models.CharField("credit line (出典表示)", max_length=500, blank=True)
    rights_metadata = _rights_field("rights: metadata (メタデータの二次利用条件)")
    rights_thumbnail = _rights_field("rights: thumbnails (サムネイルの二次利用条件)")
    rights_content = _rights_field("rights: content (コンテンツの二次利用条件)")
    record = models.ForeignKey(
        "catalog.Record",
        verbose_name="catalogue record (書誌)",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="archive_items",
    )
    published = models.BooleanField(default=False, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "アーカイブ資料"
        verbose_name_plural = "アーカイブ資料"
        ordering = ["collection", "identifier"]
        constraints = [
            models.CheckConstraint(
                condition=Q(year_start__isnull=True)
                | Q(year_end__isnull=True)
                | Q(year_end__gte=models.F("year_start")),
                name="archive_item_year_range_ordered",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="archive_item_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="archive_item_longitude_range",
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(latitude__isnull=False, longitude__isnull=False),
                name="archive_item_coordinates_together",
            ),
        ]
        indexes = [models.Index(fields=["updated_at", "id"], name="archive_item_changed")]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.year_start is not None and self.year_end is not None and self.year_end < self.year_start:
            errors["year_end"] = "the range ends before it starts"
        if (self.latitude is None) != (self.longitude is None):
            errors["longitude"] = "give both latitude and longitude, or neither"
        if not isinstance(self.subjects, list) or not all(isinstance(s, str) for s in self.subjects):
            errors["subjects"] = 'a list of subject headings, e.g. ["和算", "江戸時代"]'
        if errors:
            raise ValidationError(errors)

    @property
    def is_public(self) -> bool:
        return self.published and self.collection.published


class ArchiveImage(models.Model):
    """One page or photograph of an item, with its IIIF identifier and its tile pyramid.

    `original` is the file as uploaded (kept for preservation, never served); the pyramid under
    `pyramid_path` holds the derivatives, made without EXIF/GPS unless `keep_metadata` is set.
    """

    item = models.ForeignKey(ArchiveItem, on_delete=models.CASCADE, related_name="images")
    identifier = models.CharField("IIIF identifier", max_length=200, unique=True)
    sequence = models.PositiveIntegerField()
    label = models.CharField(max_length=255, blank=True)
    original = models.FileField(storage=archive_storage, upload_to="originals/%Y/%m", max_length=500)
    original_name = models.CharField(max_length=255, blank=True)
    media_type = models.CharField(max_length=32)
    byte_size = models.BigIntegerField()
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    tile_size = models.PositiveIntegerField(default=512)
    scale_factors = models.JSONField(default=list)
    pyramid_path = models.CharField("tile pyramid (under the archive directory)", max_length=500)
    keep_metadata = models.BooleanField(
        "keep EXIF/GPS in published images",
        default=False,
        help_text="only on purpose: location and camera data then reach everyone who views the image",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "画像"
        verbose_name_plural = "画像"
        ordering = ["item", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["item", "sequence"], name="archive_image_sequence_unique"),
            models.CheckConstraint(
                condition=Q(width__gt=0) & Q(height__gt=0), name="archive_image_has_pixels"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item.identifier} #{self.sequence}"


class DeletedItem(models.Model):
    """An item that was deleted: its id, identifier and collection, and when — so that harvesters
    (OAI-PMH's deleted records) learn that it is gone. Nothing else of it is kept."""

    item_id = models.BigIntegerField(unique=True)
    identifier = models.CharField(max_length=100)
    collection_slug = models.CharField(max_length=64)
    deleted_at = models.DateTimeField()

    class Meta:
        verbose_name = "削除されたアーカイブ資料"
        verbose_name_plural = "削除されたアーカイブ資料"
        indexes = [models.Index(fields=["deleted_at", "item_id"], name="archive_deleted_changed")]

    def __str__(self) -> str:
        return f"{self.identifier} ({self.deleted_at:%Y-%m-%d})"
