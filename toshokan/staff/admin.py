"""The admin for staff accounts: the user and group pages ask for a fresh confirmation before any
change (roles are groups), and gain the staff profile (kind, branches), unlocking and resetting a
second factor; lockouts can be lifted; the security record is read-only."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from toshokan.core.admin import ApiTokenAdmin
from toshokan.core.models import ApiToken

from . import services
from .models import EventKind, Lockout, SecurityEvent, StaffProfile
from .reauth import reauthentication_response

User = get_user_model()


class ConfirmBeforeChanges:
    """Adding, changing or deleting through this admin page needs a recent confirmation of the
    password and second factor (toshokan.staff.reauth): these pages give roles and permissions."""

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        refused = reauthentication_response(request)
        return refused or super().changeform_view(request, *args, **kwargs)  # type: ignore[misc]

    def delete_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        refused = reauthentication_response(request)
        return refused or super().delete_view(request, *args, **kwargs)  # type: ignore[misc]

    def changelist_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "POST":  # bulk actions
            refused = reauthentication_response(request)
            if refused is not None:
                return refused
        return super().changelist_view(request, *args, **kwargs)  # type: ignore[misc,no-any-return]


class StaffProfileInline(admin.StackedInline):  # type: ignore[type-arg]
    model = StaffProfile
    can_delete = False
    filter_horizontal = ["branches"]
    extra = 0


@admin.action(description="サインインのロックを解除 (unlock sign-in)")
def unlock_accounts(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]) -> None:
    lifted = sum(services.unlock_account(user=u, actor=request.user) for u in queryset)
    modeladmin.message_user(request, f"{lifted} 件のロックを解除しました (lockouts lifted)", messages.SUCCESS)


@admin.action(description="二要素をリセット (次回ログイン時に再登録)")
def reset_second_factor(modeladmin: Any, request: HttpRequest, queryset: QuerySet[Any]) -> None:
    for user in queryset:
        services.reset_second_factor(user=user, actor=request.user)
    modeladmin.message_user(request, f"{queryset.count()} 人の二要素をリセットしました", messages.SUCCESS)


admin.site.unregister(User)
admin.site.unregister(Group)
admin.site.unregister(ApiToken)


@admin.register(ApiToken)
class ConfirmedApiTokenAdmin(ConfirmBeforeChanges, ApiTokenAdmin):
    """An API token works without a second factor (docs/staff-accounts.md, machine accounts), so
    making or revoking one needs a fresh confirmation too."""


@admin.register(User)
class StaffUserAdmin(ConfirmBeforeChanges, UserAdmin):  # type: ignore[type-arg]
    inlines = [StaffProfileInline]
    actions = [unlock_accounts, reset_second_factor]

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        before = sorted(form.instance.groups.values_list("name", flat=True)) if change else []
        super().save_related(request, form, formsets, change)
        after = sorted(form.instance.groups.values_list("name", flat=True))
        if before != after:
            services.record_event(
                kind=EventKind.ROLES_CHANGED,
                user=form.instance,
                actor=request.user,
                detail=f"{','.join(before) or '-'} → {','.join(after) or '-'} (admin)",
            )


@admin.register(Group)
class StaffGroupAdmin(ConfirmBeforeChanges, GroupAdmin):
    pass


@admin.register(Lockout)
class LockoutAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["scope", "key", "started_at", "until", "failures", "lifted_at", "lifted_by", "running"]
    list_filter = ["scope"]
    search_fields = ["key"]
    actions = ["lift"]

    @admin.display(boolean=True, description="有効 (running)")
    def running(self, lockout: Lockout) -> bool:
        return lockout.lifted_at is None and lockout.until > timezone.now()

    @admin.action(description="ロックを解除 (lift)")
    def lift(self, request: HttpRequest, queryset: QuerySet[Lockout]) -> None:
        for lockout in queryset:
            services.unlock(lockout=lockout, actor=request.user)
        self.message_user(request, "ロックを解除しました (lifted)", messages.SUCCESS)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(SecurityEvent)
class SecurityEventAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["at", "kind", "username", "actor", "address", "detail"]
    list_filter = ["kind"]
    search_fields = ["username", "address", "detail"]
    date_hierarchy = "at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
