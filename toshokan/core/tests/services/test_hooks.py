"""Record-change hand-offs: delivered at once, or once per batch."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from toshokan.core import hooks


@pytest.fixture
def heard() -> Iterator[list[list[int]]]:
    calls: list[list[int]] = []
    saved = list(hooks._record_listeners)
    hooks._record_listeners[:] = [calls.append]
    yield calls
    hooks._record_listeners[:] = saved


def test_a_change_outside_a_batch_is_delivered_at_once(heard):
    hooks.records_changed([3, 1])
    assert heard == [[3, 1]]


def test_changes_inside_a_batch_are_delivered_once_at_the_end_without_duplicates(heard):
    with hooks.batched_changes():
        hooks.records_changed([3, 1])
        with hooks.batched_changes():  # nested: still one delivery, by the outermost block
            hooks.records_changed([1, 2])
        assert heard == []
    assert heard == [[1, 2, 3]]


def test_a_batch_left_by_an_error_still_delivers_what_was_changed(heard):
    with pytest.raises(RuntimeError), hooks.batched_changes():
        hooks.records_changed([5])
        raise RuntimeError("stop")
    assert heard == [[5]]
    hooks.records_changed([6])
    assert heard == [[5], [6]]
