"""Reads of passkeys: an owner's list, and one of their passkeys by id (anyone else's is not found)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from toshokan.core.domain import NotFound
from toshokan.patrons.models import Patron

from .models import Passkey


def passkeys_of(*, patron: Patron | None = None, user: Any = None) -> QuerySet[Passkey]:
    """The passkeys of one patron or one staff user, oldest first."""
    if (patron is None) == (user is None):
        raise ValueError("name exactly one of patron and user")
    if patron is not None:
        return Passkey.objects.filter(patron=patron).order_by("created_at", "pk")
    return Passkey.objects.filter(user=user).order_by("created_at", "pk")


def passkey_of(passkey_id: int, *, patron: Patron | None = None, user: Any = None) -> Passkey:
    """One of the owner's passkeys; NotFound for an id that is not theirs (or not at all)."""
    found = passkeys_of(patron=patron, user=user).filter(pk=passkey_id).first()
    if found is None:
        raise NotFound("パスキーが見つかりません (no such passkey)", code="passkey_not_found")
    return found
