"""Server-Sent Events: an ASGI response that writes a stream of messages.

`EventStream` sends what an async iterator yields as the body of a
`text/event-stream` response until the iterator ends or the client leaves.
A client that stops reading cannot make the server hold more than the
transport's buffer and one message: each write must be taken within
`send_timeout` seconds, else the stream ends (the client reconnects with
`Last-Event-ID` and misses nothing).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from starlette import types as asgi
from starlette.responses import Response

log = logging.getLogger(__name__)


def message(seq: int, event: str, data: str) -> bytes:
    """One event: `id:` (what a reconnecting client sends back as
    `Last-Event-ID`), `event:` and one line of JSON `data:`."""
    return f"id: {seq}\nevent: {event}\ndata: {data}\n\n".encode()


HEARTBEAT = b": keep-alive\n\n"
"""A comment line: keeps an idle connection (and the proxies on its way)
open; clients ignore it."""


class EventStream(Response):
    """A Starlette `Response` (so FastAPI passes it through untouched)
    written by `__call__` alone."""

    media_type = "text/event-stream"

    def __init__(self, messages: AsyncIterator[bytes], *, send_timeout: float) -> None:
        self.status_code = 200
        self.background = None
        self.messages = messages
        self.send_timeout = send_timeout

    async def __call__(self, scope: asgi.Scope, receive: asgi.Receive, send: asgi.Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [
                    (b"content-type", b"text/event-stream; charset=utf-8"),
                    (b"cache-control", b"no-store"),
                    (b"x-accel-buffering", b"no"),  # nginx: pass each message on at once
                ],
            }
        )
        writer = asyncio.ensure_future(self._write(send))
        listener = asyncio.ensure_future(_until_disconnect(receive))
        try:
            await asyncio.wait({writer, listener}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            writer.cancel()
            listener.cancel()
            await asyncio.gather(writer, listener, return_exceptions=True)
        if not listener.cancelled():
            return  # the client left: nothing more to send
        if (error := writer.exception()) is not None:
            raise error
        if writer.result():
            # Ended normally: close the body (a slow client's full buffer
            # gets a moment; else the server drops the connection).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    send({"type": "http.response.body", "body": b"", "more_body": False}),
                    self.send_timeout,
                )

    async def _write(self, send: asgi.Send) -> bool:
        """Send every message; False if the client stopped taking them."""
        try:
            async for chunk in self.messages:
                await asyncio.wait_for(
                    send({"type": "http.response.body", "body": chunk, "more_body": True}),
                    self.send_timeout,
                )
        except TimeoutError:
            log.info("event stream cut off: the client took nothing for %ss", self.send_timeout)
            return False
        finally:
            aclose = getattr(self.messages, "aclose", None)
            if aclose is not None:
                await aclose()
        return True


async def _until_disconnect(receive: asgi.Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass
