"""How long a patron will wait for a hold: their place in the queue and an estimated date.

Big systems show neither; patrons ask for both. The estimate simulates the queue: each copy that
can fill the hold becomes free on a known day (now, if on the shelf; its due date, if lent out,
since a copy with holds waiting cannot be renewed), and each hold ahead takes the copy that frees
first and keeps it for the time a hold usually takes (days to be picked up + the loan period).
The patron's copy is the one free first after those ahead have had theirs. Pure: copies, queue
and policy come in as data.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True, slots=True)
class QueueEstimate:
    position: int  # 1 = next; counts only holds ahead that are not suspended
    copies: int  # copies that can fill it
    expected_on: date | None  # None: no copy can fill it (all lost or withdrawn)

    def days_from(self, today: date) -> int | None:
        return None if self.expected_on is None else max(0, (self.expected_on - today).days)


def estimate(
    *,
    today: date,
    position: int,
    copy_free_on: list[date],
    loan_days: int,
    pickup_days: int = 3,
    transit_days: int = 1,
) -> QueueEstimate:
    """`copy_free_on`: for each copy that can fill the hold, the day it comes free (today or its
    due date; an overdue copy is taken as due tomorrow). `position`: 1 for the first hold."""
    if not copy_free_on:
        return QueueEstimate(position=position, copies=0, expected_on=None)
    heap = [d if d >= today else today + timedelta(days=1) for d in copy_free_on]
    heapq.heapify(heap)
    turn = timedelta(days=pickup_days + loan_days)
    for _ in range(position - 1):
        free = heapq.heappop(heap)
        heapq.heappush(heap, free + timedelta(days=transit_days) + turn)
    first_free = heap[0]
    return QueueEstimate(
        position=position, copies=len(copy_free_on), expected_on=first_free + timedelta(days=transit_days)
    )
