"""The one small interface every connector implements, and what the engine hands it.

A connector knows one kind of remote catalogue (another toshokan, an SRU server, Calil's API) or
this toshokan's own. Given a registered system, the ISBNs (ISBN-13, already checked) and an `Http`
from the engine, it returns one `SystemAnswer` per ISBN: per-branch statuses by `libkey` and the
`reserveurl`. It never opens sockets itself: every request goes through `Http.get`, which holds it
to the engine's limits (the system's registered host only, timeouts, size cap, per-host cap,
retries) — so no connector can be made to call an address that is not in the registry.

A connector raises `FetchError` (or lets one through) when the system cannot answer; the engine
turns that into the system's Error and counts it against the system's circuit breaker.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

from ..domain.availability import BranchStatus, SystemAnswer, SystemStatus
from ..domain.registry import SystemSpec

T = TypeVar("T")
Params = Mapping[str, str] | Sequence[tuple[str, str]]


class FetchError(Exception):
    """The system did not give a usable answer; the message says why, for staff and logs."""


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)

    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise FetchError(f"not JSON from {self.url}: {exc}") from None

    def ok(self) -> Response:
        """This response if it is a 200, else FetchError naming the status."""
        if self.status != 200:
            raise FetchError(f"HTTP {self.status} from {self.url}")
        return self


class Http(Protocol):
    """What the engine gives a connector for one system."""

    async def get(self, url: str, *, params: Params | None = None) -> Response: ...

    async def run_db(self, fn: Callable[[], T]) -> T:
        """Run blocking database work off the event loop (and close its connection after)."""
        ...

    def remaining(self) -> float:
        """Seconds left before the check's deadline."""
        ...


class Connector(Protocol):
    async def check(self, spec: SystemSpec, isbns: Sequence[str], http: Http) -> dict[str, SystemAnswer]:
        """One answer per ISBN of `isbns` (ISBN-13 form), keyed by that ISBN."""
        ...


def ok(libkeys: Mapping[str, BranchStatus], reserveurl: str = "") -> SystemAnswer:
    return SystemAnswer(SystemStatus.OK, dict(libkeys), reserveurl)


def reserve_url(spec: SystemSpec, isbn: str, fallback: str = "") -> str:
    """The registry's `reserve_url` template filled in with the ISBN, else `fallback` — the remote
    system's own link, kept only when it is an http(s) URL (or this site's path): it becomes a link
    on the patron's page, where `javascript:` or `data:` from a remote server would run as ours."""
    if spec.reserve_url:
        return spec.reserve_url.replace("{isbn}", isbn)
    return fallback if _linkable(fallback) else ""


def _linkable(url: str) -> bool:
    if url.startswith("/"):
        return not url.startswith("//") and not url.startswith("/\\")
    return urlsplit(url).scheme.lower() in ("http", "https")


def libkey_for(spec: SystemSpec, location: str, mapping: Mapping[str, str] | None = None) -> str:
    """The libkey of a branch a remote catalogue names by its own code.

    In order: the system's `options.locations` table, a branch whose libkey, toshokan branch code or
    ISIL is that code, the only branch of a one-branch system (CONTRACT.md: it reports that branch's
    status), else the code itself.
    """
    if mapping and location in mapping:
        return mapping[location]
    for b in spec.branches:
        if location and location in (b.libkey, b.branch, b.isil):
            return b.libkey
    if len(spec.branches) == 1:
        return spec.branches[0].libkey
    return location
