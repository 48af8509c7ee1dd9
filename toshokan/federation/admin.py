"""The library registry in the admin: staff with the federation permissions (view/add/change/delete
library system) manage the systems a check can ask and their libraries.

Rows loaded from the registry file say so (`source`) and are overwritten when the file is loaded again;
rows added here are never removed by a load. Data from OpenStreetMap carries its ODbL attribution,
shown in the list as the licence asks.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from . import selectors
from .models import CheckConfig, LibraryBranch, LibrarySystem


class LibraryBranchInline(admin.StackedInline[LibraryBranch, LibrarySystem]):
    model = LibraryBranch
    extra = 0
    fields = (
        ("libkey", "category"),
        ("formal", "short"),
        ("postcode", "address", "city"),
        ("tel", "isil", "url"),
        ("longitude", "latitude"),
        "branch",
        ("position", "source"),
    )
    readonly_fields = ("source",)


class SourceFilter(admin.SimpleListFilter):
    title = "source"
    parameter_name = "source"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("file", "registry file"), ("admin", "added in the admin")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "file":
            return queryset.filter(source__startswith="file:")
        if self.value() == "admin":
            return queryset.filter(source="admin")
        return queryset


@admin.register(LibrarySystem)
class LibrarySystemAdmin(admin.ModelAdmin[LibrarySystem]):
    list_display = ("systemid", "name", "pref", "city", "connector", "library_count", "source", "attribution")
    list_filter = ("connector", "pref", SourceFilter)
    search_fields = (
        "systemid",
        "name",
        "pref",
        "city",
        "branches__formal",
        "branches__libkey",
        "branches__isil",
    )
    readonly_fields = ("source", "updated_at")
    inlines = [LibraryBranchInline]
    list_per_page = 100
    fieldsets = (
        (None, {"fields": ("systemid", "name", ("pref", "city"))}),
        ("Connection", {"fields": ("connector", "endpoint", "timeout_s", "options", "reserve_url")}),
        ("Provenance", {"fields": ("source", "attribution", "position", "updated_at")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[LibrarySystem]:
        queryset: QuerySet[LibrarySystem] = super().get_queryset(request)
        return queryset.annotate(library_count=Count("branches", distinct=True))

    @admin.display(description="libraries", ordering="library_count")
    def library_count(self, obj: Any) -> int:
        return int(getattr(obj, "library_count", 0))

    def get_search_results(self, request: HttpRequest, queryset: QuerySet[Any], search_term: str) -> Any:
        qs, _ = super().get_search_results(request, queryset, search_term)
        # Searching across branches can match one system many times.
        return qs.distinct(), False

    def save_model(self, request: HttpRequest, obj: LibrarySystem, form: Any, change: bool) -> None:
        if not change:
            obj.source = "admin"
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        selectors.forget_registry()

    def delete_model(self, request: HttpRequest, obj: LibrarySystem) -> None:
        super().delete_model(request, obj)
        selectors.forget_registry()


@admin.register(LibraryBranch)
class LibraryBranchAdmin(admin.ModelAdmin[LibraryBranch]):
    """Every library across systems, for finding one by name, ISIL or place."""

    list_display = ("formal", "libkey", "system", "pref", "city_shown", "category", "isil", "attribution")
    list_filter = ("category", "system__connector", "system__pref")
    search_fields = ("formal", "short", "libkey", "address", "isil", "system__systemid", "system__name")
    list_select_related = ("system",)
    readonly_fields = ("source",)
    list_per_page = 100

    @admin.display(description="prefecture", ordering="system__pref")
    def pref(self, obj: LibraryBranch) -> str:
        return obj.system.pref

    @admin.display(description="municipality")
    def city_shown(self, obj: LibraryBranch) -> str:
        return obj.city or obj.system.city

    @admin.display(description="attribution")
    def attribution(self, obj: LibraryBranch) -> str:
        return obj.system.attribution

    def save_model(self, request: HttpRequest, obj: LibraryBranch, form: Any, change: bool) -> None:
        if not change:
            obj.source = "admin"
        super().save_model(request, obj, form, change)
        selectors.forget_registry()


@admin.register(CheckConfig)
class CheckConfigAdmin(admin.ModelAdmin[CheckConfig]):
    list_display = ("deadline_s", "source", "updated_at")
    readonly_fields = ("source", "updated_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return not CheckConfig.objects.exists() and super().has_add_permission(request)
