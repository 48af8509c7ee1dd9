"""Check sessions and the runner that fills them: Calil's `session` / `continue` polling, made durable.

Calil's `/check` starts a search and answers at once with a `session`; the client asks again with
that session (Calil asks for two seconds between calls) until `continue` is 0, and each system's
status moves from Running to OK, Cache or Error as that system answers. Here a session is:

- an unguessable id (`secrets.token_urlsafe`), so one patron cannot read another's check;
- its request (ISBNs as the client wrote them and as ISBN-13, the registered systems in order, the
  systemids the registry does not know) and its deadline, under one key of the "federation" cache;
- the answers, under one key per *chunk* of systems. A chunk has exactly one writer (the in-process
  runner, or the one worker that took its task), so answers arriving together never overwrite each
  other, on one machine or across many sharing Redis. The writer flushes what has arrived every
  `FLUSH_S` while the check runs, so a poll sees each system as soon as it has answered, not when
  the slowest one has.

Runners (settings `TOSHOKAN_FEDERATION["RUNNER"]`):
- "inprocess" (default): one background thread per process with its own asyncio event loop runs
  `engine.check` for every session this process starts. A web request never waits for a check.
- "tasks": the systems are split into chunks of `CHUNK_SYSTEMS`, each enqueued as a django-tasks
  task (`federation.tasks.run_check_chunk`) that any worker on any machine may run; with Redis as the
  "federation" cache every web process sees what every worker wrote (docs/federation-deployment.md).

Whatever happens to a runner (a worker stopped, a task never picked up), a poll after the deadline
(plus `GRACE_S` for the last flush) reports every system still Running as Error, so a client's
polling always ends.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import re
import secrets
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Protocol

from django.conf import settings
from django.core.cache import BaseCache, caches

from toshokan.catalog.domain.identifiers import InvalidIdentifier, normalize_isbn

from .answer_cache import AnswerCache
from .domain.availability import BranchStatus, SystemAnswer, SystemStatus
from .domain.registry import Registry, SystemSpec

log = logging.getLogger(__name__)

CACHE_ALIAS = "federation"
KEY_PREFIX = "toshokan:fed:check:"
FLUSH_S = 0.2  # how often a runner writes what has arrived: a poll sees answers at most this late
GRACE_S = 2.0  # after the deadline, how long a poll waits for a runner's last flush before Error
_SESSION = re.compile(r"[A-Za-z0-9_-]{16,64}")  # what secrets.token_urlsafe gives


class CheckRefused(ValueError):
    """The request cannot be checked as asked (no ISBN, a malformed ISBN, over a limit)."""


@dataclass(frozen=True, slots=True)
class Limits:
    max_isbns: int
    max_systems: int
    session_ttl_s: int
    chunk_systems: int
    runner: str


def limits() -> Limits:
    """The limits and the runner from settings `TOSHOKAN_FEDERATION` (all optional)."""
    conf: Mapping[str, Any] = getattr(settings, "TOSHOKAN_FEDERATION", {}) or {}
    runner = str(conf.get("RUNNER", "inprocess"))
    if runner not in {"inprocess", "tasks"}:
        raise ValueError(f'TOSHOKAN_FEDERATION["RUNNER"] is {runner!r}: use "inprocess" or "tasks"')
    return Limits(
        max_isbns=int(conf.get("MAX_ISBNS", 50)),
        max_systems=int(conf.get("MAX_SYSTEMS", 1000)),
        session_ttl_s=int(conf.get("SESSION_TTL_S", 600)),
        chunk_systems=max(1, int(conf.get("CHUNK_SYSTEMS", 50))),
        runner=runner,
    )


def split_list(text: str) -> list[str]:
    """Calil's comma-separated parameters: blanks dropped, repeats kept once, order kept."""
    seen: dict[str, None] = {}
    for part in text.replace("、", ",").replace("，", ",").split(","):
        part = part.strip()
        if part:
            seen.setdefault(part, None)
    return list(seen)


