"""GroupRead: concurrent asks share fetches, each gets its own answer, and
no ask is answered by a fetch that started before it was made."""

from __future__ import annotations

import asyncio

import pytest

from stockd.service.batching import GroupRead


async def test_concurrent_asks_share_fetches_and_get_their_own_answers() -> None:
    fetched: list[list[str]] = []

    async def fetch(keys: list[str]) -> dict[str, str]:
        fetched.append(keys)
        await asyncio.sleep(0.01)
        return {k: k.upper() for k in keys}

    group: GroupRead[str, str] = GroupRead(fetch, in_flight=2)
    keys = [f"k{i % 30}" for i in range(200)]
    answers = await asyncio.gather(*(group.get(k) for k in keys))
    assert answers == [k.upper() for k in keys]
    assert len(fetched) < 20  # 200 asks, a handful of queries
    assert all(len(batch) == len(set(batch)) for batch in fetched)  # each key once per fetch


async def test_an_ask_is_never_answered_by_a_fetch_that_started_before_it() -> None:
    value = 0

    async def fetch(keys: list[str]) -> dict[str, int]:
        seen = value  # what the store holds when the query runs
        await asyncio.sleep(0.01)
        return dict.fromkeys(keys, seen)

    group: GroupRead[str, int] = GroupRead(fetch, in_flight=1)
    first = asyncio.create_task(group.get("a"))
    await asyncio.sleep(0.001)  # the first fetch is running
    value = 1  # a write finishes
    assert await group.get("a") == 1  # asked after it: sees it
    assert await first == 0


async def test_a_failed_fetch_fails_every_ask_in_it_and_the_next_fetch_runs() -> None:
    calls = 0

    async def fetch(keys: list[str]) -> dict[str, int]:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.005)
        if calls == 1:
            raise RuntimeError("store down")
        return dict.fromkeys(keys, 7)

    group: GroupRead[str, int] = GroupRead(fetch, in_flight=1)
    first = [asyncio.create_task(group.get("a")) for _ in range(3)]
    for task in first:
        with pytest.raises(RuntimeError):
            await task
    assert await group.get("a") == 7
