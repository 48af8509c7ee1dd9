"""The demo's library registry: this toshokan's branches as the local system and real Japanese libraries
(data/libraries/demo.toml, made by scripts/make_demo_libraries.py; licences in data/libraries/PROVENANCE.md).

Loads the file named by settings.TOSHOKAN_LIBRARIES (the shipped demo file when unset) through the same
service as `manage.py load_libraries`, so a second load changes nothing. It runs after the catalogue's
demo, whose branches the local system names.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from django.conf import settings

from . import services
from .domain.registry_file import load_registry_file

Progress = Callable[[str], None]
VERSION = "federation-1"


def registry_path() -> Path:
    return Path(settings.TOSHOKAN_LIBRARIES)


def source_name(path: Path) -> str:
    """The file's name as rows record it: relative to the project when inside it, so that checkouts in
    different directories agree."""
    path = path.resolve()
    try:
        return str(path.relative_to(Path(settings.BASE_DIR).resolve()))
    except ValueError:
        return str(path)


def demo_fingerprint() -> str:
    """The registry file's bytes and this module's version."""
    digest = hashlib.sha256(VERSION.encode())
    digest.update(registry_path().read_bytes())
    return digest.hexdigest()[:16]


def load(progress: Progress) -> None:
    path = registry_path()
    registry = load_registry_file(path)
    summary = services.sync_registry(registry, source=source_name(path))
    progress(f"libraries from {source_name(path)}: {summary}")
