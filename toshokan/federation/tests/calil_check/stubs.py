"""Library systems for the check tests: this toshokan's own branches and other toshokans on loopback.

`StubToshokan` is a real HTTP server on 127.0.0.1 answering another toshokan's availability API
(`GET /api/v1/federation/availability?isbn=…`, the shape the `toshokan` connector reads) from a
table, after a chosen delay, or with HTTP 500 — so the engine, the connector and the session all run
for real, and a slow library can be told apart from a fast one.

`Library` builds the local catalogue (records with ISBNs, copies at two branches, through the
catalogue's services) and a registry of several systems, loaded through federation's services as
the registry file would be.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from toshokan.catalog.domain.enums import HoldingStatus
from toshokan.catalog.tests import factories
from toshokan.federation import selectors, services
from toshokan.federation.domain.registry import (
    BranchSpec,
    CheckSettings,
    Connector,
    Registry,
    SystemSpec,
)

KOKORO = "9784003101117"  # こころ: on the shelf at 中央, on loan at 北
SANSHIRO = "9784003101018"  # 三四郎: on loan at 北 only
NOWHERE = "9784101010014"  # held by no toshokan branch

TOKYO = (139.767, 35.681)  # 東京駅 (lon, lat)


class StubToshokan:
    """Another toshokan on loopback: its availability API, answered from `holdings` after `delay_s`."""

    def __init__(
        self, holdings: dict[str, dict[str, str]], *, delay_s: float = 0.0, fail: bool = False
    ) -> None:
        self.holdings, self.delay_s, self.fail = holdings, delay_s, fail
        self.requests: list[str] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                stub.requests.append(self.path)
                time.sleep(stub.delay_s)
                if stub.fail:
                    self.send_response(500)
                    self.end_headers()
                    return
                query = parse_qs(urlsplit(self.path).query)
                isbns = query.get("isbn", [""])[0].split(",")
                body = {
                    "isbns": {
                        i: {"libkeys": stub.holdings.get(i, {}), "reserveurl": f"{stub.url}/reserve/{i}"}
                        for i in isbns
                        if i
                    }
                }
                data = json.dumps(body, ensure_ascii=False).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> StubToshokan:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def remote(systemid: str, stub: StubToshokan, libkey: str, geocode: tuple[float, float]) -> SystemSpec:
    return SystemSpec(
        systemid=systemid,
        name=f"{systemid} 図書館",
        pref="東京都",
        city="千代田区",
        connector=Connector.TOSHOKAN,
        endpoint=stub.url,
        timeout_s=8,
        branches=(BranchSpec(libkey=libkey, formal=f"{systemid} {libkey}図書館", geocode=geocode),),
    )


def local_catalogue() -> None:
    """Records with ISBNs and copies at two branches, built through the catalogue's services."""
    factories.branch("central", "中央図書館", 0)
    factories.branch("kita", "北分館", 1)
    kokoro = factories.record("こころ", identifiers=[factories.isbn(KOKORO)])
    sanshiro = factories.record("三四郎", identifiers=[factories.isbn("4-00-310101-4")])
    factories.holding(kokoro, branch_code="central")
    factories.holding(kokoro, branch_code="kita", status=HoldingStatus.ON_LOAN)
    factories.holding(sanshiro, branch_code="kita", status=HoldingStatus.ON_LOAN)


def local_systems() -> list[SystemSpec]:
    return [
        SystemSpec(
            systemid="Tokyo_Demo",
            name="デモ市立図書館",
            pref="東京都",
            city="千代田区",
            connector=Connector.LOCAL,
            branches=(
                BranchSpec(
                    libkey="中央", formal="デモ市立中央図書館", geocode=(139.766, 35.682), branch="central"
                ),
                BranchSpec(libkey="北", formal="デモ市立北分館", geocode=(139.74, 35.75), branch="kita"),
            ),
        ),
        SystemSpec(
            systemid="Tokyo_Kita",
            name="デモ北区図書館",
            pref="東京都",
            city="北区",
            connector=Connector.LOCAL,
            branches=(
                BranchSpec(
                    libkey="北区中央", formal="デモ北区中央図書館", geocode=(139.73, 35.76), branch="kita"
                ),
            ),
        ),
    ]


def load_registry(systems: list[SystemSpec], *, deadline_s: float = 8) -> Registry:
    registry = Registry(check=CheckSettings(deadline_s=deadline_s), systems=tuple(systems))
    services.sync_registry(registry, source="test-registry.toml")
    selectors.forget_registry()
    return selectors.registry()


@contextmanager
def remote_libraries() -> Iterator[dict[str, StubToshokan]]:
    """Three other toshokans: one quick, one slow (4 s), one answering HTTP 500."""
    with (
        StubToshokan({KOKORO: {"駅前": "貸出可"}}) as fast,
        StubToshokan({SANSHIRO: {"本館": "貸出中"}}, delay_s=4.0) as slow,
        StubToshokan({}, fail=True) as down,
    ):
        yield {"Remote_Fast": fast, "Remote_Slow": slow, "Remote_Down": down}


def remote_systems(stubs: dict[str, StubToshokan]) -> list[SystemSpec]:
    return [
        remote("Remote_Fast", stubs["Remote_Fast"], "駅前", (139.70, 35.69)),
        remote("Remote_Slow", stubs["Remote_Slow"], "本館", (139.80, 35.70)),
        remote("Remote_Down", stubs["Remote_Down"], "本館", (139.60, 35.60)),
    ]


# What every system should answer when the check is over, per ISBN: (status, {libkey: status}).
EXPECTED: dict[str, dict[str, tuple[str, dict[str, str]]]] = {
    KOKORO: {
        "Tokyo_Demo": ("OK", {"中央": "貸出可", "北": "貸出中"}),
        "Tokyo_Kita": ("OK", {"北区中央": "貸出中"}),
        "Remote_Fast": ("OK", {"駅前": "貸出可"}),
        "Remote_Slow": ("OK", {}),
        "Remote_Down": ("Error", {}),
    },
    SANSHIRO: {
        "Tokyo_Demo": ("OK", {"北": "貸出中"}),
        "Tokyo_Kita": ("OK", {"北区中央": "貸出中"}),
        "Remote_Fast": ("OK", {}),
        "Remote_Slow": ("OK", {"本館": "貸出中"}),
        "Remote_Down": ("Error", {}),
    },
    NOWHERE: {
        "Tokyo_Demo": ("OK", {}),
        "Tokyo_Kita": ("OK", {}),
        "Remote_Fast": ("OK", {}),
        "Remote_Slow": ("OK", {}),
        "Remote_Down": ("Error", {}),
    },
}
