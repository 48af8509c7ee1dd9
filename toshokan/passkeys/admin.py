"""Passkeys in Django's admin: to see who has which, and to remove one for its owner (a patron who
lost the phone that held it). Nothing can be added or edited here — a passkey is made only by its
owner's authenticator — and no key material is shown. Removing a patron's passkey appends an
audit event (services.remove_passkey)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from toshokan.core import audit

from . import services
from .models import Passkey

SHOWN: tuple[str, ...] = (
    "name",
    "patron",
    "user",
    "created_at",
    "last_used_at",
    "aaguid",
    "transports",
    "backup_eligible",
    "backed_up",
    "sign_count",
)


@admin.register(Passkey)
class PasskeyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name", "owner", "created_at", "last_used_at", "backup_eligible", "backed_up"]
    list_filter = [("patron", admin.EmptyFieldListFilter), ("user", admin.EmptyFieldListFilter)]
    search_fields = ["=patron__card_number", "user__username", "name"]
    list_select_related = ["patron", "user"]
    fields = SHOWN
    readonly_fields = SHOWN

    @admin.display(description="持ち主 (owner)")
    def owner(self, passkey: Passkey) -> str:
        if passkey.patron is not None:
            return f"利用者 {passkey.patron.card_number}"
        return f"職員 {passkey.user.get_username()}" if passkey.user is not None else ""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def delete_model(self, request: HttpRequest, obj: Passkey) -> None:
        services.remove_passkey(passkey=obj, by=audit.by_request(request, audit.Via.ADMIN))

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Passkey]) -> None:
        by = audit.by_request(request, audit.Via.ADMIN)
        for passkey in queryset:
            services.remove_passkey(passkey=passkey, by=by)
