"""The hot paths serialise plain documents with orjson; the declared models
must produce the very same bytes (a client cannot tell which path answered)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest

from stockd.domain.reservations import HoldLine, Reservation, ReservationStatus
from stockd.entrypoints.api.schemas.reservations import ReservationRead, reservation_document

NOW = datetime(2026, 11, 28, 3, 10, 0, 123456, tzinfo=UTC)


@pytest.mark.parametrize(
    "reservation",
    [
        Reservation(
            id="res_1",
            status=ReservationStatus.ACTIVE,
            lines=(HoldLine("A", "W", 2), HoldLine("B", "E", 1)),
            created_at=NOW,
            expires_at=NOW.replace(microsecond=0) + timedelta(minutes=15),
        ),
        Reservation(
            id="res_2",
            status=ReservationStatus.COMMITTED,
            lines=(HoldLine("A", "S1", 1),),
            created_at=NOW,
            expires_at=NOW + timedelta(seconds=1),
            closed_at=NOW + timedelta(seconds=2),
            reference="cart-9",
            order_id="O-1",
            pickup_location="S1",
        ),
        Reservation(  # overdue: reported as expired
            id="res_3",
            status=ReservationStatus.ACTIVE,
            lines=(HoldLine("A", "W", 1),),
            created_at=NOW - timedelta(hours=1),
            expires_at=NOW - timedelta(minutes=1),
        ),
    ],
)
def test_reservation_document_is_byte_for_byte_the_model(reservation: Reservation) -> None:
    fast = orjson.dumps(reservation_document(reservation, NOW), option=orjson.OPT_UTC_Z)
    assert fast == ReservationRead.of(reservation, NOW).model_dump_json().encode()
