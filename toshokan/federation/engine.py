"""The fan-out engine: N ISBNs × M library systems at once, each system answering as it finishes.

What holds a check to its deadline and keeps one bad library from hurting the others (issue 4,
"the fan-out engine"; FACTS.md, "Fanning out to 1,000 library systems"):
- one aiohttp session per check (aiohttp, not httpx: with hundreds of hosts httpx kept the CPU busy
  long past the deadline); a global connection cap (`CONNECTIONS`);
- per request: connect and read (`sock_read`) timeouts and a total of the system's `timeout_s`,
  a response-size cap read in chunks (`MAX_RESPONSE_BYTES`), no redirects;
- per host:port: at most `PER_HOST` requests at once, shared by all checks on one event loop
  (remote OPACs are small servers);
- an overall deadline over everything: whatever has not answered by then is cancelled and answers
  Error("deadline") — a server dripping a byte a second cannot hold the check;
- retries only for GETs that failed to connect or were cut before the response began (aiohttp
  resends those once itself), at most `RETRIES` times and only within the deadline;
- a circuit breaker per system, kept per process (domain/breaker.py): after `BREAKER_FAILURES`
  failures in a row the system answers Error("circuit open") without being called, for
  `BREAKER_COOLDOWN_S`, then one probe;
- the answer cache (answer_cache.py): answers still within their TTL come back as Cache without a
  request; fresh OK answers are stored;
- requests go only to the host of the system's registered endpoint, over http or https; nothing a
  caller passes in can name another address.
The settings are TOSHOKAN_FEDERATION in config/settings/base.py (docs/federation.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import math
import queue
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar
from urllib.parse import urlsplit

import aiohttp

from toshokan.catalog.domain.identifiers import InvalidIdentifier, normalize_isbn

from .answer_cache import AnswerCache
from .connectors import connector_for
from .connectors.base import FetchError, Params, Response
from .connectors.calil import NotConfigured
from .domain.availability import SystemAnswer, SystemStatus
from .domain.breaker import CircuitBreaker
from .domain.registry import Connector, SystemSpec

log = logging.getLogger(__name__)
T = TypeVar("T")
OnAnswer = Callable[[str, str, SystemAnswer], None]
Answers = dict[str, dict[str, SystemAnswer]]
_CHUNK = 64 * 1024
_START_BATCH = 20  # systems started between two turns of the event loop


@dataclass(frozen=True, slots=True)
class Limits:
    per_host: int = 2  # requests at once to one host:port
    connections: int = 1000  # open connections of one check, all hosts together
    max_response_bytes: int = 5 * 1024 * 1024
    retries: int = 1  # extra attempts of a GET that never got a byte back
    breaker_failures: int = 5
    breaker_cooldown_s: float = 60.0

    @classmethod
    def from_settings(cls) -> Limits:
        from django.conf import settings

        conf = getattr(settings, "TOSHOKAN_FEDERATION", {})
        default = cls()
        return cls(
            per_host=int(conf.get("PER_HOST", default.per_host)),
            connections=int(conf.get("CONNECTIONS", default.connections)),
            max_response_bytes=int(conf.get("MAX_RESPONSE_BYTES", default.max_response_bytes)),
            retries=int(conf.get("RETRIES", default.retries)),
            breaker_failures=int(conf.get("BREAKER_FAILURES", default.breaker_failures)),
            breaker_cooldown_s=float(conf.get("BREAKER_COOLDOWN_S", default.breaker_cooldown_s)),
        )


class Breakers:
    """The circuit breakers of one process, one per system (and endpoint: a changed endpoint starts fresh).

    Checks on several threads (check_sync from web threads, task workers) share them, hence the lock.
    """

    def __init__(
        self, failures: int = 5, cooldown_s: float = 60.0, clock: Callable[[], float] = time.monotonic
    ):
        self.failures, self.cooldown_s, self.clock = failures, cooldown_s, clock
        self._breakers: dict[tuple[str, str], CircuitBreaker] = {}
        self._lock = threading.Lock()

    def _get(self, spec: SystemSpec) -> CircuitBreaker:
        key = (spec.systemid, spec.endpoint)
        breaker = self._breakers.get(key)
        if breaker is None:
            breaker = self._breakers[key] = CircuitBreaker(self.failures, self.cooldown_s)
        return breaker

    def allow(self, spec: SystemSpec) -> bool:
        with self._lock:
            return self._get(spec).allow(self.clock())

    def succeeded(self, spec: SystemSpec) -> None:
        with self._lock:
            self._get(spec).succeeded()

    def failed(self, spec: SystemSpec) -> None:
        with self._lock:
            self._get(spec).failed(self.clock())

    def released(self, spec: SystemSpec) -> None:
        with self._lock:
            self._get(spec).released()

    def state(self, spec: SystemSpec) -> str:
        with self._lock:
            return self._get(spec).state(self.clock()).value


class Latencies:
    """How long each system took lately (an exponential moving average), kept per process.

    A check starts the systems that were slowest last time early: the check's last answer is the
    slowest system's, and starting it after a thousand others would add their start-up to it.
    """

    def __init__(self, weight: float = 0.3, size: int = 100_000) -> None:
        self.weight, self.size = weight, size
        self._seconds: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def took(self, spec: SystemSpec, seconds: float) -> None:
        key = (spec.systemid, spec.endpoint)
        with self._lock:
            before = self._seconds.get(key)
            if before is None and len(self._seconds) >= self.size:
                self._seconds.clear()  # a registry this large changed wholesale; start learning again
            self._seconds[key] = seconds if before is None else before + self.weight * (seconds - before)

    def start_order(self, specs: Sequence[SystemSpec]) -> list[SystemSpec]:
        """`specs` in the order to start them: the slowest and the quickest taken in turns.

        Slowest first ends the check soonest (its last answer is the slowest system's); the
        quickest in between keep the first answers coming at once. Systems never seen count as
        slowest.
        """
        with self._lock:
            known = {s.systemid: self._seconds.get((s.systemid, s.endpoint), math.inf) for s in specs}
        ranked = sorted(specs, key=lambda s: -known[s.systemid])
        order: list[SystemSpec] = []
        low, high = 0, len(ranked) - 1
        while low <= high:
            order.append(ranked[low])
            if low != high:
                order.append(ranked[high])
            low, high = low + 1, high - 1
        return order


_latencies = Latencies()
_breakers: Breakers | None = None
_breakers_lock = threading.Lock()


def process_breakers() -> Breakers:
    global _breakers
    with _breakers_lock:
        if _breakers is None:
            limits = Limits.from_settings()
            _breakers = Breakers(limits.breaker_failures, limits.breaker_cooldown_s)
        return _breakers


class EndpointRefused(FetchError):
    """The registered endpoint is not one toshokan will call (not http/https, no host)."""


def origin(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL; EndpointRefused for anything else."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise EndpointRefused(f"endpoint {url!r} is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        raise EndpointRefused(f"endpoint {url!r} is not an http(s) URL")
    return scheme, parts.hostname.lower(), port or (443 if scheme == "https" else 80)


async def _to_thread_closing(fn: Callable[[], T]) -> T:
    """Run database work on a worker thread and close that thread's connections after it."""

    def run() -> T:
        from django.db import connections

        try:
            return fn()
        finally:
            connections.close_all()

    return await asyncio.to_thread(run)


class _SystemHttp:
    """The `Http` a connector gets for one system: the engine's limits, this system's host only."""

    def __init__(self, run: _Run, spec: SystemSpec) -> None:
        self.run, self.spec = run, spec
        self.timeout = aiohttp.ClientTimeout(
            total=spec.timeout_s, sock_connect=spec.timeout_s, sock_read=spec.timeout_s
        )

    def remaining(self) -> float:
        return self.run.deadline - self.run.loop.time()

    async def run_db(self, fn: Callable[[], T]) -> T:
        result: T = await self.run.run_db(fn)
        return result

    async def get(self, url: str, *, params: Params | None = None) -> Response:
        target = origin(url)
        if target != origin(self.spec.endpoint):
            raise EndpointRefused(f"{url!r} is not on the registered endpoint of {self.spec.systemid}")
        semaphore = self.run.host_semaphore(target)
        attempt = 0
        while True:
            received = False
            try:
                async with (
                    semaphore,
                    self.run.session.get(
                        url, params=params, timeout=self.timeout, allow_redirects=False
                    ) as response,
                ):
                    received = True
                    return await self._read(response)
            except TimeoutError:
                raise FetchError(f"no answer within {self.spec.timeout_s:g} s from {url}") from None
            except (aiohttp.ClientConnectionError, OSError) as exc:
                # aiohttp itself sends an idempotent request once more when the connection is cut
                # before the response starts; what it leaves to us is a connection that failed to
                # open (refused, unreachable) — retried here, before any byte was exchanged.
                retry = (
                    not received
                    and isinstance(exc, aiohttp.ClientConnectorError)
                    and attempt < self.run.limits.retries
                    and self.remaining() > 0.1
                )
                if not retry:
                    raise FetchError(f"{type(exc).__name__}: {exc or 'connection failed'} ({url})") from None
                attempt += 1
            except aiohttp.ClientError as exc:
                raise FetchError(f"{type(exc).__name__}: {exc} ({url})") from None

    async def _read(self, response: aiohttp.ClientResponse) -> Response:
        cap = self.run.limits.max_response_bytes
        if response.content_length is not None and response.content_length > cap:
            raise FetchError(f"answer of {response.content_length:,} bytes is over the {cap:,}-byte cap")
        body = bytearray()
        async for chunk in response.content.iter_chunked(_CHUNK):
            body += chunk
            if len(body) > cap:
                raise FetchError(f"answer is over the {cap:,}-byte cap")
        return Response(response.status, bytes(body), str(response.url), dict(response.headers))


# The per-host caps of every check on one event loop: a web process runs all its checks on one
# background loop, and a small OPAC must not see two requests per check from it. (A semaphore
# belongs to its loop, hence one table per loop; it goes with the loop.)
_host_semaphores: weakref.WeakKeyDictionary[
    asyncio.AbstractEventLoop, dict[tuple[str, str, int, int], asyncio.Semaphore]
] = weakref.WeakKeyDictionary()


class _Run:
    """One check's shared state on its event loop."""

    def __init__(self, limits: Limits, deadline: float, run_db: Callable[..., Any]) -> None:
        self.loop = asyncio.get_running_loop()
        self.limits, self.deadline, self.run_db = limits, deadline, run_db
        self._hosts = _host_semaphores.setdefault(self.loop, {})
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self.limits.connections, limit_per_host=0, ttl_dns_cache=300, enable_cleanup_closed=True
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": "toshokan-federation/1.0"},
                auto_decompress=True,
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self._session

    def host_semaphore(self, target: tuple[str, str, int]) -> asyncio.Semaphore:
        key = (*target, self.limits.per_host)
        semaphore = self._hosts.get(key)
        if semaphore is None:
            semaphore = self._hosts[key] = asyncio.Semaphore(self.limits.per_host)
        return semaphore

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def _calil_default(spec: SystemSpec) -> SystemSpec:
    """A calil system registered without an endpoint asks Calil's own API (docs/libraries.md)."""
    if spec.connector is not Connector.CALIL or spec.endpoint:
        return spec
    from django.conf import settings

    url = getattr(settings, "TOSHOKAN_CALIL_API_URL", "") or "https://api.calil.jp"
    return dataclasses.replace(spec, endpoint=url)


def _error(isbns: Iterable[str], message: str) -> dict[str, SystemAnswer]:
    return {i: SystemAnswer(SystemStatus.ERROR, error=message) for i in isbns}


async def _ask(
    run: _Run, spec: SystemSpec, isbns: list[str], breakers: Breakers, latencies: Latencies
) -> dict[str, SystemAnswer]:
    """One system's answers for `isbns` (ISBN-13), never raising: failures are its Error."""
    started = run.loop.time()
    try:
        return await _ask_once(run, spec, isbns, breakers)
    finally:  # cancelled at the deadline too: it took at least that long
        latencies.took(spec, run.loop.time() - started)


async def _ask_once(
    run: _Run, spec: SystemSpec, isbns: list[str], breakers: Breakers
) -> dict[str, SystemAnswer]:
    if spec.connector is not Connector.LOCAL:
        try:
            origin(spec.endpoint)
        except EndpointRefused as exc:
            return _error(isbns, str(exc))
    if not breakers.allow(spec):
        return _error(isbns, "circuit open")
    try:
        answers = await connector_for(spec.connector).check(spec, isbns, _SystemHttp(run, spec))
    except (NotConfigured, EndpointRefused) as exc:
        breakers.released(spec)
        return _error(isbns, str(exc))
    except FetchError as exc:
        breakers.failed(spec)
        return _error(isbns, str(exc))
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a connector's bug or an unexpected answer must not end the check
        log.exception("federation: %s failed", spec.systemid)
        breakers.failed(spec)
        return _error(isbns, f"{type(exc).__name__}: {exc}")
    breakers.succeeded(spec)
    return {
        i: answers.get(i) or SystemAnswer(SystemStatus.ERROR, error="no answer for this ISBN") for i in isbns
    }


async def check(
    isbns: Sequence[str],
    systems: Sequence[SystemSpec],
    *,
    deadline_s: float,
    on_answer: OnAnswer | None = None,
    cache: AnswerCache | None = None,
    limits: Limits | None = None,
    breakers: Breakers | None = None,
    run_db: Callable[..., Any] | None = None,
    latencies: Latencies | None = None,
) -> Answers:
    """systemid → ISBN → answer for every requested system and ISBN, by `deadline_s` seconds from now.

    `on_answer(systemid, isbn, answer)` is called as each answer arrives (cached ones first).
    ISBNs are answered under the spelling the caller gave; one that is not an ISBN answers
    Error("not an ISBN") without a request. Whatever has not answered by the deadline is
    Error("deadline").
    """
    if not deadline_s > 0:
        raise ValueError("deadline_s must be positive")
    loop = asyncio.get_running_loop()
    deadline = loop.time() + deadline_s
    limits = limits or Limits.from_settings()
    breakers = breakers or process_breakers()
    latencies = latencies or _latencies
    requested = list(dict.fromkeys(isbns))
    # A system named twice is asked once.
    systems = [_calil_default(spec) for spec in {spec.systemid: spec for spec in systems}.values()]
    normal: dict[str, str] = {}  # requested spelling → ISBN-13
    for isbn in requested:
        with contextlib.suppress(InvalidIdentifier):
            normal[isbn] = normalize_isbn(isbn)
    spellings: dict[str, list[str]] = {}
    for isbn, isbn13 in normal.items():
        spellings.setdefault(isbn13, []).append(isbn)

    results: Answers = {s.systemid: {} for s in systems}

    def deliver(systemid: str, isbn13: str, answer: SystemAnswer) -> None:
        for isbn in spellings[isbn13]:
            results[systemid][isbn] = answer
            if on_answer is not None:
                on_answer(systemid, isbn, answer)

    for spec in systems:
        for isbn in requested:
            if isbn not in normal:
                results[spec.systemid][isbn] = SystemAnswer(
                    SystemStatus.ERROR, error=f"not an ISBN: {isbn!r}"
                )
                if on_answer is not None:
                    on_answer(spec.systemid, isbn, results[spec.systemid][isbn])

    wanted = {spec.systemid: list(spellings) for spec in systems}
    if cache is not None and spellings:
        keys = [(sid, i) for sid, isbns13 in wanted.items() for i in isbns13]
        try:
            cached = await asyncio.wait_for(asyncio.to_thread(cache.get_many, keys), deadline - loop.time())
        except Exception:  # a cache that is down or slow costs the cache, not the check
            log.warning("federation: the answer cache could not be read", exc_info=True)
            cached = {}
        for (sid, isbn13), answer in cached.items():
            deliver(sid, isbn13, answer)
            wanted[sid].remove(isbn13)

    run = _Run(limits, deadline, run_db or _to_thread_closing)
    tasks: dict[asyncio.Task[dict[str, SystemAnswer]], SystemSpec] = {}
    answered: set[str] = set()
    fresh: dict[tuple[str, str], SystemAnswer] = {}
    every_one_in = asyncio.Event()
    asking = latencies.start_order([spec for spec in systems if wanted[spec.systemid]])

    def finished(task: asyncio.Task[dict[str, SystemAnswer]]) -> None:
        # Answers go out from the task's own completion, not from a loop that polls for them.
        if task.cancelled():
            return
        spec = tasks[task]
        answered.add(spec.systemid)
        for isbn13, answer in task.result().items():
            deliver(spec.systemid, isbn13, answer)
            if answer.status is SystemStatus.OK:
                fresh[(spec.systemid, isbn13)] = answer
        if len(answered) == len(asking):
            every_one_in.set()

    try:
        for n, spec in enumerate(asking, start=1):
            task = asyncio.ensure_future(_ask(run, spec, wanted[spec.systemid], breakers, latencies))
            tasks[task] = spec
            task.add_done_callback(finished)
            if n % _START_BATCH == 0:
                # Let the systems already started send their requests before starting more: with
                # hundreds of systems, starting every one first would delay the first request by
                # the whole start-up (FACTS.md: time to first answer).
                await asyncio.sleep(0)
        if asking:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(every_one_in.wait(), max(0.0, deadline - loop.time()))
        late = [task for task in tasks if tasks[task].systemid not in answered]
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late, timeout=0.5)
        for task in late:
            spec = tasks[task]
            if spec.systemid in answered:  # finished between the deadline and the cancel
                continue
            breakers.failed(spec)
            for isbn13 in wanted[spec.systemid]:
                deliver(spec.systemid, isbn13, SystemAnswer(SystemStatus.ERROR, error="deadline"))
    finally:
        for task in tasks:
            if not task.done():
                task.cancel()
        await run.close()
    if cache is not None and fresh:
        try:
            await asyncio.to_thread(cache.set_many, fresh)
        except Exception:
            log.warning("federation: answers could not be cached", exc_info=True)
    return results


