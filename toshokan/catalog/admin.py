"""The catalogue in Django's admin: records with their creators, identifiers, subjects and copies;
creators, branches, copies and NDC classes; and an "Import records" page for staff.

Edits here are ORM saves, so each one ends like the services' writes do: the records it touched
are reindexed once the transaction commits, and a changed title gets its generated reading again.
The import page runs `services.import_records` on the uploaded file, the same path as
`manage.py import_catalog`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse

from toshokan.core import hooks

from . import selectors, services
from .domain.records import BibRecord
from .exporters import EXPORTERS, ExportFormat, export_many
from .importers.registry import FORMAT_LABELS, read_stream, sniff_format
from .models import Branch, Creator, Holding, Identifier, NdcClass, Record, RecordCreator, Subject

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def _reindex_on_commit(record_ids: Iterable[int]) -> None:
    ids = sorted(set(record_ids))
    if ids:
        transaction.on_commit(lambda: hooks.records_changed(ids))


class RecordCreatorInline(admin.TabularInline):  # type: ignore[type-arg]
    model = RecordCreator
    extra = 0
    autocomplete_fields = ["creator"]
    fields = ["position", "creator", "role", "name_as_given"]
    ordering = ["position"]


class IdentifierInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Identifier
    extra = 0
    fields = ["scheme", "value", "qualifier"]


class SubjectInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Subject
    extra = 0
    fields = ["term", "scheme", "reading"]


class HoldingInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Holding
    extra = 0
    fields = ["barcode", "branch", "location", "shelf_mark", "material_type", "status", "note"]
    show_change_link = True


@admin.register(Record)
class RecordAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["title", "subtitle", "year", "ndc", "material_type", "language", "source"]
    list_filter = ["material_type", "source", "language"]
    search_fields = [
        "title",
        "title_reading",
        "title_romanized",
        "title_reading_auto",
        "title_romanized_auto",
    ]
    readonly_fields = ["title_reading_auto", "title_romanized_auto", "provenance", "created_at", "updated_at"]
    inlines = [RecordCreatorInline, IdentifierInline, SubjectInline, HoldingInline]
    actions = ["export_marcxml", "export_csv"]
    change_list_template = "admin/catalog/record/change_list.html"
    fieldsets = [
        (None, {"fields": ["title", "title_reading", "title_romanized", "subtitle", "subtitle_reading", "volume"]}),
        ("標目・版・出版 Edition and imprint", {"fields": [
            "original_title", "series", "series_reading", "edition", "publisher", "publication_place", "year",
            "date_text", "extent"]}),
        ("分類・言語 Classification", {"fields": ["ndc", "language", "material_type", "notes", "etext_url"]}),
        ("出典 Source", {"fields": ["source", "source_key", "provenance", "extra"]}),
        ("自動生成 Generated", {"classes": ["collapse"], "fields": [
            "title_reading_auto", "title_romanized_auto", "created_at", "updated_at"]}),
    ]  # fmt: skip

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        import uuid

        return {
            "source": "manual",
            "source_key": uuid.uuid4().hex,
            **super().get_changeform_initial_data(request),
        }

    def save_model(self, request: HttpRequest, obj: Record, form: Any, change: bool) -> None:
        derived = services.derive_keys(
            BibRecord(
                source=obj.source, source_key=obj.source_key, title=obj.title, title_reading=obj.title_reading
            )
        )
        for name, value in derived.items():
            setattr(obj, name, value)
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        _reindex_on_commit([form.instance.pk])

    def delete_model(self, request: HttpRequest, obj: Record) -> None:
        services.delete_record(record=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Record]) -> None:
        for record in queryset:
            services.delete_record(record=record)

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="catalog_record_import",
            )
        ]
        return own + super().get_urls()

    def _export(self, fmt: ExportFormat, queryset: QuerySet[Record]) -> HttpResponse:
        records = selectors.records_by_ids(list(queryset.order_by("pk").values_list("pk", flat=True)[:5000]))
        exporter = EXPORTERS[fmt]
        response = HttpResponse(b"".join(export_many(fmt, records)), content_type=exporter.content_type)
        response["Content-Disposition"] = f'attachment; filename="records.{exporter.extension}"'
        return response

    @admin.action(description="選択した書誌をMARCXMLで書き出す / Export selected as MARCXML")
    def export_marcxml(self, request: HttpRequest, queryset: QuerySet[Record]) -> HttpResponse:
        return self._export(ExportFormat.MARCXML, queryset)

    @admin.action(description="選択した書誌をCSVで書き出す / Export selected as CSV")
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Record]) -> HttpResponse:
        return self._export(ExportFormat.CSV, queryset)

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not (request.user.is_staff and request.user.has_perm("catalog.add_record")):
            raise PermissionDenied
        summary = None
        fmt = ""
        name = ""
        if request.method == "POST":
            try:
                declared = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                declared = 0
            if declared > MAX_UPLOAD_BYTES + 64 * 1024:
                form = ImportForm()
                form.add_error(None, f"ファイルが大きすぎます (上限 {MAX_UPLOAD_BYTES // (1024 * 1024)} MB)。"
                               "大きなファイルは manage.py import_catalog で取り込んでください。")  # fmt: skip
            else:
                form = ImportForm(request.POST, request.FILES)
                if form.is_valid():
                    upload = form.cleaned_data["file"]
                    fmt = form.cleaned_data["format"]
                    name = upload.name
                    upload.seek(0)
                    summary = services.import_records(read_stream(fmt, upload.file, name))
                    level = messages.WARNING if summary.problems else messages.SUCCESS
                    self.message_user(
                        request,
                        f"「{name}」: {summary.imported} 件取り込み (新規 {summary.created}・更新 {summary.updated})、"
                        f"問題 {len(summary.problems)} 件",
                        level,
                    )
                    form = ImportForm()
        else:
            form = ImportForm()
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "書誌の取り込み / Import records",
            "form": form,
            "summary": summary,
            "format": fmt,
            "format_label": FORMAT_LABELS.get(fmt, fmt),
            "file_name": name,
            "imported_records": Record.objects.filter(pk__in=summary.record_ids[:50]).order_by("pk")
            if summary
            else [],
            "changelist_url": reverse("admin:catalog_record_changelist"),
            "max_mb": MAX_UPLOAD_BYTES // (1024 * 1024),
        }
        return TemplateResponse(request, "admin/catalog/record/import.html", context)


class ImportForm(forms.Form):
    file = forms.FileField(label="ファイル / File")
    format = forms.ChoiceField(
        label="形式 / Format",
        choices=[("auto", "自動判定 / Detect from the file"), *FORMAT_LABELS.items()],
        initial="auto",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        upload = data.get("file")
        if upload is None:
            return data
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"ファイルが大きすぎます ({upload.size / 1048576:.1f} MB; 上限 {MAX_UPLOAD_BYTES // 1048576} MB)。"
                "大きなファイルは manage.py import_catalog で取り込んでください。"
            )
        if data.get("format") in (None, "", "auto"):
            upload.seek(0)
            head = upload.read(8192)
            upload.seek(0)
            fmt = sniff_format(upload.name, head)
            if fmt is None:
                raise forms.ValidationError(
                    "形式を判定できません。形式を選んでください / Cannot tell the format; choose one."
                )
            data["format"] = fmt
        return data


@admin.register(Creator)
class CreatorAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "reading", "romanized", "dates", "authority_id"]
    search_fields = ["name", "reading", "romanized", "reading_auto", "romanized_auto", "authority_id"]
    readonly_fields = ["reading_auto", "romanized_auto"]

    def save_model(self, request: HttpRequest, obj: Creator, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        _reindex_on_commit(obj.record_links.values_list("record_id", flat=True))


@admin.register(Branch)
class BranchAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["code", "name", "name_en", "position"]
    search_fields = ["code", "name", "name_en"]
    ordering = ["position", "code"]


@admin.register(Holding)
class HoldingAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["barcode", "record", "branch", "shelf_mark", "location", "status"]
    list_filter = ["branch", "status", "material_type"]
    search_fields = ["barcode", "shelf_mark", "record__title"]
    autocomplete_fields = ["record"]
    list_select_related = ["record", "branch"]

    def save_model(self, request: HttpRequest, obj: Holding, form: Any, change: bool) -> None:
        previous = (
            Holding.objects.filter(pk=obj.pk).values_list("record_id", flat=True).first() if obj.pk else None
        )
        super().save_model(request, obj, form, change)
        _reindex_on_commit([obj.record_id] + ([previous] if previous else []))

    def delete_model(self, request: HttpRequest, obj: Holding) -> None:
        record_id = obj.record_id
        super().delete_model(request, obj)
        _reindex_on_commit([record_id])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Holding]) -> None:
        ids = list(queryset.values_list("record_id", flat=True))
        super().delete_queryset(request, queryset)
        _reindex_on_commit(ids)


@admin.register(NdcClass)
class NdcClassAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["notation", "label_ja", "label_en", "broader"]
    search_fields = ["notation", "label_ja", "label_en"]
    ordering = ["notation"]
