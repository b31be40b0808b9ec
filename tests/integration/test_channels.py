"""Sales channels through the bus, on the fake and on PostgreSQL."""

from __future__ import annotations

import pytest

from stockd import errors
from stockd.bootstrap import Container
from stockd.domain.channels import Channel, ChannelKind, Pools, PoolShare
from stockd.domain.commands import CreateChannel, SetChannelPools, UpdateChannel
from stockd.domain.events import ChannelChanged, ChannelCreated, ChannelPoolsSet
from stockd.service.pools import sku_pools
from stockd.service.queries import EventFilter
from tests.support import ADMIN, seed

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


async def seeded_channels(backend: Container) -> None:
    await seed(backend.bus, skus={"A": 0}, locations={"x": 1}, stock={("A", "x"): 100})
    for channel in (
        Channel("web", "Own site", ChannelKind.WEB, priority=1, default_share_pct=60),
        AMAZON,
        Channel("stores", "Stores", ChannelKind.STORE, priority=3),
    ):
        await backend.bus.handle(CreateChannel(channel), ADMIN)


async def test_a_skus_pools_are_replaced_whole_and_resolve_to_its_units(
    backend: Container,
) -> None:
    await seeded_channels(backend)
    found = await sku_pools(backend.reads, "A")
    assert found is not None
    assert (found.defaults, found.pools) == (True, Pools({"web": 60}, 40))  # default shares

    pools = (
        PoolShare("web", share_pct=50),
        PoolShare("amazon", share_pct=30),
        PoolShare("stores", units=20),
    )
    await backend.bus.handle(SetChannelPools("A", pools), ADMIN)
    await backend.bus.handle(SetChannelPools("A", tuple(reversed(pools))), ADMIN)  # no change
    found = await sku_pools(backend.reads, "A")
    assert found is not None
    assert found.defaults is False
    assert found.pools == Pools({"stores": 20, "web": 50, "amazon": 30}, 0)
    assert sum(found.pools.units.values()) + found.pools.shared == found.sellable == 100

    await backend.bus.handle(SetChannelPools("A", ()), ADMIN)  # back to the defaults
    events = [e for e in await channel_events(backend) if isinstance(e, ChannelPoolsSet)]
    assert [(e.sku, len(e.pools)) for e in events] == [("A", 3), ("A", 0)]
    assert events[0].pools[0] == {"channel": "amazon", "share_pct": 30, "units": None}


async def test_bad_pools_change_nothing(backend: Container) -> None:
    await seeded_channels(backend)
    over = (PoolShare("web", share_pct=70), PoolShare("amazon", share_pct=40))
    with pytest.raises(errors.InvalidRequest, match="110%"):
        await backend.bus.handle(SetChannelPools("A", over), ADMIN)
    with pytest.raises(errors.UnknownReference, match="ebay"):
        await backend.bus.handle(SetChannelPools("A", (PoolShare("ebay", units=1),)), ADMIN)
    with pytest.raises(errors.NotFound):
        await backend.bus.handle(SetChannelPools("B", (PoolShare("web", units=1),)), ADMIN)
    assert await backend.reads.channel_pools("A") == []
    assert not [e for e in await channel_events(backend) if isinstance(e, ChannelPoolsSet)]
