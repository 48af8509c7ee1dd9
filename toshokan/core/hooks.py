"""Explicit hand-offs between contexts that must not import each other.

The catalogue changes records; search (and later others) must follow. The catalogue cannot import
search, which reads the catalogue, without a cycle, so search registers a listener here when its
app is ready, and catalogue services call `records_changed` after their transaction commits.
"""

from __future__ import annotations

from collections.abc import Callable

RecordListener = Callable[[list[int]], None]
_record_listeners: list[RecordListener] = []


def on_records_changed(listener: RecordListener) -> None:
    if listener not in _record_listeners:
        _record_listeners.append(listener)


def records_changed(record_ids: list[int]) -> None:
    for listener in _record_listeners:
        listener(record_ids)
