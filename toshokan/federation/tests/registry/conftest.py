from __future__ import annotations

import pytest

from toshokan.catalog.tests import factories as catalog_factories
from toshokan.federation import services
from toshokan.federation.domain.registry import Registry
from toshokan.federation.domain.registry_file import parse_registry
from toshokan.federation.tests.registry.test_sync import FILE


@pytest.fixture
def registry_loaded() -> Registry:
    """The three systems of the sync tests (Tokyo_Demo local, Osaka_Suita calil, Osaka_Pref sru)."""
    catalog_factories.branch("central", "デモ市立中央図書館")
    catalog_factories.branch("ekimae", "デモ市立駅前分館", position=1)
    registry = parse_registry(FILE, source="libs.toml")
    services.sync_registry(registry, source="libs.toml")
    return registry
