"""OAI-PMH 2.0 requests: which arguments each verb takes, what they mean, and the protocol's errors.

Pure: a request's arguments (as a multi-valued mapping, GET or POST alike) become a `Request` or an
`OaiError` carrying the error code the specification names for it
(http://www.openarchives.org/OAI/openarchivesprotocol.html#ErrorConditions):

* badVerb — no verb, an unknown verb, or the verb given twice;
* badArgument — an argument the verb doesn't take, a required one missing, any argument repeated,
  a date that is not a UTCdatetime, `from` and `until` of different granularity, `from` after
  `until`, or `resumptionToken` together with other arguments;
* the rest (badResumptionToken, cannotDisseminateFormat, idDoesNotExist, noRecordsMatch,
  noMetadataFormats, noSetHierarchy) depend on what the repository holds and are raised there.

Dates: the repository's granularity is seconds (YYYY-MM-DDThh:mm:ssZ); a harvester may send days
(YYYY-MM-DD). Both bounds are inclusive, so `until` becomes an exclusive bound one unit later:
until=2026-11-26 takes everything stamped on that day.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

GRANULARITY = "YYYY-MM-DDThh:mm:ssZ"

# verb → (required arguments, optional arguments); the list verbs also take resumptionToken alone.
VERBS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "Identify": (frozenset(), frozenset()),
    "ListMetadataFormats": (frozenset(), frozenset({"identifier"})),
    "ListSets": (frozenset(), frozenset()),
    "ListIdentifiers": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set"})),
    "ListRecords": (frozenset({"metadataPrefix"}), frozenset({"from", "until", "set"})),
    "GetRecord": (frozenset({"identifier", "metadataPrefix"}), frozenset()),
}
RESUMABLE = frozenset({"ListSets", "ListIdentifiers", "ListRecords"})

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SECOND = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


class OaiError(Exception):
    """An OAI-PMH error condition: `code` is the specification's name for it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Request:
    verb: str
    arguments: dict[str, str]
    # The harvest window: from (inclusive) and until (exclusive), both UTC; None when not given.
    start: datetime | None = None
    end: datetime | None = None

    @property
    def token(self) -> str | None:
        return self.arguments.get("resumptionToken")


def parse_date(value: str, name: str) -> tuple[datetime, str]:
    """A UTCdatetime argument → (the moment, "day" or "second"); badArgument when it is not one."""
    try:
        if _DAY.match(value):
            return datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC), "day"
        if _SECOND.match(value):
            return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC), "second"
    except ValueError:
        pass
    raise OaiError(
        "badArgument", f"'{name}' is not a date of the form YYYY-MM-DD or {GRANULARITY}: {value!r}"
    )


def format_datestamp(moment: datetime) -> str:
    """A datestamp as the repository gives it: UTC, to the second."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_request(params: Mapping[str, Sequence[str]]) -> Request:
    verbs = params.get("verb") or []
    if not verbs or not verbs[0]:
        raise OaiError("badVerb", "The request has no verb.")
    if len(verbs) > 1:
        raise OaiError("badVerb", "The verb is given more than once.")
    verb = verbs[0]
    if verb not in VERBS:
        raise OaiError("badVerb", f"'{verb}' is not an OAI-PMH verb.")
    required, optional = VERBS[verb]

    arguments: dict[str, str] = {}
    for name, values in params.items():
        if name == "verb":
            continue
        if len(values) > 1:
            raise OaiError("badArgument", f"The argument '{name}' is given more than once.")
        arguments[name] = values[0] if values else ""

    if "resumptionToken" in arguments:
        if verb not in RESUMABLE:
            raise OaiError("badArgument", f"{verb} takes no resumptionToken.")
        others = sorted(set(arguments) - {"resumptionToken"})
        if others:
            raise OaiError(
                "badArgument", f"resumptionToken is an exclusive argument; also given: {', '.join(others)}."
            )
        return Request(verb=verb, arguments=arguments)

    illegal = sorted(set(arguments) - required - optional)
    if illegal:
        raise OaiError("badArgument", f"{verb} does not take the argument(s): {', '.join(illegal)}.")
    missing = sorted(name for name in required if not arguments.get(name))
    if missing:
        raise OaiError("badArgument", f"{verb} needs the argument(s): {', '.join(missing)}.")

    start = end = None
    granularities = set()
    if "from" in arguments:
        start, granularity = parse_date(arguments["from"], "from")
        granularities.add(granularity)
    if "until" in arguments:
        until, granularity = parse_date(arguments["until"], "until")
        granularities.add(granularity)
        end = until + (timedelta(days=1) if granularity == "day" else timedelta(seconds=1))
    if len(granularities) > 1:
        raise OaiError("badArgument", "'from' and 'until' must have the same granularity.")
    if start is not None and end is not None and start >= end:
        raise OaiError("badArgument", "'from' is later than 'until'.")
    return Request(verb=verb, arguments=arguments, start=start, end=end)
