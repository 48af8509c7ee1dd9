"""Due dates that land on open days (after invenio-circulation's closures module).

A branch is closed on its weekly closing days (定期休館日, e.g. every Monday), on the dates staff
enter (年末年始, 蔵書点検期間, 臨時休館) and on the library-wide dates that apply to every branch. A
due date or pickup deadline that falls on a closed day moves to the next open day, since a patron
cannot return a book to a closed library. Pure: the closures come in as data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

MAX_CLOSED_RUN = 366  # a branch closed for a year has a data problem, not a long holiday


@dataclass(frozen=True, slots=True)
class BranchCalendar:
    closed_weekdays: frozenset[int] = frozenset()  # date.weekday(): Monday is 0
    closed_dates: frozenset[date] = field(default_factory=frozenset)

    def is_open(self, day: date) -> bool:
        return day.weekday() not in self.closed_weekdays and day not in self.closed_dates

    def next_open_day(self, day: date) -> date:
        """`day` itself if open, else the first open day after it."""
        for _ in range(MAX_CLOSED_RUN):
            if self.is_open(day):
                return day
            day += timedelta(days=1)
        raise ValueError(f"no open day within {MAX_CLOSED_RUN} days of {day}: check the branch's calendar")

    def due_date(self, start: date, days: int) -> date:
        """`days` after `start`, moved to the next open day."""
        return self.next_open_day(start + timedelta(days=days))
