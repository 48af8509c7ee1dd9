"""Check sessions: what a poll sees while systems answer, after the deadline, for unknown systems.

The engine here is a small async function written for these tests: they are about the session's
bookkeeping (what is Running, what arrived, what a late poll says), not about reaching libraries —
the real engine is exercised by test_calil_check_http.py and the scale tests.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import Future

import pytest

from toshokan.federation import checks
from toshokan.federation.domain.availability import BranchStatus, SystemAnswer, SystemStatus
from toshokan.federation.domain.registry import BranchSpec, CheckSettings, Connector, Registry, SystemSpec

KOKORO = "9784003101117"
SANSHIRO = "4003101014"  # ISBN-10, as a client may send it; answered under this form


def system(systemid: str) -> SystemSpec:
    return SystemSpec(
        systemid=systemid,
        name=systemid,
        connector=Connector.SRU,
        endpoint=f"http://127.0.0.1:9/{systemid}",
        branches=(BranchSpec(libkey="本館", formal=f"{systemid}本館"),),
    )


REGISTRY = Registry(
    check=CheckSettings(deadline_s=5), systems=(system("Fast"), system("Slow"), system("Dead"))
)


def scripted(delays: dict[str, float | None], libkeys: dict[str, BranchStatus]):
    """An engine whose systems answer after the given delays (None: never, the engine gives up)."""

    async def check(isbns, systems, *, deadline_s, on_answer=None, cache=None):
        results: dict[str, dict[str, SystemAnswer]] = {}

        async def one(spec: SystemSpec) -> None:
            delay = delays[spec.systemid]
            if delay is None:
                await asyncio.sleep(deadline_s)
                answer = SystemAnswer(SystemStatus.ERROR, error="timeout")
            else:
                await asyncio.sleep(delay)
                answer = SystemAnswer(
                    SystemStatus.OK, libkeys=dict(libkeys), reserveurl=f"https://{spec.systemid}/r"
                )
            for isbn in isbns:
                results.setdefault(spec.systemid, {})[isbn] = answer
                if on_answer:
                    on_answer(spec.systemid, isbn, answer)

        await asyncio.gather(*(one(s) for s in systems))
        return results

    return check


def run_now(engine):
    """A runner that runs the chunks on the test's thread, to the end."""

    def runner(session, chunks, isbns, deadline_at):
        for i, chunk in enumerate(chunks):
            asyncio.run(checks.run_chunk(session, i, chunk, isbns, deadline_at, check=engine))

    return runner


def test_a_poll_sees_the_fast_system_while_the_slow_one_is_still_running():
    engine = scripted({"Fast": 0.0, "Slow": 3.0, "Dead": None}, {"本館": BranchStatus.AVAILABLE})
    started: list[Future[int]] = []

    def runner(session, chunks, isbns, deadline_at):
        loop = checks._background_loop()
        for i, chunk in enumerate(chunks):
            started.append(loop.submit(checks.run_chunk(session, i, chunk, isbns, deadline_at, check=engine)))

    session = checks.start([KOKORO], ["Fast", "Slow"], registry=REGISTRY, runner=runner)
    deadline = time.monotonic() + 3
    while True:
        state = checks.poll(session)
        assert state is not None
        if state.books[KOKORO]["Fast"].status is SystemStatus.OK or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert state.books[KOKORO]["Fast"].libkeys == {"本館": BranchStatus.AVAILABLE}
    assert state.books[KOKORO]["Slow"].status is SystemStatus.RUNNING
    assert state.running
    started[0].result(timeout=5)
    final = checks.poll(session)
    assert final is not None and not final.running
    assert final.books[KOKORO]["Slow"].status is SystemStatus.OK


def test_answers_are_kept_under_the_isbn_as_the_client_wrote_it():
    engine = scripted({"Fast": 0.0, "Slow": 0.0, "Dead": 0.0}, {"本館": BranchStatus.ON_LOAN})
    session = checks.start([SANSHIRO, KOKORO], ["Fast"], registry=REGISTRY, runner=run_now(engine))
    state = checks.poll(session)
    assert state is not None
    assert list(state.books) == [SANSHIRO, KOKORO]
    assert state.books[SANSHIRO]["Fast"].libkeys == {"本館": BranchStatus.ON_LOAN}


def test_an_unknown_systemid_is_an_error_at_once_and_is_never_called():
    called: list[str] = []
    inner = scripted({"Fast": 0.0, "Slow": 0.0, "Dead": 0.0}, {})

    async def engine(isbns, systems, **kw):
        called.extend(s.systemid for s in systems)
        return await inner(isbns, systems, **kw)

    session = checks.start([KOKORO], ["Nowhere_Lib", "Fast"], registry=REGISTRY, runner=run_now(engine))
    state = checks.poll(session)
    assert state is not None
    assert list(state.books[KOKORO]) == ["Nowhere_Lib", "Fast"]
    assert state.books[KOKORO]["Nowhere_Lib"].status is SystemStatus.ERROR
    assert called == ["Fast"]


