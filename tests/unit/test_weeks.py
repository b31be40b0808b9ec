"""ISO week arithmetic: year ends, 53-week years, zones."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from stockd.domain.weeks import IsoWeek, span, weeks_in


def test_2026_has_53_weeks_and_its_last_ends_in_2027() -> None:
    assert weeks_in(2026) == 53
    assert weeks_in(2027) == 52
    last = IsoWeek.parse("2026-W53")
    assert last.monday == date(2026, 12, 28)
    assert last.sunday == date(2027, 1, 3)
    assert last + 1 == IsoWeek(2027, 1)
    assert IsoWeek(2027, 1).monday == date(2027, 1, 4)


def test_days_at_a_year_end_belong_to_the_week_holding_their_thursday() -> None:
    assert IsoWeek.of(date(2027, 1, 3)) == IsoWeek(2026, 53)
    assert IsoWeek.of(date(2024, 12, 30)) == IsoWeek(2025, 1)


def test_weeks_order_and_count_across_years() -> None:
    assert IsoWeek(2026, 52) < IsoWeek(2026, 53) < IsoWeek(2027, 1)
    assert IsoWeek(2027, 2) - IsoWeek(2026, 52) == 3
    assert [str(w) for w in span(IsoWeek(2026, 52), 3)] == ["2026-W52", "2026-W53", "2027-W01"]


@pytest.mark.parametrize("text", ["2027-W00", "2027-W53", "2027W03", "27-W03", "2027-W3", ""])
def test_weeks_that_do_not_exist_or_are_misspelt_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="ISO week"):
        IsoWeek.parse(text)


def test_the_week_of_an_instant_is_read_on_the_zones_calendar() -> None:
    # Sunday 2027-01-03 23:30 UTC is already Monday in Berlin: a new week.
    moment = datetime(2027, 1, 3, 23, 30, tzinfo=UTC)
    assert IsoWeek.at(moment, UTC) == IsoWeek(2026, 53)
    assert IsoWeek.at(moment, ZoneInfo("Europe/Berlin")) == IsoWeek(2027, 1)
    # ...and still Sunday afternoon in Los Angeles.
    assert IsoWeek.at(moment, ZoneInfo("America/Los_Angeles")) == IsoWeek(2026, 53)


def test_a_week_ends_at_the_next_monday_midnight_in_its_zone() -> None:
    berlin = ZoneInfo("Europe/Berlin")
    end = IsoWeek(2027, 3).ends_at(berlin)
    assert end == datetime(2027, 1, 25, tzinfo=berlin)
    assert end.astimezone(UTC) == datetime(2027, 1, 24, 23, 0, tzinfo=UTC)
