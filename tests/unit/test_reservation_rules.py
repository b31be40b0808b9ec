from datetime import timedelta

import pytest

from stockd.domain.reservations import Reservation, ReservationStatus, TtlPolicy
from tests.support import T0

ttl = TtlPolicy(default_seconds=600, max_seconds=3600)


def test_default_ttl_applies_when_none_is_asked() -> None:
    assert ttl.deadline(T0, None) == T0 + timedelta(seconds=600)


@pytest.mark.parametrize("seconds", [0, -1, 3601])
def test_ttls_outside_the_allowed_range_are_refused(seconds: int) -> None:
    with pytest.raises(ValueError, match="between 1 and 3600"):
        ttl.deadline(T0, seconds)


def test_extending_never_shortens_a_hold() -> None:
    current = T0 + timedelta(seconds=900)
    assert ttl.extended(current, T0, 60) == current
    assert ttl.extended(current, T0, 1800) == T0 + timedelta(seconds=1800)


def test_an_active_hold_past_its_deadline_reads_as_expired() -> None:
    r = Reservation("r", ReservationStatus.ACTIVE, (), T0, T0 + timedelta(seconds=10))
    assert r.status_at(T0 + timedelta(seconds=9)) is ReservationStatus.ACTIVE
    assert r.status_at(T0 + timedelta(seconds=10)) is ReservationStatus.EXPIRED


def test_a_closed_hold_keeps_its_status() -> None:
    r = Reservation("r", ReservationStatus.COMMITTED, (), T0, T0)
    assert r.status_at(T0 + timedelta(days=1)) is ReservationStatus.COMMITTED
