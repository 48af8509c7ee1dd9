"""Reads about staff accounts: who needs a second factor, which they have, where they may act."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from toshokan.catalog.models import Branch
from toshokan.passkeys import services as passkey_services

from .models import AccountKind, Lockout, RecoveryCode, StaffProfile, TotpDevice


def is_staff_account(user: Any) -> bool:
    """Staff for sign-in purposes: is_staff, a superuser, or in any group (the roles are groups).
    Every such account needs a second factor to use staff pages."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_staff or user.is_superuser:
        return True
    cached = getattr(user, "_staff_in_groups", None)
    if cached is None:
        cached = user.groups.exists()
        user._staff_in_groups = cached
    return bool(cached)


def kind(user: Any) -> str:
    profile = StaffProfile.objects.filter(user_id=user.pk).only("kind").first()
    return profile.kind if profile is not None else AccountKind.PERSON.value


def is_selfcheck_device(user: Any) -> bool:
    return kind(user) == AccountKind.SELFCHECK


def has_totp(user: Any) -> bool:
    return TotpDevice.objects.filter(user_id=user.pk).exists()


def unused_recovery_codes(user: Any) -> int:
    return RecoveryCode.objects.filter(user_id=user.pk, used_at__isnull=True).count()


def has_second_factor(user: Any) -> bool:
    """An enrolled authenticator app or a passkey (recovery codes alone are only a way back in)."""
    return has_totp(user) or has_passkey(user)


def has_passkey(user: Any) -> bool:
    return passkey_services.has_passkeys(user)


def branches_of(user: Any) -> list[Branch]:
    """The branches the account acts for; empty means all."""
    profile = StaffProfile.objects.filter(user_id=user.pk).first()
    if profile is None:
        return []
    return list(profile.branches.order_by("position", "code"))


def may_act_for(user: Any, branch_code: str) -> bool:
    """Whether the account may work at the desk (lend, take back) for the branch."""
    if getattr(user, "is_superuser", False):
        return True
    codes = [b.code for b in branches_of(user)]
    return not codes or branch_code in codes


def active_lockouts() -> QuerySet[Lockout]:
    from django.utils import timezone

    return Lockout.objects.filter(until__gt=timezone.now(), lifted_at__isnull=True)
