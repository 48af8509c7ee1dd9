"""The digital archive in Django's admin: collections, items with their curators' metadata, and images.

Images come in through the ingest service (manage.py ingest_images, or the upload field on an item's
page here), which checks and tiles them; the admin shows an image's facts and lets the curator change
its label, order and whether EXIF/GPS are kept — the files themselves are not edited here.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from . import services
from .models import ArchiveImage, ArchiveItem, Collection


@admin.register(Collection)
class CollectionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["slug", "title", "published", "updated_at"]
    list_filter = ["published"]
    search_fields = ["slug", "title", "title_reading"]


class ArchiveImageInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ArchiveImage
    extra = 0
    fields = [
        "sequence",
        "label",
        "identifier",
        "info_link",
        "width",
        "height",
        "media_type",
        "keep_metadata",
    ]
    readonly_fields = ["identifier", "info_link", "width", "height", "media_type", "keep_metadata"]
    show_change_link = True

    @admin.display(description="IIIF info.json")
    def info_link(self, image: ArchiveImage) -> str:
        return format_html('<a href="/iiif/3/{}/info.json">info.json</a>', image.identifier)


class ArchiveItemForm(forms.ModelForm):  # type: ignore[type-arg]
    upload = forms.FileField(
        required=False,
        label="add an image (JPEG, PNG, TIFF)",
        help_text="checked and tiled on save; added as the next page",
    )
    keep_metadata = forms.BooleanField(
        required=False, label="keep EXIF/GPS in the published image (only on purpose)"
    )

    class Meta:
        model = ArchiveItem
        fields = [
            "collection", "identifier", "published", "record", "title", "title_reading", "alternative_title",
            "creator", "creator_reading", "publisher", "date_text", "year_start", "year_end", "kind", "extent",
            "subjects", "language", "source", "call_number", "description", "place_name", "latitude",
            "longitude", "rights_metadata", "rights_thumbnail", "rights_content", "credit",
        ]  # fmt: skip


@admin.register(ArchiveItem)
class ArchiveItemAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = ArchiveItemForm
    list_display = ["identifier", "title", "collection", "kind", "date_text", "year_start", "published"]
    list_filter = ["collection", "kind", "published"]
    search_fields = ["identifier", "title", "title_reading", "creator", "call_number"]
    raw_id_fields = ["record"]
    inlines = [ArchiveImageInline]
    fieldsets = [
        (None, {"fields": ["collection", "identifier", "published", "record"]}),
        ("Description (Dublin Core, JPCOAR)", {"fields": [
            "title", "title_reading", "alternative_title", "creator", "creator_reading", "publisher",
            "date_text", "year_start", "year_end", "kind", "extent", "subjects", "language", "source",
            "call_number", "description",
        ]}),
        ("Place", {"fields": ["place_name", "latitude", "longitude"]}),
        ("Rights (二次利用条件)", {"fields": ["rights_metadata", "rights_thumbnail", "rights_content", "credit"]}),
        ("Images", {"fields": ["upload", "keep_metadata"]}),
    ]  # fmt: skip

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        upload = form.cleaned_data.get("upload")
        if upload is None:
            return
        try:
            image = services.ingest_image(
                item=form.instance,
                stream=upload,
                name=upload.name,
                content_type=upload.content_type,
                keep_metadata=form.cleaned_data.get("keep_metadata", False),
            )
        except services.IngestRefused as exc:
            messages.error(request, f"画像を取り込めませんでした / image refused: {exc}")
        else:
            messages.success(request, f"{image.identifier}: {image.width} × {image.height}")

    # Deleting leaves a tombstone for harvesters and removes the images' files (services.delete_item).
    def delete_model(self, request: HttpRequest, obj: ArchiveItem) -> None:
        services.delete_item(item=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ArchiveItem]) -> None:
        for item in queryset:
            services.delete_item(item=item)


@admin.register(ArchiveImage)
class ArchiveImageAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["identifier", "item", "sequence", "label", "width", "height", "keep_metadata"]
    search_fields = ["identifier", "item__identifier", "item__title"]
    fields = [
        "item", "identifier", "sequence", "label", "original_name", "media_type", "byte_size", "sha256",
        "width", "height", "tile_size", "scale_factors", "pyramid_path", "keep_metadata",
    ]  # fmt: skip
    readonly_fields = [
        "item", "identifier", "original_name", "media_type", "byte_size", "sha256", "width", "height",
        "tile_size", "scale_factors", "pyramid_path", "keep_metadata",
    ]  # fmt: skip

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # images come in through the ingest service, never as bare rows
