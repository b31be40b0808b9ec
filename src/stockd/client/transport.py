"""The two transports: the only code written once for sync and once for async.

Each sends a `Call` with httpx, asks `Retry` whether and when to send it
again (the same `Call`, so the same `Idempotency-Key`), and turns the final
answer into a result with `outcome`; `walk` follows a list page by page.
Everything they decide is in `calls` and `retry`, which do no I/O.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from typing import Any, Protocol, TypeVar

import httpx

from stockd.client.calls import Call, outcome
from stockd.client.retry import Retry

R = TypeVar("R")


class Page(Protocol):
    @property
    def items(self) -> Sequence[Any]: ...


Follow = Callable[[Call[Any], Any], Call[Any] | None]
"""The call for the page after `page` (given the call that fetched it), or None."""


class SyncTransport:
    def __init__(self, http: httpx.Client, retry: Retry) -> None:
        self.http = http
        self.retry = retry

    def send(self, call: Call[R]) -> R:
        attempt = 1
        while True:
            try:
                response = self.http.request(
                    call.method, call.path, params=call.params, json=call.json, headers=call.headers
                )
            except httpx.TransportError as error:
                wait = self.retry.after_error(call, attempt, error)
                if wait is None:
                    raise
            else:
                wait = self.retry.after_response(attempt, response)
                if wait is None:
                    return outcome(call, response)
            time.sleep(wait)
            attempt += 1

    def walk(self, call: Call[Page], follow: Follow) -> Iterator[Any]:
        following: Call[Page] | None = call
        while following is not None:
            page = self.send(following)
            yield from page.items
            following = follow(following, page)


class AsyncTransport:
    def __init__(self, http: httpx.AsyncClient, retry: Retry) -> None:
        self.http = http
        self.retry = retry

    async def send(self, call: Call[R]) -> R:
        attempt = 1
        while True:
            try:
                response = await self.http.request(
                    call.method, call.path, params=call.params, json=call.json, headers=call.headers
                )
            except httpx.TransportError as error:
                wait = self.retry.after_error(call, attempt, error)
                if wait is None:
                    raise
            else:
                wait = self.retry.after_response(attempt, response)
                if wait is None:
                    return outcome(call, response)
            await asyncio.sleep(wait)
            attempt += 1

    async def walk(self, call: Call[Page], follow: Follow) -> AsyncIterator[Any]:
        following: Call[Page] | None = call
        while following is not None:
            page = await self.send(following)
            for item in page.items:
                yield item
            following = follow(following, page)
