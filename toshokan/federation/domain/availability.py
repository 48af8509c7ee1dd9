"""What a check of ISBNs across library systems answers, in the words of Calil's API.

Per system and ISBN: a status (OK, Cache, Running, Error), a `reserveurl`, and each branch's
status by `libkey` (貸出可, 蔵書あり, 館内のみ, 貸出中, 予約中, 準備中, 休館中; a branch that does not
hold the book is left out, and a system whose branches hold nothing answers with no libkeys, which
clients show as 蔵書なし).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class SystemStatus(StrEnum):
    OK = "OK"  # answered just now
    CACHE = "Cache"  # answered from a cached answer still within its TTL
    RUNNING = "Running"  # not answered yet; poll again with the session
    ERROR = "Error"  # failed, refused, timed out, or not answered by the deadline


class BranchStatus(StrEnum):
    AVAILABLE = "貸出可"  # on the shelf, can be borrowed now
    HELD = "蔵書あり"  # held, loan status unknown
    LIBRARY_USE_ONLY = "館内のみ"
    ON_LOAN = "貸出中"
    RESERVED = "予約中"  # on the hold shelf or waited for by holds
    PREPARING = "準備中"  # being processed, in transit
    CLOSED = "休館中"
    NOT_HELD = "蔵書なし"


@dataclass(frozen=True, slots=True)
class SystemAnswer:
    """One system's answer for one ISBN."""

    status: SystemStatus
    libkeys: dict[str, BranchStatus] = field(default_factory=dict, hash=False)
    reserveurl: str = ""
    error: str = ""  # why, for Error: kept for staff and logs, not sent in Calil's shape