def isbn13s(given: Sequence[str]) -> tuple[dict[str, str], dict[str, str]]:
    """Each ISBN as a client wrote it (ISBN-10 or -13, hyphens allowed) → its ISBN-13, and those
    that are not ISBNs → why; for the check API, the page and the availability API alike."""
    normal: dict[str, str] = {}
    wrong: dict[str, str] = {}
    for value in given:
        try:
            normal[value] = normalize_isbn(value)
        except InvalidIdentifier as error:
            wrong[value] = str(error)
    return normal, wrong


# -- the state in the cache ----------------------------------------------------------------------


def _cache() -> BaseCache:
    return caches[CACHE_ALIAS]


def _meta_key(session: str) -> str:
    return f"{KEY_PREFIX}{session}"


def _chunk_key(session: str, index: int) -> str:
    return f"{KEY_PREFIX}{session}:c{index}"


def _encode(answer: SystemAnswer) -> list[Any]:
    return [
        answer.status.value,
        {k: v.value for k, v in answer.libkeys.items()},
        answer.reserveurl,
        answer.error,
    ]


# Plain dict lookups: a poll of 10 ISBNs × 1,000 systems decodes 10,000 answers, and calling the
# enums themselves costs several times more.
_SYSTEM_STATUS = {s.value: s for s in SystemStatus}
_BRANCH_STATUS = {s.value: s for s in BranchStatus}


def _decode(row: Sequence[Any]) -> SystemAnswer:
    status, libkeys, reserveurl, error = row
    return SystemAnswer(
        status=_SYSTEM_STATUS[status],
        libkeys={k: _BRANCH_STATUS[v] for k, v in libkeys.items()} if libkeys else {},
        reserveurl=reserveurl,
        error=error,
    )


RUNNING = SystemAnswer(SystemStatus.RUNNING)
UNKNOWN_SYSTEM = "no such systemid in this toshokan's library registry"
LATE = "not answered by the check's deadline"


@dataclass(frozen=True, slots=True)
class CheckState:
    """What a poll answers: per ISBN (as the client wrote it) and systemid, the answer so far."""

    session: str
    books: dict[str, dict[str, SystemAnswer]]

    @property
    def running(self) -> bool:
        return any(
            a.status is SystemStatus.RUNNING for systems in self.books.values() for a in systems.values()
        )


def poll(session: str, *, now: float | None = None) -> CheckState | None:
    """The session's answers so far, or None when there is no such session (unknown or expired)."""
    if not _SESSION.fullmatch(session):  # not one of ours: never a cache key made from any string
        return None
    cache = _cache()
    meta = cache.get(_meta_key(session))
    if meta is None:
        return None
    now = time.time() if now is None else now
    chunks = cache.get_many([_chunk_key(session, i) for i in range(meta["chunks"])])
    arrived: dict[str, dict[str, list[Any]]] = {}
    for chunk in chunks.values():
        for systemid, per_isbn in chunk["answers"].items():
            arrived.setdefault(systemid, {}).update(per_isbn)
    late = now > meta["deadline_at"] + GRACE_S
    books: dict[str, dict[str, SystemAnswer]] = {}
    for given in meta["isbns"]:
        isbn = meta["normal"][given]
        row: dict[str, SystemAnswer] = {}
        for systemid in meta["order"]:
            if systemid in meta["unknown"]:
                row[systemid] = SystemAnswer(SystemStatus.ERROR, error=UNKNOWN_SYSTEM)
                continue
            got = arrived.get(systemid, {}).get(isbn)
            if got is not None:
                row[systemid] = _decode(got)
            elif late:
                row[systemid] = SystemAnswer(SystemStatus.ERROR, error=LATE)
            else:
                row[systemid] = RUNNING
        books[given] = row
    return CheckState(session=session, books=books)


def _write_chunk(session: str, index: int, answers: dict[str, dict[str, list[Any]]], *, done: bool) -> None:
    ttl = limits().session_ttl_s
    _cache().set(_chunk_key(session, index), {"answers": answers, "done": done, "pid": os.getpid()}, ttl)


# -- starting a check ----------------------------------------------------------------------------


def _dedup_key(isbns: Sequence[str], systemids: Sequence[str]) -> str:
    digest = hashlib.sha256(
        ("|".join(sorted(isbns)) + "#" + "|".join(sorted(systemids))).encode()
    ).hexdigest()
    return f"{KEY_PREFIX}same:{digest[:32]}"


