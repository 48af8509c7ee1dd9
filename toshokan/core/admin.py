"""Staff API tokens in the admin: list, name and revoke them. A new token is made with
`manage.py create_api_token USER` or here (the token is shown once, in the message after saving)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from . import tokens
from .domain.audit import Action
from .models import ApiToken, AuditEvent


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = ["prefix", "name", "user", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "prefix", "user__username"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    fields = ["user", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def has_change_permission(self, request: HttpRequest, obj: ApiToken | None = None) -> bool:
        return obj is None and super().has_change_permission(request, obj)

    def save_model(self, request: HttpRequest, obj: ApiToken, form: Any, change: bool) -> None:
        if change:
            return
        row, token = tokens.create_api_token(user=obj.user, name=obj.name)
        obj.pk = row.pk
        messages.warning(request, f"トークン (この一度だけ表示されます / shown only once): {token}")

    @admin.action(description="選択したトークンを失効させる (revoke)")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        messages.info(request, f"{count} 件を失効させました")


AUDIT_FIELDS = (
    "seq",
    "at",
    "action",
    "via",
    "actor_id",
    "actor_username",
    "patron_id",
    "reason",
    "client_address",
    "detail",
    "prev_hash",
    "hash",
)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin[AuditEvent]):
    """The audit log, to read and search only: nothing can be added, changed or deleted here
    (the model and the database refuse it too; docs/audit.md)."""

    list_display = [
        "seq",
        "at",
        "action_label",
        "actor_username",
        "patron_id",
        "via",
        "reason",
        "client_address",
    ]
    list_filter = ["action", "via"]
    search_fields = ["=patron_id", "=actor_username", "reason"]
    date_hierarchy = "at"
    ordering = ["-seq"]
    actions = None
    fields = AUDIT_FIELDS
    readonly_fields = AUDIT_FIELDS

    @admin.display(description="操作", ordering="action")
    def action_label(self, obj: AuditEvent) -> str:
        try:
            return Action(obj.action).label_ja
        except ValueError:
            return obj.action

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AuditEvent | None = None) -> bool:
        return False
