"""The notice log in the admin: read-only, and every page of it audited.

Each patron whose notices appear on a list page, or whose notice is opened, gets a StaffAccess row
(via "admin"), as at the desk. The outbox (e-mails waiting for the worker, which may list titles)
is not shown at all.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from toshokan.core.http import client_address
from toshokan.patrons import services as patron_services
from toshokan.patrons.domain.enums import StaffAccessKind

from .models import Notice


def _audit(request: HttpRequest, notices: list[Notice]) -> None:
    for patron in {n.patron for n in notices}:
        patron_services.record_staff_access(
            actor=request.user,
            patron=patron,
            kind=StaffAccessKind.NOTICES,
            via="admin",
            client_address=client_address(request),
        )


@admin.register(Notice)
class NoticeAdmin(admin.ModelAdmin[Notice]):
    list_display = ["created_at", "patron", "kind", "channel", "status", "sent_at"]
    list_filter = ["status", "kind", "channel"]
    search_fields = ["patron__card_number"]
    list_select_related = ["patron"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in Notice._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Notice | None = None) -> bool:
        return False

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        if isinstance(response, TemplateResponse) and response.context_data and "cl" in response.context_data:
            _audit(request, list(response.context_data["cl"].result_list))
        return response

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        notice = self.get_object(request, object_id)
        if notice is not None and self.has_view_permission(request, notice):
            _audit(request, [notice])
        return super().change_view(request, object_id, form_url, extra_context)