def start(
    isbns: Sequence[str],
    systemids: Sequence[str],
    *,
    registry: Registry,
    runner: Callable[[str, list[list[SystemSpec]], list[str], float], None] | None = None,
) -> str:
    """Start checking `isbns` at `systemids` and return the session id to poll.

    ISBNs are checked as ISBN-13 and answered under the form the client gave. Systemids the
    registry does not know are answered Error at once (they are never called: requests go only to
    registered endpoints). An identical check (same ISBNs, same systems) while the first is still
    running shares the first's session: a page reloaded by many patrons at once does not multiply
    the requests to every library. Once it has finished, a new check starts (and finds the answers
    in the engine's answer cache, as Cache).
    """
    lim = limits()
    if not isbns:
        raise CheckRefused("isbn is required: one or more ISBNs, separated by commas")
    if not systemids:
        raise CheckRefused("systemid is required: one or more systemids, separated by commas")
    if len(isbns) > lim.max_isbns:
        raise CheckRefused(f"too many ISBNs: {len(isbns)}, at most {lim.max_isbns} per check")
    if len(systemids) > lim.max_systems:
        raise CheckRefused(f"too many systemids: {len(systemids)}, at most {lim.max_systems} per check")
    normal, wrong = isbn13s(isbns)
    if wrong:
        given, why = next(iter(wrong.items()))
        raise CheckRefused(f"isbn {given!r} is not an ISBN: {why}")
    registered = {s.systemid: s for s in registry.systems}
    specs = [registered[sid] for sid in systemids if sid in registered]
    unknown = [sid for sid in systemids if sid not in registered]
    deadline_s = registry.check.deadline_s

    cache = _cache()
    session = secrets.token_urlsafe(24)
    # The ISBNs as given: a client reads the answer under its own spelling of each.
    same = _dedup_key(list(isbns), list(systemids))
    if not cache.add(same, session, timeout=max(1, int(deadline_s))):
        existing = cache.get(same)
        state = poll(existing) if existing is not None else None
        if state is not None and state.running:
            return str(existing)
        cache.set(same, session, timeout=max(1, int(deadline_s)))

    size = len(specs) if lim.runner == "inprocess" else lim.chunk_systems
    chunks = [specs[i : i + size] for i in range(0, len(specs), size)] if specs else []
    deadline_at = time.time() + deadline_s
    meta = {
        "isbns": list(isbns),
        "normal": normal,
        "order": list(systemids),
        "unknown": unknown,
        "chunks": len(chunks),
        "deadline_at": deadline_at,
        "systems": {i: [s.systemid for s in chunk] for i, chunk in enumerate(chunks)},
    }
    cache.set(_meta_key(session), meta, lim.session_ttl_s)
    if chunks:
        (runner or _runner_for(lim.runner))(session, chunks, sorted(set(normal.values())), deadline_at)
    return session


# -- running a chunk -----------------------------------------------------------------------------


class CheckFn(Protocol):
    def __call__(
        self,
        isbns: Sequence[str],
        systems: Sequence[SystemSpec],
        *,
        deadline_s: float,
        on_answer: Callable[[str, str, SystemAnswer], None] | None = ...,
        cache: Any = ...,
    ) -> Awaitable[Mapping[str, Mapping[str, SystemAnswer]]]: ...


def _engine_check() -> CheckFn:
    from . import engine

    return engine.check


def _answer_cache() -> AnswerCache | None:  # None: measure_sessions runs without one
    return AnswerCache()


