from __future__ import annotations

from collections.abc import Iterator

import pytest

from toshokan.federation.tests.stubs import Stubs

from . import zebra as zebra_server


@pytest.fixture(scope="module")
def zebra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[zebra_server.Zebra]:
    reason = zebra_server.missing()
    if reason:
        pytest.skip(reason)
    server = zebra_server.start(tmp_path_factory.mktemp("zebra"))
    yield server
    server.stop()


@pytest.fixture
def stubs() -> Iterator[Stubs]:
    servers = Stubs()
    yield servers
    servers.close()
