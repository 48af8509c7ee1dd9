"""Certificate links in the admin, read-only: staff can see which card certificate belongs to whom
(to settle an identity_conflict at the desk), but links change only through the services."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import CertificateLink


@admin.register(CertificateLink)
class CertificateLinkAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("patron", "kind", "serial", "not_after", "linked_at", "ended_at", "end_reason")
    list_filter = ("kind", "end_reason")
    search_fields = ("patron__card_number", "serial")
    readonly_fields = (
        "patron",
        "kind",
        "issuer",
        "serial",
        "not_after",
        "linked_at",
        "ended_at",
        "end_reason",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
