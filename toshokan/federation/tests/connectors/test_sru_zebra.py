"""The `sru` connector against a real Zebra server registered as one library system."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from toshokan.federation import engine
from toshokan.federation.connectors.base import FetchError
from toshokan.federation.connectors.sru import SruConnector, isbn_query, parse
from toshokan.federation.domain.availability import BranchStatus, SystemAnswer, SystemStatus
from toshokan.federation.domain.registry import BranchSpec, Connector, SystemSpec
from toshokan.federation.engine import Breakers, Limits, _Run, _SystemHttp, _to_thread_closing

PRINCETON_SET = "9780691056494"  # 0691056498: 852 $b ALDERMAN and CLEMONS (UVA's test records)
KUBO_SAKAE = "9784588460050"  # 4588460056: a Japanese record with no holdings fields
NOT_THERE = "9784003101018"  # 吾輩は猫である: not in the register
ONE_COPY = "091145909X"  # 852 $b ALDERMAN only


def uva(zebra, **options) -> SystemSpec:
    return SystemSpec(
        systemid="Virginia_Zebra",
        name="Zebra (UVA test records)",
        connector=Connector.SRU,
        endpoint=zebra.url,
        timeout_s=5,
        options={"locations": {"ALDERMAN": "Alderman", "SCI-ENG": "Science"}, **options},
        branches=(
            BranchSpec(libkey="Alderman", formal="Alderman Library"),
            BranchSpec(libkey="Clemons", formal="Clemons Library", branch="CLEMONS"),
            BranchSpec(libkey="Science", formal="Brown Science and Engineering Library"),
        ),
    )


def check(isbns, systems):
    return asyncio.run(engine.check(isbns, systems, deadline_s=10, limits=Limits(), breakers=Breakers()))


def test_isbns_zebra_holds_come_back_held_at_their_852_branches_and_others_not_held(zebra):
    result = check(["0691056498", KUBO_SAKAE, "4588460056", NOT_THERE, ONE_COPY], [uva(zebra)])[
        "Virginia_Zebra"
    ]
    assert result["0691056498"] == SystemAnswer(
        SystemStatus.OK, {"Alderman": BranchStatus.HELD, "Clemons": BranchStatus.HELD}
    )
    assert result[ONE_COPY].libkeys == {"Alderman": BranchStatus.HELD}
    # a hit without holdings fields: held, at the system's first branch
    assert result[KUBO_SAKAE] == SystemAnswer(SystemStatus.OK, {"Alderman": BranchStatus.HELD})
    assert result["4588460056"] == result[KUBO_SAKAE]
    assert result[NOT_THERE] == SystemAnswer(SystemStatus.OK, {})


def test_a_one_branch_system_reports_its_branch_for_every_hit(zebra):
    spec = SystemSpec(
        systemid="One", name="One", connector=Connector.SRU, endpoint=zebra.url,
        branches=(BranchSpec(libkey="本館", formal="本館"),),
    )  # fmt: skip
    result = check([PRINCETON_SET, KUBO_SAKAE, NOT_THERE], [spec])["One"]
    assert result[PRINCETON_SET].libkeys == {"本館": BranchStatus.HELD}
    assert result[KUBO_SAKAE].libkeys == {"本館": BranchStatus.HELD}
    assert result[NOT_THERE].libkeys == {}


def test_sru_1_1_and_a_reserve_url_template_work_too(zebra):
    spec = uva(zebra, version="1.1")
    spec = dataclasses.replace(spec, reserve_url="https://opac.example/isbn/{isbn}")
    result = check([PRINCETON_SET], [spec])["Virginia_Zebra"][PRINCETON_SET]
    assert result.status is SystemStatus.OK
    assert result.reserveurl == "https://opac.example/isbn/" + PRINCETON_SET


def test_an_index_zebra_does_not_know_is_the_systems_error(zebra):
    result = check([PRINCETON_SET], [uva(zebra, isbn_index="bath.nosuchindex")])["Virginia_Zebra"]
    assert result[PRINCETON_SET].status is SystemStatus.ERROR
    assert "SRU diagnostic" in result[PRINCETON_SET].error


def test_records_are_found_by_title(zebra):
    async def search():
        run = _Run(Limits(), asyncio.get_running_loop().time() + 5, _to_thread_closing)
        try:
            return await SruConnector().by_title(uva(zebra), _SystemHttp(run, uva(zebra)), "Kazanbaichi")
        finally:
            await run.close()

    records = asyncio.run(search())
    assert records and all("Kazanbaichi" in (r.title or "") for r in records)


def test_the_isbn_query_asks_for_both_forms_of_the_isbn():
    assert isbn_query(KUBO_SAKAE) == 'bath.isbn="9784588460050" or bath.isbn="4588460056"'
    assert isbn_query("9791032305690") == 'bath.isbn="9791032305690"'  # 979 numbers have no ISBN-10


@pytest.mark.parametrize(
    "body",
    [
        b"<html>Service unavailable</html>",
        b"<searchRetrieveResponse><numberOfRecords>many</numberOfRecords></searchRetrieveResponse>",
        b"<searchRetrieveResponse><numberOfRecords>1</numberOfRecords><records>",
    ],
)
def test_what_is_not_a_usable_sru_answer_is_an_error(body):
    with pytest.raises(FetchError):
        parse(body)


def test_entities_in_an_answer_are_never_resolved():
    body = (
        b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b'<searchRetrieveResponse xmlns="http://www.loc.gov/zing/srw/"><numberOfRecords>1</numberOfRecords>'
        b'<records><record><recordData><record xmlns="http://www.loc.gov/MARC21/slim">'
        b'<datafield tag="245" ind1="0" ind2="0"><subfield code="a">title &e;</subfield></datafield>'
        b"</record></recordData></record></records></searchRetrieveResponse>"
    )
    count, records = parse(body)
    assert count == 1
    assert "root:" not in str(records[0])


def test_zebra_registered_through_the_registry_answers_a_check(zebra, db):
    from toshokan.federation import selectors, services
    from toshokan.federation.domain.registry import CheckSettings, Registry

    services.sync_registry(Registry(CheckSettings(deadline_s=8), (uva(zebra),)), source="zebra.toml")
    selectors.forget_registry()
    registry = selectors.registry()
    spec = registry.system("Virginia_Zebra")
    assert spec is not None and spec.connector is Connector.SRU
    result = engine.check_sync(
        [PRINCETON_SET, NOT_THERE],
        [spec],
        deadline_s=registry.check.deadline_s,
        limits=Limits(),
        breakers=Breakers(),
    )["Virginia_Zebra"]
    assert result[PRINCETON_SET].libkeys == {"Alderman": BranchStatus.HELD, "Clemons": BranchStatus.HELD}
    assert result[NOT_THERE] == SystemAnswer(SystemStatus.OK, {})


class Counting:
    """The engine's Http for one system, counting the requests a connector makes."""

    def __init__(self, http):
        self.http, self.requests = http, 0

    async def get(self, url, *, params=None):
        self.requests += 1
        return await self.http.get(url, params=params)

    async def run_db(self, fn):
        return await self.http.run_db(fn)

    def remaining(self):
        return self.http.remaining()


