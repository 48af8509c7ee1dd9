"""Reads about patrons."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import Patron, PatronBlock, StaffAccess


def active_blocks(patron: Patron) -> QuerySet[PatronBlock]:
    return PatronBlock.objects.filter(patron=patron, lifted_at__isnull=True).order_by("created_at")


def search_patrons(text: str, *, limit: int = 20) -> list[Patron]:
    """Patron lookup at the desk: by card number (exact) or by name or reading (prefix)."""
    from .domain.cards import normalise_card_number

    text = text.strip()
    if not text:
        return []
    number = normalise_card_number(text)
    if number.isdigit():
        return list(Patron.objects.filter(card_number=number).select_related("home_branch")[:1])
    qs = Patron.objects.filter(family_name__startswith=text) | Patron.objects.filter(
        name_reading__startswith=text
    )
    return list(qs.select_related("home_branch").order_by("name_reading", "pk")[:limit])


def staff_accesses(patron: Patron) -> QuerySet[StaffAccess]:
    return StaffAccess.objects.filter(patron=patron).select_related("actor")


def patron_by_id(pk: int) -> Patron | None:
    return Patron.objects.select_related("home_branch").filter(pk=pk).first()