def test_a_system_nobody_answered_for_is_an_error_after_the_deadline():
    session = checks.start([KOKORO], ["Fast"], registry=REGISTRY, runner=lambda *a: None)
    state = checks.poll(session)
    assert state is not None and state.books[KOKORO]["Fast"].status is SystemStatus.RUNNING
    later = time.time() + REGISTRY.check.deadline_s + checks.GRACE_S + 1
    state = checks.poll(session, now=later)
    assert state is not None and state.books[KOKORO]["Fast"].status is SystemStatus.ERROR
    assert not state.running


def test_an_engine_that_fails_leaves_errors_not_running_systems():
    async def broken(isbns, systems, **kw):
        raise RuntimeError("boom")

    session = checks.start([KOKORO], ["Fast", "Slow"], registry=REGISTRY, runner=run_now(broken))
    state = checks.poll(session)
    assert state is not None and not state.running
    assert {a.status for a in state.books[KOKORO].values()} == {SystemStatus.ERROR}


def test_an_identical_check_while_the_first_runs_shares_its_session():
    runs: list[str] = []
    first = checks.start([KOKORO], ["Fast", "Slow"], registry=REGISTRY, runner=lambda s, *a: runs.append(s))
    second = checks.start([KOKORO], ["Slow", "Fast"], registry=REGISTRY, runner=lambda s, *a: runs.append(s))
    other = checks.start([SANSHIRO], ["Fast"], registry=REGISTRY, runner=lambda s, *a: runs.append(s))
    # The same book spelt otherwise is answered under that spelling, so it is a check of its own.
    spelt = checks.start(
        ["4-00-310111-1"], ["Fast", "Slow"], registry=REGISTRY, runner=lambda s, *a: runs.append(s)
    )
    assert first == second != other
    assert spelt not in (first, other)
    assert runs == [first, other, spelt]
    state = checks.poll(spelt)
    assert state is not None and list(state.books) == ["4-00-310111-1"]


def test_session_ids_are_long_and_random():
    ids = {checks.start([KOKORO], [f"X{i}"], registry=REGISTRY, runner=lambda *a: None) for i in range(20)}
    assert len(ids) == 20
    assert all(len(i) >= 32 for i in ids)


def test_an_unknown_or_malformed_session_polls_as_none():
    assert checks.poll("no-such-session-of-ours-at-all") is None
    assert checks.poll("../../etc/passwd") is None
    assert checks.poll("x" * 300) is None


@pytest.mark.parametrize(
    ("isbns", "systemids", "message"),
    [
        ([], ["Fast"], "isbn is required"),
        ([KOKORO], [], "systemid is required"),
        (["12345"], ["Fast"], "is not an ISBN"),
        ([KOKORO] * 1 + [f"97840031011{i:02d}" for i in range(60)], ["Fast"], "too many ISBNs"),
        ([KOKORO], [f"S{i}" for i in range(1001)], "too many systemids"),
    ],
)
def test_a_check_over_the_limits_or_without_isbns_is_refused_with_a_reason(isbns, systemids, message):
    with pytest.raises(checks.CheckRefused, match=message):
        checks.start(isbns, systemids, registry=REGISTRY, runner=lambda *a: None)


def test_comma_separated_parameters_drop_blanks_and_repeats_and_keep_order():
    assert checks.split_list(" B, A,,B ,C") == ["B", "A", "C"]
    assert checks.split_list("") == []


def test_a_chunk_taken_up_after_the_deadline_answers_error_without_asking_anyone():
    asked: list[str] = []

    async def engine(isbns, systems, **kw):
        asked.extend(s.systemid for s in systems)
        return {}

    def late_worker(session, chunks, isbns, deadline_at):
        for i, chunk in enumerate(chunks):
            asyncio.run(checks.run_chunk(session, i, chunk, isbns, time.time() - 1, check=engine))

    session = checks.start([KOKORO], ["Fast", "Slow"], registry=REGISTRY, runner=late_worker)
    state = checks.poll(session)
    assert state is not None and not state.running
    assert {a.status for a in state.books[KOKORO].values()} == {SystemStatus.ERROR}
    assert asked == []


def test_a_check_of_only_unknown_systems_is_over_at_once():
    session = checks.start([KOKORO], ["Nowhere_A", "Nowhere_B"], registry=REGISTRY, runner=lambda *a: None)
    state = checks.poll(session)
    assert state is not None and not state.running
    assert [a.error for a in state.books[KOKORO].values()] == [checks.UNKNOWN_SYSTEM] * 2