@pytest.mark.parametrize(("batch", "requests"), [(True, 1), (False, 5)])
def test_several_isbns_are_asked_in_one_query_with_the_same_answers_as_one_by_one(zebra, batch, requests):
    spec = uva(zebra, batch=batch)
    isbns = [PRINCETON_SET, KUBO_SAKAE, NOT_THERE, "9780911459098", "9784480020130"]

    async def ask():
        run = _Run(Limits(), asyncio.get_running_loop().time() + 5, _to_thread_closing)
        http = Counting(_SystemHttp(run, spec))
        try:
            return await SruConnector().check(spec, isbns, http), http.requests
        finally:
            await run.close()

    answers, made = asyncio.run(ask())
    assert made == requests
    assert answers[PRINCETON_SET].libkeys == {"Alderman": BranchStatus.HELD, "Clemons": BranchStatus.HELD}
    assert answers["9780911459098"].libkeys == {"Alderman": BranchStatus.HELD}
    assert answers[KUBO_SAKAE].libkeys == {"Alderman": BranchStatus.HELD}
    assert answers[NOT_THERE].libkeys == {} and answers["9784480020130"].libkeys == {}


def test_a_batch_hit_that_names_none_of_the_isbns_is_asked_again_one_isbn_at_a_time(stubs):
    from toshokan.federation.tests.stubs import response

    no_020 = (
        b'<searchRetrieveResponse xmlns="http://www.loc.gov/zing/srw/"><numberOfRecords>1</numberOfRecords>'
        b'<records><record><recordData><record xmlns="http://www.loc.gov/MARC21/slim">'
        b'<datafield tag="245" ind1="0" ind2="0"><subfield code="a">No ISBN here</subfield></datafield>'
        b"</record></recordData></record></records></searchRetrieveResponse>"
    )
    none = b'<searchRetrieveResponse xmlns="http://www.loc.gov/zing/srw/"><numberOfRecords>0</numberOfRecords></searchRetrieveResponse>'

    async def sru(request, reader, writer):
        query = request.query["query"][0]
        writer.write(
            response(200, no_020 if query.startswith("(") or NOT_THERE in query else none, "text/xml")
        )
        await writer.drain()

    stub = stubs.add(sru)
    spec = SystemSpec(systemid="Odd", name="Odd", connector=Connector.SRU, endpoint=stub.url + "/sru",
                      branches=(BranchSpec(libkey="本館", formal="本館"),))  # fmt: skip
    result = check([PRINCETON_SET, NOT_THERE], [spec])["Odd"]
    assert stub.requests == 3
    assert result[PRINCETON_SET].libkeys == {}
    assert result[NOT_THERE].libkeys == {"本館": BranchStatus.HELD}
