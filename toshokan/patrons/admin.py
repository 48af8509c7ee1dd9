"""Patrons, their blocks and the audit of staff views in Django's admin.

New patrons are registered at the desk (/desk/patrons/new), where registration issues a card
number with its check digit; the admin edits details of existing patrons. Opening a patron here
writes a StaffAccess row and an audit event (via "admin"), as the desk does; saving a change, or
adding, lifting or removing a block, appends an audit event naming the fields changed. No PIN hash is shown, and the reading
history setting is the patron's own choice, so it is read-only here. Nothing a patron borrowed is
shown (circulation's loans and holds are not in the admin at all).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest, HttpResponse

from toshokan.core import audit

from . import services
from .domain.enums import StaffAccessKind
from .models import Patron, PatronBlock, StaffAccess


def _by(request: HttpRequest) -> audit.By:
    return audit.by_request(request, audit.Via.ADMIN)


class PatronBlockInline(admin.TabularInline):  # type: ignore[type-arg]
    model = PatronBlock
    extra = 0
    fields = ["reason", "note", "created_at", "created_by", "lifted_at", "lifted_by"]
    readonly_fields = ["created_at", "created_by", "lifted_at", "lifted_by"]


@admin.register(Patron)
class PatronAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["card_number", "display_name", "name_reading", "category", "home_branch", "expires_on"]
    list_filter = ["category", "residency", "home_branch"]
    search_fields = ["=card_number", "family_name", "name_reading"]
    list_select_related = ["home_branch"]
    exclude = ["pin_hash"]
    readonly_fields = ["card_number", "registered_on", "reading_history", "created_at", "updated_at"]
    inlines = [PatronBlockInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # registration is at the desk, which issues the card number

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        patron = self.get_object(request, object_id)
        if patron is not None:
            services.record_staff_access(
                actor=request.user,
                patron=patron,
                kind=StaffAccessKind.PROFILE,
                via="admin",
                client_address=audit.client_address(request),
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def save_model(self, request: HttpRequest, obj: Patron, form: Any, change: bool) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            if change and form.changed_data:
                services.record_change(by=_by(request), patron=obj, fields=sorted(form.changed_data))

    @transaction.atomic
    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        by = _by(request)
        for block in formset.save(commit=False):
            new = block.pk is None
            if new:
                block.created_by = request.user
            block.save()
            if new:
                audit.record(
                    by=by,
                    action=audit.Action.BLOCKED,
                    patron_id=block.patron_id,
                    reason=block.note,
                    detail={"block": block.pk, "block_reason": block.reason},
                )
            else:
                services.record_change(by=by, patron=block.patron, fields=[f"block {block.pk}"])
        for block in formset.deleted_objects:
            services.record_change(by=by, patron=block.patron, fields=[f"block {block.pk} deleted"])
            block.delete()


@admin.register(StaffAccess)
class StaffAccessAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Who looked at whose records, when and how: read-only."""

    list_display = ["at", "actor", "patron", "kind", "via"]
    list_filter = ["kind", "via"]
    search_fields = ["=patron__card_number", "actor__username"]
    list_select_related = ["actor", "patron"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: StaffAccess | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: StaffAccess | None = None) -> bool:
        return False
