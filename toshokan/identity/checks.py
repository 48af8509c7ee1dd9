"""System checks: the demo card CA must never be trusted where `check --deploy` runs."""

from __future__ import annotations

from typing import Any

from django.core.checks import CheckMessage, Error, Tags, register


@register(Tags.security, deploy=True)
def demo_cards_are_not_trusted(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    from .trust import config

    if config()["DEMO"]:
        return [
            Error(
                "TOSHOKAN_JPKI['DEMO'] is on: the demo My Number card CA would make made-up residents members.",
                hint="Turn DEMO off in production; configure J-LIS's roots in TOSHOKAN_JPKI['ROOTS'].",
                id="identity.E001",
            )
        ]
    return []
