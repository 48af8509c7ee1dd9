"""manage.py load_demo — load the demo library (idempotent: a second run changes nothing).

Each step in settings.TOSHOKAN_DEMO_STEPS is loaded when its data changed since it was last loaded
(a fingerprint of the data files); afterwards the search index is rebuilt if it is out of step.
"""

from __future__ import annotations

import importlib
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from toshokan.core.models import DemoLoad


class Command(BaseCommand):
    help = "Load the demo library: catalogue, branches, copies, staff (see docs/demo.md)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--force", action="store_true", help="load every step again")

    def handle(self, *args: Any, **options: Any) -> None:
        from toshokan.catalog.selectors import record_count
        from toshokan.search import services as search_services
        from toshokan.search.engine import get_backend

        def progress(message: str) -> None:
            self.stdout.write(f"  {message}")

        changed = False
        for dotted in settings.TOSHOKAN_DEMO_STEPS:
            module = importlib.import_module(dotted)
            step = dotted.split(".")[-2] if dotted.endswith(".demo") else dotted.rsplit(".", 1)[-1]
            fp = module.demo_fingerprint()
            done = DemoLoad.objects.filter(step=dotted, fingerprint=fp).exists()
            if done and not options["force"]:
                self.stdout.write(f"demo {step}: already loaded")
                continue
            started = time.monotonic()
            self.stdout.write(f"demo {step}: loading…")
            module.load(progress)
            DemoLoad.objects.update_or_create(step=dotted, defaults={"fingerprint": fp})
            self.stdout.write(f"demo {step}: done in {time.monotonic() - started:.0f} s")
            changed = True
        records = record_count()
        if changed or get_backend().count() != records:
            started = time.monotonic()
            self.stdout.write(f"search index: building ({records} records)…")
            search_services.rebuild_index()
            self.stdout.write(f"search index: done in {time.monotonic() - started:.0f} s")
        self.stdout.write(self.style.SUCCESS(f"demo library ready: {records} records"))
