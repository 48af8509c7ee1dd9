"""Fixtures for the check sessions and `/calil/check`.

Each test gets a "federation" cache of its own: the same file-based backend a single machine uses,
in the test's temporary directory, so tests running side by side (and other test runs on the
machine) never see each other's sessions.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.cache import caches

from toshokan.federation import checks


@pytest.fixture(autouse=True)
def federation_cache(settings, tmp_path: Path) -> Iterator[Path]:
    location = tmp_path / "federation-cache"
    settings.CACHES = {
        **django_settings.CACHES,
        checks.CACHE_ALIAS: {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(location),
        },
    }
    yield location
    # A check still running (a test that failed half-way) would write into the next test's cache.
    checks.drain(timeout_s=30)
    caches[checks.CACHE_ALIAS].clear()
