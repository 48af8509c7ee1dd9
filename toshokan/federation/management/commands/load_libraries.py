"""manage.py load_libraries [PATH] — load the library registry file into the database (docs/libraries.md).

PATH defaults to settings.TOSHOKAN_LIBRARIES (the environment variable TOSHOKAN_LIBRARIES, else the
shipped demo file). Loading is idempotent; systems the file dropped are removed only if they came from
that file. `--check` reads and validates the file without writing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from toshokan.federation import services
from toshokan.federation.demo import registry_path, source_name
from toshokan.federation.domain.registry_file import RegistryError, load_registry_file


class Command(BaseCommand):
    help = "Load the library registry (TOML) into the database: library systems and their libraries."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path", nargs="?", help="the registry file (default: TOSHOKAN_LIBRARIES)")
        parser.add_argument("--check", action="store_true", help="validate the file only; write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"]) if options["path"] else registry_path()
        try:
            registry = load_registry_file(path)
            branches = sum(len(s.branches) for s in registry.systems)
            if options["check"]:
                self.stdout.write(f"{path}: {len(registry.systems)} systems, {branches} libraries: valid")
                return
            summary = services.sync_registry(registry, source=source_name(path))
        except RegistryError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"{source_name(path)}: {len(registry.systems)} systems, {branches} libraries")
        self.stdout.write(f"  {summary}")
        if summary.deadline_changed:
            self.stdout.write(f"  check deadline: {registry.check.deadline_s:g} s")
        self.stdout.write(self.style.SUCCESS("up to date" if not summary.changed else "loaded"))