_STOP = object()


def _each(on_answer: OnAnswer, answers: list[tuple[str, str, SystemAnswer]]) -> None:
    for systemid, isbn, answer in answers:
        try:
            on_answer(systemid, isbn, answer)
        except Exception:  # one caller's bug must not lose the other answers
            log.exception("federation: on_answer failed for %s %s", systemid, isbn)


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop when it is installed (uvicorn[standard] brings it): its transports cost
    less CPU per connection than asyncio's, which is what a thousand-system check spends its start
    on (`python -m benchmarks --only federation` measures both loops)."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def check_sync(
    isbns: Sequence[str],
    systems: Sequence[SystemSpec],
    *,
    deadline_s: float,
    on_answer: OnAnswer | None = None,
    cache: AnswerCache | None = None,
    **kwargs: Any,
) -> Answers:
    """`check()` for synchronous code (views, threads, task workers).

    The event loop runs on a helper thread; the `local` connector's database reads and the
    `on_answer` calls run on the calling thread, so they use its database connection (and its
    transaction) and may touch the ORM freely.
    """
    work: queue.SimpleQueue[Any] = queue.SimpleQueue()
    outcome: dict[str, Any] = {}

    async def run_db(fn: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        work.put((fn, future, loop))
        return await future

    # Answers cross to the calling thread in batches, one per turn of the event loop: a thousand
    # systems × ten ISBNs one by one would cost ten thousand thread hand-overs.
    batch: list[tuple[str, str, SystemAnswer]] = []

    def hand_over() -> None:
        if batch and on_answer is not None:
            work.put((partial(_each, on_answer, batch.copy()), None, None))
        batch.clear()

    def answered(systemid: str, isbn: str, answer: SystemAnswer) -> None:
        if not batch:
            asyncio.get_running_loop().call_soon(hand_over)
        batch.append((systemid, isbn, answer))

    def loop_thread() -> None:
        try:
            with asyncio.Runner(loop_factory=_loop_factory()) as runner:
                outcome["result"] = runner.run(
                    check(
                        isbns,
                        systems,
                        deadline_s=deadline_s,
                        on_answer=answered,
                        cache=cache,
                        run_db=run_db,
                        **kwargs,
                    )
                )
        except BaseException as exc:  # handed to the caller's thread
            outcome["error"] = exc
        finally:
            hand_over()  # answers delivered in the check's last turn
            work.put(_STOP)

    thread = threading.Thread(target=loop_thread, name="federation-check", daemon=True)
    thread.start()
    while (item := work.get()) is not _STOP:
        fn, future, loop = item
        try:
            value = fn()
        except Exception as exc:
            if future is None:
                log.exception("federation: on_answer failed")
            else:
                loop.call_soon_threadsafe(_settle, future, None, exc)
            continue
        if future is not None:
            loop.call_soon_threadsafe(_settle, future, value, None)
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    result: Answers = outcome["result"]
    return result


def _settle(future: asyncio.Future[Any], value: Any, error: BaseException | None) -> None:
    if future.done():  # cancelled by the deadline meanwhile
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(value)
