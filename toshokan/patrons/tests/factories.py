"""Patrons built through the services, as the desk registers them."""

from __future__ import annotations

from datetime import date

from toshokan.catalog.tests import factories as catalog_factories
from toshokan.patrons import services
from toshokan.patrons.domain.enums import PatronCategory, Residency
from toshokan.patrons.models import Patron

PIN = "4321"


def patron(
    family_name: str = "山田",
    *,
    given_name: str = "花子",
    branch_code: str = "central",
    category: PatronCategory = PatronCategory.ADULT,
    residency: Residency = Residency.RESIDENT,
    email: str = "",
    pin: str = PIN,
    today: date | None = None,
    reading_history: bool = False,
) -> Patron:
    p = services.register_patron(
        family_name=family_name,
        given_name=given_name,
        name_reading="やまだ はなこ",
        home_branch=catalog_factories.branch(branch_code),
        category=category,
        residency=residency,
        email=email,
        pin=pin,
        today=today,
    )
    if reading_history:
        p.reading_history = True
        p.save(update_fields=["reading_history"])
    return p
