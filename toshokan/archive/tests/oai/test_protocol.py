"""OAI-PMH arguments: each verb's required and optional ones, and the error code for each fault."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from toshokan.archive.oai.protocol import OaiError, parse_request


def _p(**kwargs: str | list[str]) -> dict[str, list[str]]:
    return {k: v if isinstance(v, list) else [v] for k, v in kwargs.items()}


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({}, "badVerb"),
        (_p(verb="Nonsense"), "badVerb"),
        (_p(verb=["Identify", "Identify"]), "badVerb"),
        (_p(verb="Identify", extra="1"), "badArgument"),
        (_p(verb="ListRecords"), "badArgument"),  # metadataPrefix missing
        (_p(verb="ListRecords", metadataPrefix=["oai_dc", "oai_dc"]), "badArgument"),
        (_p(verb="GetRecord", metadataPrefix="oai_dc"), "badArgument"),  # identifier missing
        (_p(verb="ListIdentifiers", metadataPrefix="oai_dc", resumptionToken="x"), "badArgument"),
        (_p(verb="Identify", resumptionToken="x"), "badArgument"),
        (_p(verb="ListRecords", metadataPrefix="oai_dc", **{"from": "2026-13-01"}), "badArgument"),
        (_p(verb="ListRecords", metadataPrefix="oai_dc", **{"from": "26-11-01"}), "badArgument"),
        (_p(verb="ListRecords", metadataPrefix="oai_dc", until="2026-11-26T10:00:00"), "badArgument"),
        (
            _p(
                verb="ListRecords",
                metadataPrefix="oai_dc",
                until="2026-11-26T10:00:00Z",
                **{"from": "2026-11-01"},
            ),
            "badArgument",
        ),
        (
            _p(verb="ListRecords", metadataPrefix="oai_dc", until="2026-11-01", **{"from": "2026-11-02"}),
            "badArgument",
        ),
    ],
)
def test_each_fault_gets_the_code_the_specification_names(params, code):
    with pytest.raises(OaiError) as error:
        parse_request(params)
    assert error.value.code == code
    assert error.value.message


def test_until_is_inclusive_at_its_own_granularity():
    day = parse_request(
        _p(verb="ListIdentifiers", metadataPrefix="oai_dc", until="2026-11-26", **{"from": "2026-11-26"})
    )
    assert day.start == datetime(2026, 11, 26, tzinfo=UTC)
    assert day.end == datetime(2026, 11, 27, tzinfo=UTC)
    second = parse_request(_p(verb="ListIdentifiers", metadataPrefix="oai_dc", until="2026-11-26T10:00:00Z"))
    assert second.start is None
    assert second.end == datetime(2026, 11, 26, 10, 0, 1, tzinfo=UTC)


def test_a_resumption_token_alone_is_a_complete_request():
    request = parse_request(_p(verb="ListRecords", resumptionToken="abc"))
    assert request.token == "abc"
    assert request.arguments == {"resumptionToken": "abc"}
