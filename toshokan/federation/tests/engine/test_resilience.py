"""A check across good and misbehaving library systems on loopback ends by its deadline, right."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from toshokan.federation import engine
from toshokan.federation.answer_cache import AnswerCache
from toshokan.federation.domain.availability import BranchStatus, SystemAnswer, SystemStatus
from toshokan.federation.domain.registry import BranchSpec, Connector, SystemSpec
from toshokan.federation.engine import Breakers, Limits
from toshokan.federation.tests import stubs as s

NEKO = "9784003101018"  # 吾輩は猫である (岩波文庫)
KOKORO = "9784101010137"  # こころ (新潮文庫)
NOT_HELD = "9784480020130"
LIMITS = Limits(per_host=2, connections=100, max_response_bytes=5 * 1024 * 1024, retries=1)


def system(
    sid: str, stub: s.Stub, *, connector: Connector = Connector.TOSHOKAN, timeout_s: float = 30.0,
    libkeys: tuple[str, ...] = ("中央",),
) -> SystemSpec:  # fmt: skip
    return SystemSpec(
        systemid=sid,
        name=sid,
        connector=connector,
        endpoint=stub.url,
        timeout_s=timeout_s,
        branches=tuple(BranchSpec(libkey=k, formal=f"{sid} {k}図書館") for k in libkeys),
    )


def run(isbns, systems, *, deadline_s=3.0, breakers=None, **kwargs):
    return asyncio.run(
        engine.check(isbns, systems, deadline_s=deadline_s, limits=kwargs.pop("limits", LIMITS),
                     breakers=breakers or Breakers(), **kwargs)
    )  # fmt: skip


def test_a_check_ends_by_its_deadline_with_bad_systems_in_error_and_every_good_answer_right(stubs):
    good_a = stubs.add(
        s.toshokan_api({NEKO: {"中央": "貸出可", "駅前": "貸出中"}}, reserveurl="http://a/{isbn}")
    )
    good_b = stubs.add(s.toshokan_api({KOKORO: {"中央": "館内のみ"}}, delay_s=0.3))
    bad = {
        "Hang": stubs.add(s.hang),
        "Reset": stubs.add(s.reset),
        "Http500": stubs.add(s.error_500),
        "Huge": stubs.add(s.huge(50)),
        "Drip": stubs.add(s.drip),
    }
    systems = [system("Good_A", good_a, libkeys=("中央", "駅前")), system("Good_B", good_b)]
    systems += [system(name, stub) for name, stub in bad.items()]
    systems.append(system("BrokenXml", stubs.add(s.broken_xml), connector=Connector.SRU))
    deadline = 3.0

    started = time.monotonic()
    result = run([NEKO, KOKORO, NOT_HELD], systems, deadline_s=deadline)
    elapsed = time.monotonic() - started

    assert elapsed < deadline + 0.5
    assert result["Good_A"][NEKO] == SystemAnswer(
        SystemStatus.OK, {"中央": BranchStatus.AVAILABLE, "駅前": BranchStatus.ON_LOAN}, "http://a/" + NEKO
    )
    assert result["Good_A"][KOKORO] == SystemAnswer(SystemStatus.OK, {}, "")
    assert result["Good_B"][KOKORO].libkeys == {"中央": BranchStatus.LIBRARY_USE_ONLY}
    assert result["Good_B"][NOT_HELD] == SystemAnswer(SystemStatus.OK, {}, "")
    for sid in [*bad, "BrokenXml"]:
        assert {a.status for a in result[sid].values()} == {SystemStatus.ERROR}, sid
    assert result["Hang"][NEKO].error == "deadline"
    assert result["Drip"][NEKO].error == "deadline"
    assert "500" in result["Http500"][NEKO].error
    assert "cap" in result["Huge"][NEKO].error
    assert "broken XML" in result["BrokenXml"][NEKO].error
    assert result["Reset"][NEKO].error != "deadline"


def test_errors_that_come_fast_are_reported_before_the_deadline(stubs):
    arrived: dict[str, float] = {}
    started = time.monotonic()
    systems = [
        system("Reset", stubs.add(s.reset)),
        system("Http500", stubs.add(s.error_500)),
        system("Huge", stubs.add(s.huge(50))),
        system("Declared", stubs.add(s.huge(50, declare_length=True))),
        system("Slow", stubs.add(s.hang), timeout_s=1.0),
    ]
    result = run(
        [NEKO],
        systems,
        deadline_s=4.0,
        on_answer=lambda sid, i, a: arrived.setdefault(sid, time.monotonic() - started),
    )
    assert all(arrived[sid] < 2.0 for sid in ("Reset", "Http500", "Huge", "Declared")), arrived
    assert "5,242,880-byte cap" in result["Declared"][NEKO].error
    assert result["Slow"][NEKO].error.startswith("no answer within 1 s")
    assert 0.9 < arrived["Slow"] < 2.5


def test_each_answer_is_handed_over_as_its_system_finishes_not_when_the_slowest_does(stubs):
    fast = stubs.add(s.toshokan_api({NEKO: {"中央": "貸出可"}}))
    slow = stubs.add(s.toshokan_api({NEKO: {"中央": "貸出中"}}, delay_s=1.0))
    arrived: list[tuple[str, float]] = []
    started = time.monotonic()
    run([NEKO], [system("Slow", slow), system("Fast", fast)],
        on_answer=lambda sid, isbn, a: arrived.append((sid, time.monotonic() - started)))  # fmt: skip
    assert [sid for sid, _ in arrived] == ["Fast", "Slow"]
    assert arrived[0][1] < 0.6 < 0.9 < arrived[1][1]


def test_no_host_sees_more_requests_at_once_than_the_per_host_cap(stubs):
    shared = stubs.add(s.toshokan_api({NEKO: {"中央": "貸出可"}}, delay_s=0.3))
    systems = [system(f"Sys{n}", shared) for n in range(6)]
    result = run([NEKO], systems, deadline_s=5.0)
    assert all(r[NEKO].status is SystemStatus.OK for r in result.values())
    assert shared.requests == 6
    assert shared.max_busy == 2

    wider = stubs.add(s.toshokan_api({NEKO: {"中央": "貸出可"}}, delay_s=0.3))
    run([NEKO], [system(f"Sys{n}", wider) for n in range(6)], deadline_s=5.0,
        limits=Limits(per_host=4, connections=100))  # fmt: skip
    assert wider.max_busy == 4


def test_a_system_that_keeps_failing_opens_its_breaker_and_is_not_called_until_the_cool_down_ends(stubs):
    now = [0.0]
    breakers = Breakers(failures=2, cooldown_s=30.0, clock=lambda: now[0])
    flaky = s.Switchable(s.error_500)
    stub = stubs.add(flaky)
    spec = system("Flaky", stub)

    for _ in range(2):
        assert run([NEKO], [spec], breakers=breakers)["Flaky"][NEKO].error.startswith("HTTP 500")
    assert breakers.state(spec) == "open"
    assert run([NEKO], [spec], breakers=breakers)["Flaky"][NEKO].error == "circuit open"
    assert stub.requests == 2  # refused without a call

    now[0] = 31.0  # the cool-down is over: one probe goes out; it fails, so the breaker opens again
    assert run([NEKO], [spec], breakers=breakers)["Flaky"][NEKO].error.startswith("HTTP 500")
    assert stub.requests == 3
    assert run([NEKO], [spec], breakers=breakers)["Flaky"][NEKO].error == "circuit open"

    flaky.behaviour = s.toshokan_api({NEKO: {"中央": "貸出可"}})  # the library is back
    now[0] = 62.0
    assert run([NEKO], [spec], breakers=breakers)["Flaky"][NEKO].status is SystemStatus.OK
    assert breakers.state(spec) == "closed"
    assert run([NEKO], [spec], breakers=breakers)["Flaky"][NEKO].status is SystemStatus.OK
    assert stub.requests == 5


def test_a_system_that_misses_the_deadline_counts_against_its_breaker(stubs):
    breakers = Breakers(failures=1, cooldown_s=60.0)
    spec = system("Hang", stubs.add(s.hang))
    assert run([NEKO], [spec], deadline_s=0.5, breakers=breakers)["Hang"][NEKO].error == "deadline"
    assert run([NEKO], [spec], deadline_s=0.5, breakers=breakers)["Hang"][NEKO].error == "circuit open"


def test_a_cached_answer_comes_back_as_cache_without_asking_the_system(stubs):
    stub = stubs.add(s.toshokan_api({NEKO: {"中央": "貸出可"}}, reserveurl="http://a/{isbn}"))
    cache = AnswerCache(ttl_s=60)
    cache.clear()
    spec = system("Cached", stub)
    first = run([NEKO, KOKORO], [spec], cache=cache)["Cached"]
    second = run([NEKO, KOKORO], [spec], cache=cache)["Cached"]
    assert first[NEKO].status is SystemStatus.OK
    assert second[NEKO] == SystemAnswer(
        SystemStatus.CACHE, {"中央": BranchStatus.AVAILABLE}, "http://a/" + NEKO
    )
    assert second[KOKORO] == SystemAnswer(SystemStatus.CACHE, {}, "")
    assert stub.requests == 1


def test_an_error_is_not_cached(stubs):
    stub = stubs.add(s.error_500)
    cache = AnswerCache(ttl_s=60)
    cache.clear()
    run([NEKO], [system("Down", stub)], cache=cache)
    run([NEKO], [system("Down", stub)], cache=cache)
    assert stub.requests == 2


@pytest.mark.parametrize(
    "endpoint",
    ["ftp://127.0.0.1/catalogue", "file:///etc/passwd", "gopher://127.0.0.1:70/", "", "127.0.0.1:8000"],
)
def test_a_system_whose_endpoint_is_not_http_or_https_is_refused(stubs, endpoint):
    spec = SystemSpec(systemid="Odd", name="Odd", connector=Connector.SRU, endpoint=endpoint)
    answer = run([NEKO], [spec])["Odd"][NEKO]
    assert answer.status is SystemStatus.ERROR
    assert "not an http(s) URL" in answer.error


def test_a_connector_cannot_be_pointed_off_its_registered_host(stubs):
    target = stubs.add(s.toshokan_api({NEKO: {"中央": "貸出可"}}))
    elsewhere = stubs.add(s.toshokan_api({NEKO: {"中央": "貸出可"}}))
    spec = SystemSpec(
        systemid="Sneaky", name="Sneaky", connector=Connector.TOSHOKAN, endpoint=target.url,
        options={"path": f"@127.0.0.1:{elsewhere.port}/api"},
    )  # fmt: skip
    answer = run([NEKO], [spec])["Sneaky"][NEKO]
    assert answer.status is SystemStatus.ERROR
    assert elsewhere.requests == 0


def test_a_redirect_is_not_followed_to_another_host(stubs):
    elsewhere = stubs.add(s.toshokan_api({NEKO: {"中央": "貸出可"}}))
    redirecting = stubs.add(s.redirect(elsewhere.url + "/api/v1/federation/availability?isbn=" + NEKO))
    answer = run([NEKO], [system("Redirect", redirecting)])["Redirect"][NEKO]
    assert answer.error.startswith("HTTP 302")
    assert elsewhere.requests == 0


def test_a_connection_reset_before_any_byte_is_retried_once(stubs):
    stub = stubs.add(s.flaky_then(s.toshokan_api({NEKO: {"中央": "貸出可"}}), failures=1))
    assert run([NEKO], [system("Flaky", stub)])["Flaky"][NEKO].status is SystemStatus.OK
    assert stub.connections == 2

    twice = stubs.add(s.flaky_then(s.toshokan_api({NEKO: {"中央": "貸出可"}}), failures=2))
    assert run([NEKO], [system("Twice", twice)])["Twice"][NEKO].status is SystemStatus.ERROR
    assert twice.connections == 2


def test_a_port_nobody_listens_on_answers_error_at_once(stubs):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again when the block ends: connections are refused
    spec = SystemSpec(
        systemid="Gone", name="Gone", connector=Connector.TOSHOKAN, endpoint=f"http://127.0.0.1:{port}"
    )
    started = time.monotonic()
    answer = run([NEKO], [spec])["Gone"][NEKO]
    assert answer.status is SystemStatus.ERROR and "ClientConnectorError" in answer.error
    assert time.monotonic() - started < 1.0


def test_an_answer_that_came_back_is_not_retried(stubs):
    stub = stubs.add(s.error_500)
    run([NEKO], [system("Down", stub)])
    assert stub.requests == 1


def test_what_is_not_an_isbn_answers_error_without_a_request_and_both_isbn_forms_are_one_book(stubs):
    stub = stubs.add(s.toshokan_api({NEKO: {"中央": "貸出可"}}))
    result = run(["4003101014", "978-4-00-310101-8", "12345"], [system("A", stub)])["A"]
    assert result["4003101014"].libkeys == {"中央": BranchStatus.AVAILABLE}
    assert result["978-4-00-310101-8"] == result["4003101014"]
    assert result["12345"].status is SystemStatus.ERROR and "not an ISBN" in result["12345"].error
    assert stub.requests == 1
    assert stub.log[0].query["isbn"] == [NEKO]


def test_check_sync_hands_answers_to_the_calling_thread(stubs):
    stub = stubs.add(s.toshokan_api({NEKO: {"中央": "貸出可"}}))
    threads: set[str] = set()
    result = engine.check_sync(
        [NEKO], [system("A", stub), system("B", stub)], deadline_s=3.0, limits=LIMITS, breakers=Breakers(),
        on_answer=lambda sid, isbn, a: threads.add(threading.current_thread().name),
    )  # fmt: skip
    assert result["A"][NEKO].libkeys == {"中央": BranchStatus.AVAILABLE}
    assert threads == {threading.current_thread().name}


def test_a_deadline_that_is_not_positive_is_refused():
    with pytest.raises(ValueError, match="deadline_s must be positive"):
        run([NEKO], [], deadline_s=0)


def test_the_slowest_systems_last_time_start_first_in_turn_with_the_quickest_and_unknown_count_as_slowest(
    stubs,
):
    latencies = engine.Latencies()
    specs = [
        SystemSpec(systemid=n, name=n, connector=Connector.TOSHOKAN, endpoint=f"http://{n}.example")
        for n in "abcde"
    ]
    latencies.took(specs[0], 0.2)
    latencies.took(specs[1], 1.5)
    latencies.took(specs[2], 0.2)
    latencies.took(specs[2], 1.2)  # slower lately: 0.2 + 0.3 × (1.2 − 0.2) = 0.5
    latencies.took(specs[4], 0.1)
    # by speed: d (never seen), b 1.5, c 0.5, a 0.2, e 0.1 — then slowest and quickest in turns
    assert [s.systemid for s in latencies.start_order(specs)] == ["d", "e", "b", "a", "c"]

    slow = stubs.add(s.toshokan_api({NEKO: {"中央": "貸出可"}}, delay_s=0.4))
    fast = stubs.add(s.toshokan_api({NEKO: {"中央": "貸出可"}}))
    order = [system("Fast", fast), system("Slow", slow)]
    seen = engine.Latencies()
    run([NEKO], order, latencies=seen)
    assert [x.systemid for x in seen.start_order(order)] == ["Slow", "Fast"]


def test_a_system_named_twice_is_asked_once_and_the_check_does_not_wait_for_a_second_answer(stubs):
    stub = stubs.add(s.toshokan_api({NEKO: {"中央": "貸出可"}}))
    started = time.monotonic()
    result = run([NEKO], [system("A", stub), system("A", stub)], deadline_s=3.0)
    assert time.monotonic() - started < 1.0
    assert list(result) == ["A"] and result["A"][NEKO].status is SystemStatus.OK
    assert stub.requests == 1


def test_an_on_answer_that_fails_does_not_lose_the_other_answers(stubs):
    stub = stubs.add(s.toshokan_api({NEKO: {"中央": "貸出可"}}))
    seen: list[str] = []

    def on_answer(systemid, isbn, answer):
        seen.append(systemid)
        if systemid == "A":
            raise RuntimeError("a caller's bug")

    result = engine.check_sync(
        [NEKO], [system("A", stub), system("B", stub)], deadline_s=3.0, limits=LIMITS, breakers=Breakers(),
        on_answer=on_answer,
    )  # fmt: skip
    assert sorted(seen) == ["A", "B"]
    assert result["B"][NEKO].status is SystemStatus.OK


def test_a_check_never_holds_more_connections_than_its_cap_across_all_hosts(stubs):
    servers = [stubs.add(s.toshokan_api({NEKO: {"中央": "貸出可"}}, delay_s=0.3)) for _ in range(6)]
    result = run([NEKO], [system(f"Sys{n}", stub) for n, stub in enumerate(servers)], deadline_s=5.0,
                 limits=Limits(per_host=2, connections=3))  # fmt: skip
    assert all(r[NEKO].status is SystemStatus.OK for r in result.values())
    assert stubs.max_busy == 3


def test_checks_running_at_once_on_one_event_loop_share_the_per_host_cap(stubs):
    shared = stubs.add(s.toshokan_api({NEKO: {"中央": "貸出可"}}, delay_s=0.3))

    async def two_checks():
        return await asyncio.gather(*(
            engine.check([NEKO], [system(f"{who}{n}", shared) for n in range(3)], deadline_s=5.0,
                         limits=LIMITS, breakers=Breakers())
            for who in ("Patron_A_", "Patron_B_")
        ))  # fmt: skip

    first, second = asyncio.run(two_checks())
    assert all(r[NEKO].status is SystemStatus.OK for r in [*first.values(), *second.values()])
    assert shared.requests == 6
    assert shared.max_busy == 2


@pytest.mark.parametrize(
    ("remote", "kept"),
    [
        ("https://opac.example/r/{isbn}", "https://opac.example/r/" + NEKO),
        ("javascript:alert(document.cookie)//{isbn}", ""),
        (" JavaScript:alert(1)", ""),
        ("data:text/html,<script>alert(1)</script>", ""),
        ("//evil.example/{isbn}", ""),
    ],
)
def test_a_remote_reserveurl_is_kept_only_when_it_is_a_web_link(stubs, remote, kept):
    # It becomes a link on the patron's page: a script URL from a remote server would run as ours.
    other = stubs.add(s.toshokan_api({NEKO: {"中央": "貸出可"}}, reserveurl=remote))
    answer = run([NEKO], [system("Other", other)])["Other"][NEKO]
    assert answer.status is SystemStatus.OK and answer.reserveurl == kept
