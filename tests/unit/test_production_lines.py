"""Made-to-order lines of an order: what is still to make, which weeks a
report of units made counts against, when a line is late, and the status
units still to make keep an order in. Pure domain, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime

from stockd.domain.capacity import ProductionLine
from stockd.domain.orders import OrderLine, OrderStatus, split_production, status_after
from stockd.domain.weeks import IsoWeek

W01, W02 = IsoWeek(2026, 1), IsoWeek(2026, 2)
W01_READY = datetime(2026, 1, 5, tzinfo=UTC)
W02_READY = datetime(2026, 1, 12, tzinfo=UTC)


def booked(
    week: IsoWeek,
    quantity: int,
    produced: int = 0,
    *,
    cancelled: bool = False,
    promised_ready_at: datetime | None = None,
) -> ProductionLine:
    ready = W01_READY if week == W01 else W02_READY
    return ProductionLine(
        "SOFA",
        quantity,
        "P",
        week,
        ready,
        "works",
        cancelled=cancelled,
        produced=produced,
        promised_ready_at=promised_ready_at,
    )


def test_a_report_counts_against_the_earliest_week_first() -> None:
    lines = [booked(W02, 2), booked(W01, 3, produced=1)]
    split = split_production(lines, "SOFA", {}, 3)
    assert split is not None
    assert [(str(x.week), q) for x, q in split] == [("2026-W01", 2), ("2026-W02", 1)]


def test_a_report_beyond_what_is_left_or_with_other_options_splits_nothing() -> None:
    lines = [booked(W01, 3, produced=1)]
    assert split_production(lines, "SOFA", {}, 3) is None
    assert split_production(lines, "SOFA", {"fabric": "red"}, 1) is None
    assert split_production([booked(W01, 3, cancelled=True)], "SOFA", {}, 1) is None


def test_a_line_is_late_once_its_week_ended_with_units_to_make() -> None:
    line = booked(W01, 3, produced=1)
    assert not line.late(datetime(2026, 1, 4, tzinfo=UTC))
    assert line.late(W01_READY)
    assert not booked(W01, 3, produced=3).late(W01_READY)
    assert not booked(W01, 3, cancelled=True).late(W01_READY)
    moved = booked(W01, 3, promised_ready_at=datetime(2026, 1, 4, tzinfo=UTC))
    assert moved.late(datetime(2026, 1, 1, tzinfo=UTC))  # its week now ends later


def test_units_still_to_make_keep_a_shipped_out_order_partially_shipped() -> None:
    shipped = [OrderLine("SOFA", "works", 2, 0, shipped=2)]
    assert status_after(shipped, production=[booked(W01, 3, produced=2)]) is (
        OrderStatus.PARTIALLY_SHIPPED
    )
    assert status_after(shipped, production=[booked(W01, 2, produced=2)]) is OrderStatus.SHIPPED
    assert status_after([], production=[booked(W01, 2)]) is OrderStatus.OPEN
