"""The audit log's hash chain: each row's hash covers its content and the previous hash, so an
altered, removed or re-ordered row is found."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from toshokan.core.domain.audit import GENESIS, EventContent, StoredEvent, event_hash, verify_chain


def chain(n: int) -> list[StoredEvent]:
    out: list[StoredEvent] = []
    prev = GENESIS
    for seq in range(1, n + 1):
        content = EventContent(
            seq=seq,
            at=datetime(2026, 11, 26, 9, 0, tzinfo=UTC) + timedelta(minutes=seq),
            action="viewed_loans",
            via="desk",
            actor_id=7,
            actor_username="desk1",
            patron_id=100 + seq,
            reason="",
            client_address="192.0.2.1",
            detail={},
        )
        digest = event_hash(content, prev)
        out.append(StoredEvent(content, prev, digest))
        prev = digest
    return out


def test_an_untouched_chain_verifies():
    assert verify_chain(chain(5)) == []


def test_the_hash_does_not_depend_on_the_time_zone_the_time_was_read_in():
    (event,) = chain(1)
    tokyo = replace(event.content, at=event.content.at.astimezone(timezone(timedelta(hours=9))))
    assert event_hash(tokyo, GENESIS) == event.hash


@pytest.mark.parametrize(
    ("tamper", "broken_at", "words"),
    [
        (
            lambda rows: rows.__setitem__(2, replace(rows[2], content=replace(rows[2].content, patron_id=1))),
            [3],
            "altered",
        ),
        (
            lambda rows: rows.__setitem__(2, replace(rows[2], content=replace(rows[2].content, reason="x"))),
            [3],
            "altered",
        ),
        (lambda rows: rows.pop(2), [4, 4], "removed"),
        (lambda rows: rows.pop(0), [2, 2], "removed"),
        (lambda rows: rows.insert(1, rows.pop(3)), [4, 4, 2, 2, 5, 5], "sequence"),
    ],
    ids=["patron changed", "reason changed", "middle row removed", "first row removed", "rows re-ordered"],
)
def test_a_tampered_chain_is_broken_where_it_was_touched(tamper, broken_at, words):
    rows = chain(5)
    tamper(rows)
    breaks = verify_chain(rows)
    assert [b.seq for b in breaks] == broken_at
    assert words in breaks[0].problem


def test_a_rechained_row_still_breaks_at_the_next_row():
    rows = chain(4)
    altered = replace(rows[1].content, actor_username="someone else")
    rows[1] = StoredEvent(altered, rows[1].prev_hash, event_hash(altered, rows[1].prev_hash))
    assert [b.seq for b in verify_chain(rows)] == [3]


def test_verification_may_start_after_an_archived_part():
    rows = chain(6)
    kept = rows[3:]
    assert verify_chain(kept, start_seq=4, start_hash=rows[2].hash) == []
    assert verify_chain(kept) != []  # without the archive's anchor the missing start shows
