"""The pure rules of counts and stock reports: which line stands, which
policy governs, which correction anchors a level, how low a count may go."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from stockd.domain.corrections import (
    Anchor,
    Policy,
    ReportLine,
    anchor_of,
    governing_policy,
    later_count,
    lowest_on_hand,
    standing,
)
from stockd.domain.quantities import LevelKey, Quantities

T = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
KEY = LevelKey("A", "x")
WINDOW = timedelta(minutes=5)


def line(source: str, quantity: int, minute: int, priority: int) -> ReportLine:
    return ReportLine(source, KEY, quantity, T + timedelta(minutes=minute), priority)


POS = line("pos", 30, 40, 10)
MARKET = line("market", 25, 42, 1)
LATE = line("3pl", 40, 35, 5)


def test_a_late_report_never_overwrites_a_newer_one_under_last_write_wins() -> None:
    assert standing([POS, MARKET, LATE], Policy.LAST_WRITE_WINS, WINDOW) == MARKET


def test_the_higher_priority_stands_within_the_window_and_not_beyond() -> None:
    assert standing([POS, MARKET], Policy.PRIORITY, WINDOW) == POS
    newer = line("market", 22, 50, 1)  # 10 minutes after pos: pos is out of the window
    assert standing([POS, MARKET, newer], Policy.PRIORITY, WINDOW) == newer


def test_the_lowest_figure_within_the_window_stands_under_conservative() -> None:
    third = line("3pl", 28, 43, 5)
    assert standing([POS, MARKET, third], Policy.CONSERVATIVE, WINDOW) == MARKET
    low_but_old = line("3pl", 1, 30, 5)
    assert standing([POS, MARKET, low_but_old], Policy.CONSERVATIVE, WINDOW) == MARKET


def test_the_standing_line_is_the_same_for_every_order_even_on_ties() -> None:
    tied = [line("a", 5, 40, 1), line("b", 5, 40, 1), line("a", 3, 40, 1), line("c", 9, 40, 2)]
    for policy in Policy:
        found = {standing(list(p), policy, WINDOW) for p in itertools.permutations(tied)}
        assert len(found) == 1, policy


def test_the_location_override_governs_else_the_top_source() -> None:
    policies = {"pos": Policy.CONSERVATIVE, "market": Policy.PRIORITY}
    assert governing_policy([POS, MARKET], policies, None) is Policy.CONSERVATIVE
    assert governing_policy([POS, MARKET], policies, Policy.PRIORITY) is Policy.PRIORITY
    assert governing_policy([], policies, None) is Policy.LAST_WRITE_WINS


def test_the_later_correction_anchors_and_a_count_wins_a_tie() -> None:
    count = Anchor(T, 5, "count")
    report = Anchor(T, 7, "report", "pos")
    assert anchor_of(count, report) is count
    later = Anchor(T + timedelta(seconds=1), 7, "report", "pos")
    assert anchor_of(count, later) is later
    assert anchor_of(None, report) is report


def test_of_two_counts_at_the_same_moment_the_lower_stands_whichever_came_first() -> None:
    low, high = Anchor(T, 3, "count"), Anchor(T, 9, "count")
    assert later_count(low, high) is low
    assert later_count(high, low) is low


def test_a_count_cannot_take_on_hand_below_what_is_spoken_for() -> None:
    q = Quantities(on_hand=20, reserved=4, committed=3, damaged=2, safety_stock=1)
    assert lowest_on_hand(q, 0) == 10
    assert lowest_on_hand(q, -8) == 2  # a backorder floor lets it go lower
    assert lowest_on_hand(Quantities(on_hand=5, damaged=2), -8) == 2  # never below damaged
