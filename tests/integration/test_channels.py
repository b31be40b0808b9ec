"""Sales channels through the bus, on the fake and on PostgreSQL."""

from __future__ import annotations

import pytest

from stockd import errors
from stockd.bootstrap import Container
from stockd.domain.channels import Channel, ChannelKind
from stockd.domain.commands import CreateChannel, UpdateChannel
from stockd.domain.events import ChannelChanged, ChannelCreated
from stockd.service.queries import EventFilter
from tests.support import ADMIN

AMAZON = Channel("amazon", "Amazon", ChannelKind.MARKETPLACE, priority=2, safety_buffer_pct=5)


async def channel_events(backend: Container) -> list[object]:
    found = await backend.reads.events(0, 100, EventFilter(families=frozenset({"channel"})))
    return [r.event for r in found]


async def test_a_channel_is_created_once_with_its_event(backend: Container) -> None:
    created = await backend.bus.handle(CreateChannel(AMAZON), ADMIN)
    assert created == AMAZON
    with pytest.raises(errors.AlreadyExists):
        await backend.bus.handle(CreateChannel(AMAZON), ADMIN)
    [event] = await channel_events(backend)
    assert isinstance(event, ChannelCreated)
    assert (event.channel, event.attributes["safety_buffer_pct"]) == ("amazon", 5)


async def test_changing_a_channel_bumps_its_version_and_records_what_changed(
    backend: Container,
) -> None:
    await backend.bus.handle(CreateChannel(AMAZON), ADMIN)
    changed = await backend.bus.handle(
        UpdateChannel("amazon", {"safety_buffer_pct": 10, "kind": "other"}, expected_version=1),
        ADMIN,
    )
    assert (changed.safety_buffer_pct, changed.kind, changed.version) == (10, ChannelKind.OTHER, 2)
    same = await backend.bus.handle(UpdateChannel("amazon", {"safety_buffer_pct": 10}), ADMIN)
    assert same.version == 2  # nothing changed: no new version, no event
    events = await channel_events(backend)
    assert len(events) == 2
    assert isinstance(events[1], ChannelChanged)
    assert events[1].changes == {
        "kind": {"from": "marketplace", "to": "other"},
        "safety_buffer_pct": {"from": 5, "to": 10},
    }


async def test_a_bad_change_a_stale_version_or_an_unknown_channel_changes_nothing(
    backend: Container,
) -> None:
    await backend.bus.handle(CreateChannel(AMAZON), ADMIN)
    with pytest.raises(errors.InvalidRequest, match="safety_buffer_pct"):
        await backend.bus.handle(UpdateChannel("amazon", {"safety_buffer_pct": 70}), ADMIN)
    with pytest.raises(errors.VersionConflict):
        await backend.bus.handle(UpdateChannel("amazon", {"name": "A"}, expected_version=7), ADMIN)
    with pytest.raises(errors.NotFound):
        await backend.bus.handle(UpdateChannel("ebay", {"name": "E"}), ADMIN)
    assert len(await channel_events(backend)) == 1
