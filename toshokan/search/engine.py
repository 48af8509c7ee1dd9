"""The configured search backend, one per process."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any, cast

from django.conf import settings

from .backends.base import SearchBackend


@cache
def get_backend() -> SearchBackend:
    config = cast(dict[str, Any], settings.TOSHOKAN_SEARCH)
    name = config["BACKEND"]
    if name == "tantivy":
        from .backends.tantivy_backend import TantivyBackend

        return TantivyBackend(Path(config["INDEX_DIR"]))
    if name == "postgres":
        from .backends.postgres_backend import PostgresBackend

        return cast(SearchBackend, PostgresBackend())
    raise ValueError(f"unknown search backend {name!r} (TOSHOKAN_SEARCH_BACKEND: tantivy or postgres)")


def reset_backend() -> None:
    """Forget the backend (tests that switch settings call this)."""
    get_backend.cache_clear()
