"""manage.py expire_registrations — remove provisional cards (online sign-up) that were never
verified within the provisional period (TOSHOKAN_REGISTRATION_RULES["PROVISIONAL_DAYS"]); their
holds are cancelled first. The daily scan (`send_notices`) does the same; this runs it alone."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from toshokan.circulation.provisional import expire_provisional


class Command(BaseCommand):
    help = "Remove provisional registrations not verified in time."

    def handle(self, *args: Any, **options: Any) -> None:
        removed = expire_provisional()
        self.stdout.write(f"provisional registrations removed: {removed}")
