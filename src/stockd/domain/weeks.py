"""ISO weeks: the unit production capacity is planned in.

An ISO week runs Monday to Sunday and belongs to the year that holds its
Thursday, so 2026 has 53 weeks (2026-W53 ends on Sunday 2027-01-03) and
2027-W01 starts on Monday 2027-01-04. Weeks are written `YYYY-Www`.

A week is a calendar notion: which week "now" falls in, and when a week ends,
depend on the time zone of the place that works in it (`zone`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from functools import total_ordering

_FORMAT = re.compile(r"^(\d{4})-W(\d{2})$")


@total_ordering
@dataclass(frozen=True, slots=True)
class IsoWeek:
    year: int
    week: int

    def __post_init__(self) -> None:
        if not 1 <= self.week <= weeks_in(self.year):
            raise ValueError(f"{self.year} has no ISO week {self.week}")

    @classmethod
    def parse(cls, text: str) -> IsoWeek:
        """`2027-W03` → IsoWeek(2027, 3); ValueError naming the form otherwise."""
        found = _FORMAT.match(text)
        if found is None:
            raise ValueError(f"{text!r} is not an ISO week (YYYY-Www, such as 2027-W03)")
        return cls(int(found[1]), int(found[2]))

    @classmethod
    def of(cls, day: date) -> IsoWeek:
        """The week a calendar day falls in."""
        year, week, _ = day.isocalendar()
        return cls(year, week)

    @classmethod
    def at(cls, moment: datetime, zone: tzinfo) -> IsoWeek:
        """The week an instant falls in, on the calendar of `zone`."""
        return cls.of(moment.astimezone(zone).date())

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 1)

    @property
    def sunday(self) -> date:
        return date.fromisocalendar(self.year, self.week, 7)

    def starts_at(self, zone: tzinfo) -> datetime:
        """Monday 00:00 in `zone`, as an aware datetime."""
        return datetime.combine(self.monday, time(), zone)

    def ends_at(self, zone: tzinfo) -> datetime:
        """The instant the week is over in `zone`: the next Monday 00:00 there."""
        return (self + 1).starts_at(zone)

    def __add__(self, weeks: int) -> IsoWeek:
        return IsoWeek.of(self.monday + timedelta(weeks=weeks))

    def __sub__(self, other: IsoWeek) -> int:
        """Whole weeks from `other` to this one."""
        return (self.monday - other.monday).days // 7

    def __lt__(self, other: IsoWeek) -> bool:
        return (self.year, self.week) < (other.year, other.week)

    def __str__(self) -> str:
        return f"{self.year:04d}-W{self.week:02d}"


def weeks_in(year: int) -> int:
    """52 or 53: the ISO week of 28 December is always the year's last."""
    return date(year, 12, 28).isocalendar()[1]


def span(first: IsoWeek, count: int) -> list[IsoWeek]:
    """`count` consecutive weeks starting at `first`."""
    return [first + i for i in range(count)]
