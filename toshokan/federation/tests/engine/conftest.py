from __future__ import annotations

from collections.abc import Iterator

import pytest

from toshokan.federation.tests.stubs import Stubs


@pytest.fixture
def stubs() -> Iterator[Stubs]:
    servers = Stubs()
    yield servers
    servers.close()
