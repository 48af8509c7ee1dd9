"""System checks: the registration rules are read when the server starts (`manage.py check`, and
every command), so that a misspelt TOSHOKAN_REGISTRATION_RULES stops the deployment instead of
registering the wrong people at the first sign-up."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, register

from .domain import eligibility, provisional


@register()
def registration_rules(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    config = getattr(settings, "TOSHOKAN_REGISTRATION_RULES", None)
    try:
        eligibility.rules_from_mapping(config)
        provisional.provisional_rules_from_mapping(config)
    except (ValueError, TypeError) as e:
        return [Error(str(e), hint="See docs/signup.md for the keys and their values.", id="patrons.E001")]
    return []
