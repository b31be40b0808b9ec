"""Gather: every submitted item is run and every submitter is answered,
whatever the batch function does."""

from __future__ import annotations

import asyncio

import pytest

from stockd.service.batching import Gather


async def echo(items: list[int]) -> list[int]:
    return list(items)


async def test_a_submit_made_as_the_last_drain_leaves_is_still_run() -> None:
    # The first submitter resumes before the drain task's done-callback has
    # run: its next submit must not find a "running" drain that has left.
    gather: Gather[int, int] = Gather(echo, max_batch=10, in_flight=1)
    assert await gather.submit(1) == 1
    assert await asyncio.wait_for(gather.submit(2), 2) == 2


async def test_many_submitters_in_waves_are_all_answered() -> None:
    gather: Gather[int, int] = Gather(echo, max_batch=3, in_flight=1)

    async def client(i: int) -> list[int]:
        return [await gather.submit(i * 100 + n) for n in range(20)]

    answers = await asyncio.wait_for(asyncio.gather(*(client(i) for i in range(7))), 5)
    assert answers == [[i * 100 + n for n in range(20)] for i in range(7)]


class Abort(BaseException):
    pass


async def test_a_base_exception_in_the_batch_still_answers_every_waiter() -> None:
    async def run(items: list[int]) -> list[int]:
        raise Abort

    gather: Gather[int, int] = Gather(run, max_batch=10, in_flight=1)
    waiters = [asyncio.create_task(gather.submit(i)) for i in range(3)]
    done, pending = await asyncio.wait(waiters, timeout=2)
    assert not pending
    for task in done:
        with pytest.raises(RuntimeError, match="aborted"):
            task.result()


async def test_a_wrong_number_of_results_fails_every_waiter_instead_of_leaving_some() -> None:
    async def run(items: list[int]) -> list[int]:
        return items[:-1]

    gather: Gather[int, int] = Gather(run, max_batch=10, in_flight=1)
    waiters = [asyncio.create_task(gather.submit(i)) for i in range(3)]
    done, pending = await asyncio.wait(waiters, timeout=2)
    assert not pending
    for task in done:
        with pytest.raises(RuntimeError, match="2 results for 3 items"):
            task.result()


async def test_after_a_failed_batch_the_next_items_run() -> None:
    calls = 0

    async def run(items: list[int]) -> list[int]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise ValueError("store down")
        return list(items)

    gather: Gather[int, int] = Gather(run, max_batch=10, in_flight=1)
    with pytest.raises(ValueError, match="store down"):
        await gather.submit(1)
    assert await asyncio.wait_for(gather.submit(2), 2) == 2
