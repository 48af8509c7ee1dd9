"""The `calil` connector against a Calil-like server on loopback: appkey from settings, session polling."""

from __future__ import annotations

import asyncio
import json

import pytest

from toshokan.federation import engine, selectors, services
from toshokan.federation.connectors import calil
from toshokan.federation.domain.availability import BranchStatus as B
from toshokan.federation.domain.availability import SystemAnswer, SystemStatus
from toshokan.federation.domain.registry import BranchSpec, CheckSettings, Connector, Registry, SystemSpec
from toshokan.federation.engine import Breakers, Limits
from toshokan.federation.tests.stubs import Request, response

NEKO = "9784003101018"
KOKORO = "9784101010137"


def calil_like(polls_before_done: int):
    """Calil's /check: Running at first, OK after `polls_before_done` polls with the session."""
    state = {"polls": 0}

    async def behave(request: Request, reader, writer) -> None:
        q = {k: v[0] for k, v in request.query.items()}
        if request.path != "/check" or q.get("format") != "json" or q.get("callback") != "no":
            writer.write(response(400, b"bad request"))
            return
        if "session" in q:
            assert q["session"] == "s-1"
            state["polls"] += 1
        done = state["polls"] >= polls_before_done
        running = {"status": "Running", "reserveurl": "", "libkey": {}}
        books = {
            NEKO: {"Aomori_Pref": {"status": "OK", "reserveurl": "https://opac.example/neko", "libkey": {"県立": "貸出可", "分館": "蔵書なし"}} if done else running},
            KOKORO: {"Aomori_Pref": {"status": "Cache", "reserveurl": "", "libkey": {}} if done else running},
        }  # fmt: skip
        body = {
            "session": "s-1",
            "continue": 0 if done else 1,
            "books": books,
            "appkey_seen": q.get("appkey"),
        }
        writer.write(response(200, json.dumps(body, ensure_ascii=False).encode()))
        await writer.drain()

    return behave


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch):
    """Calil's two seconds between polls, shortened for the stub that stands in for it."""
    monkeypatch.setattr(calil, "MIN_POLL_S", 0.1)


def spec(url: str) -> SystemSpec:
    return SystemSpec(
        systemid="Aomori_Pref", name="青森県立図書館", connector=Connector.CALIL, endpoint=url,
        options={"poll_interval_s": 0.1},
    )  # fmt: skip


def run(systems, deadline_s=5.0):
    return asyncio.run(
        engine.check([NEKO, KOKORO], systems, deadline_s=deadline_s, limits=Limits(), breakers=Breakers())
    )


def test_calil_is_polled_with_its_session_until_it_is_done(stubs, settings):
    settings.TOSHOKAN_CALIL_APPKEY = "toshokan-key"
    stub = stubs.add(calil_like(polls_before_done=2))
    result = run([spec(stub.url)])["Aomori_Pref"]
    assert result[NEKO] == SystemAnswer(SystemStatus.OK, {"県立": B.AVAILABLE}, "https://opac.example/neko")
    assert result[KOKORO] == SystemAnswer(SystemStatus.OK, {})
    assert stub.requests == 3
    assert {r.query["appkey"][0] for r in stub.log} == {"toshokan-key"}
    assert stub.log[0].query["isbn"] == [f"{NEKO},{KOKORO}"]
    assert stub.log[0].query["systemid"] == ["Aomori_Pref"]


def test_an_upstream_still_running_near_the_deadline_answers_error_before_it(stubs, settings):
    settings.TOSHOKAN_CALIL_APPKEY = "toshokan-key"
    stub = stubs.add(calil_like(polls_before_done=1000))
    result = run([spec(stub.url)], deadline_s=1.5)["Aomori_Pref"]
    assert result[NEKO].status is SystemStatus.ERROR
    assert result[NEKO].error == "upstream Calil did not finish in time"


def test_without_an_appkey_calil_is_not_called(stubs, settings):
    settings.TOSHOKAN_CALIL_APPKEY = ""
    stub = stubs.add(calil_like(polls_before_done=0))
    breakers = Breakers(failures=1)
    for _ in range(2):  # a setting we lack is not the system's failure: no circuit opens
        result = asyncio.run(
            engine.check([NEKO], [spec(stub.url)], deadline_s=5, limits=Limits(), breakers=breakers)
        )
        assert result["Aomori_Pref"][NEKO].error == "no upstream Calil appkey configured"
    assert stub.requests == 0


@pytest.mark.django_db
def test_a_registered_calil_system_without_an_endpoint_asks_calils_api_named_in_the_settings(stubs, settings):
    # The demo registers its 684 real systems so: connector "calil", no endpoint of their own.
    settings.TOSHOKAN_CALIL_APPKEY = "toshokan-key"
    stub = stubs.add(calil_like(polls_before_done=0))
    settings.TOSHOKAN_CALIL_API_URL = stub.url
    registry = Registry(
        check=CheckSettings(),
        systems=(
            SystemSpec(
                systemid="Aomori_Pref", name="青森県立図書館", connector=Connector.CALIL,
                branches=(BranchSpec(libkey="県立", formal="青森県立図書館"),),
            ),
        )
    )  # fmt: skip
    services.sync_registry(registry, source="test.toml")
    selectors.forget_registry()
    (system,) = selectors.registry().systems
    assert system.endpoint == ""  # the registry keeps what the file says
    result = run([system])["Aomori_Pref"]
    assert result[NEKO].libkeys == {"県立": B.AVAILABLE}
    assert stub.requests == 1


def test_a_registry_option_cannot_poll_calil_more_often_than_every_two_seconds(stubs, settings, monkeypatch):
    monkeypatch.setattr(calil, "MIN_POLL_S", 2.0)
    settings.TOSHOKAN_CALIL_APPKEY = "toshokan-key"
    stub = stubs.add(calil_like(polls_before_done=1))
    # poll_interval_s 0.1 asks for a poll at once; two seconds and the margin do not fit in 1.5 s.
    result = run([spec(stub.url)], deadline_s=1.5)["Aomori_Pref"]
    assert stub.requests == 1
    assert result[NEKO].error == "upstream Calil did not finish in time"