async def run_chunk(
    session: str,
    index: int,
    systems: Sequence[SystemSpec],
    isbns: Sequence[str],
    deadline_at: float,
    *,
    check: CheckFn | None = None,
    answer_cache: Any = None,
) -> int:
    """Check `isbns` at `systems` (one chunk of a session), writing answers as they arrive.

    Returns how many answers were written. The engine is given what is left of the session's
    deadline, so a chunk a worker picks up late still ends when the session does.
    """
    check = check or _engine_check()
    answers: dict[str, dict[str, list[Any]]] = {}
    arrived = asyncio.Event()

    def on_answer(systemid: str, isbn: str, answer: SystemAnswer) -> None:
        answers.setdefault(systemid, {})[isbn] = _encode(answer)
        arrived.set()

    async def flush_as_they_arrive() -> None:
        while True:
            await arrived.wait()
            arrived.clear()
            snapshot = {sid: dict(per) for sid, per in answers.items()}
            await asyncio.to_thread(_write_chunk, session, index, snapshot, done=False)
            await asyncio.sleep(FLUSH_S)

    remaining = deadline_at - time.time()
    flusher = asyncio.create_task(flush_as_they_arrive())
    try:
        if remaining > 0:
            result = await check(
                isbns, systems, deadline_s=remaining, on_answer=on_answer, cache=answer_cache
            )
            # The returned answers are the final word (a system the engine gave up on is in it as Error).
            for systemid, per_isbn in result.items():
                for isbn, answer in per_isbn.items():
                    answers.setdefault(systemid, {})[isbn] = _encode(answer)
    except Exception:
        log.exception("federation check %s chunk %d failed", session[:6], index)
    finally:
        flusher.cancel()
    for spec in systems:  # anything still missing (a crash, no time left) is an Error, not Running
        per = answers.setdefault(spec.systemid, {})
        for isbn in isbns:
            per.setdefault(isbn, _encode(SystemAnswer(SystemStatus.ERROR, error=LATE)))
    await asyncio.to_thread(_write_chunk, session, index, answers, done=True)
    return sum(len(per) for per in answers.values())


# -- runners ---------------------------------------------------------------------------------------


class _LoopThread:
    """One daemon thread per process running an asyncio loop that checks run on."""

    def __init__(self) -> None:
        from .engine import _loop_factory

        self.pid = os.getpid()
        # uvloop when installed, as the engine's own synchronous entry uses: less CPU per connection.
        self.loop = (_loop_factory() or asyncio.new_event_loop)()
        self.thread = threading.Thread(target=self.loop.run_forever, name="federation-checks", daemon=True)
        self.thread.start()
        self.lock = threading.Lock()
        self.running: set[Future[Any]] = set()

    def submit(self, coro: Awaitable[Any]) -> Future[Any]:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self.loop)  # type: ignore[arg-type]
        with self.lock:
            self.running.add(future)
        future.add_done_callback(self._finished)
        return future

    def _finished(self, future: Future[Any]) -> None:
        with self.lock:
            self.running.discard(future)


_loop_lock = threading.Lock()
_loop: _LoopThread | None = None


def _background_loop() -> _LoopThread:
    global _loop
    with _loop_lock:
        # A forked process (a server's worker) inherits the object but not the thread.
        if _loop is None or _loop.pid != os.getpid() or not _loop.thread.is_alive():
            _loop = _LoopThread()
        return _loop


def drain(timeout_s: float) -> bool:
    """Wait until this process's in-process checks have finished; False if some still run after
    `timeout_s`. (For a clean shutdown, and for tests that must not leave a check writing into the
    next test's cache.)"""
    loop = _loop
    if loop is None or loop.pid != os.getpid():
        return True
    with loop.lock:
        running = list(loop.running)
    ends = time.monotonic() + timeout_s
    for future in running:
        try:
            future.result(timeout=max(0.0, ends - time.monotonic()))
        except Exception:  # finished badly is finished; a timeout means it still runs
            if not future.done():
                return False
    return True


def run_in_process(
    session: str, chunks: list[list[SystemSpec]], isbns: list[str], deadline_at: float
) -> None:
    loop = _background_loop()
    cache = _answer_cache()
    for index, chunk in enumerate(chunks):
        loop.submit(run_chunk(session, index, chunk, isbns, deadline_at, answer_cache=cache))


def run_as_tasks(session: str, chunks: list[list[SystemSpec]], isbns: list[str], deadline_at: float) -> None:
    from .tasks import run_check_chunk

    for index, chunk in enumerate(chunks):
        run_check_chunk.enqueue(session, index, [s.systemid for s in chunk], isbns, deadline_at)


def _runner_for(name: str) -> Callable[[str, list[list[SystemSpec]], list[str], float], None]:
    return run_as_tasks if name == "tasks" else run_in_process
