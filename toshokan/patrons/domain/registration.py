"""How long a registration lasts (有効期限) and when it may be renewed.

Municipal regulations set the period by why a person may register: those who live in the area
usually for several years, commuters and other-area users for shorter terms because their
eligibility changes more often. The periods are settings (TOSHOKAN_REGISTRATION_YEARS); renewal
is possible from a month before expiry, and extends from the old expiry date, not from today, so
renewing early loses nothing.
"""

from __future__ import annotations

from datetime import date, timedelta

from .enums import Residency

DEFAULT_YEARS = {Residency.RESIDENT: 3, Residency.COMMUTER: 1, Residency.OTHER_AREA: 1}
RENEWAL_WINDOW = timedelta(days=31)
# The registration-expiring notice goes out this long before expiry: inside the renewal window, so
# a patron who is told can renew at once.
EXPIRY_NOTICE = timedelta(days=30)


def add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def expiry_date(registered_on: date, residency: Residency, years: dict[Residency, int] | None = None) -> date:
    return add_years(registered_on, (years or DEFAULT_YEARS)[residency])


def renewed_expiry(
    expires_on: date, today: date, residency: Residency, years: dict[Residency, int] | None = None
) -> date:
    """The new expiry on renewal: from the old expiry if it has not passed, else from today."""
    return add_years(max(expires_on, today), (years or DEFAULT_YEARS)[residency])


def can_renew(expires_on: date, today: date) -> bool:
    return today >= expires_on - RENEWAL_WINDOW


def is_expired(expires_on: date, today: date) -> bool:
    return today > expires_on
