"""Circulation in Django's admin: the rules, the branches' calendars, the library-wide settings
and the staff's service points, which managers edit; transits and the anonymous statistics, read
only.

Loans, holds, reading history and suspensions are deliberately *not* here. The admin keeps a log
(django.contrib.admin's LogEntry) of every change with the object's name, and a loan or hold
edited here would leave "patron × title" in that log long after the loan ended — exactly the
link the library promises to cut (図書館の自由に関する宣言 第3). Staff see and change loans and
holds at the desk (/desk/), where the services do the work and every view is audited.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import (
    CirculationEvent,
    CirculationRule,
    CirculationSettings,
    ClosedDay,
    ReadingRecordExport,
    ServicePoint,
    Transit,
    WeeklyClosure,
)


@admin.register(CirculationRule)
class CirculationRuleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = [
        "patron_category",
        "material_type",
        "branch",
        "loan_days",
        "max_loans",
        "max_renewals",
        "max_holds",
        "hold_pickup_days",
    ]
    list_filter = ["patron_category", "material_type", "branch"]
    list_select_related = ["branch"]


@admin.register(CirculationSettings)
class CirculationSettingsAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["__str__", "overdue_mode", "due_soon_days", "hold_not_needed_days"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # One row for the whole library.
        return super().has_add_permission(request) and not CirculationSettings.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: CirculationSettings | None = None) -> bool:
        return False


@admin.register(WeeklyClosure)
class WeeklyClosureAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["branch", "weekday"]
    list_filter = ["branch", "weekday"]


@admin.register(ClosedDay)
class ClosedDayAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["date", "branch", "kind", "note"]
    list_filter = ["kind", "branch"]
    date_hierarchy = "date"
    ordering = ["-date"]


@admin.register(ServicePoint)
class ServicePointAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["user", "branch"]
    list_filter = ["branch"]
    autocomplete_fields = ["user"]


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(Transit)
class TransitAdmin(ReadOnlyAdmin):
    """Copies between branches (no patron here: a hold's transit names only the pickup branch)."""

    list_display = ["holding", "from_branch", "to_branch", "reason", "sent_at"]
    list_filter = ["reason", "from_branch", "to_branch"]
    list_select_related = ["holding", "from_branch", "to_branch"]


@admin.register(CirculationEvent)
class CirculationEventAdmin(ReadOnlyAdmin):
    """Anonymous statistics: what, where, when, what kind — never who or which copy."""

    list_display = ["on", "kind", "branch", "material_type", "patron_category", "ndc"]
    list_filter = ["kind", "branch", "material_type", "patron_category"]
    date_hierarchy = "on"


@admin.register(ReadingRecordExport)
class ReadingRecordExportAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Warrant export requests, to read only: they are made, decided and downloaded at
    /staff/exports, where each step needs a second member of staff and is audited."""

    list_display = [
        "pk",
        "card_number",
        "state",
        "requested_by_name",
        "requested_at",
        "decided_by_name",
        "downloaded_at",
    ]
    list_filter = ["state"]
    search_fields = ["=card_number"]
    readonly_fields = [f.name for f in ReadingRecordExport._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ReadingRecordExport | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ReadingRecordExport | None = None) -> bool:
        return False
