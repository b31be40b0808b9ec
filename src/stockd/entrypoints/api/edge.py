"""What every request must meet before any route sees it.

`RequestEdge` is the one owner of these rules, for every route, the hot
paths of `fast` included (it sits in front of them):

- a body is at most `max_body_bytes`: a larger `Content-Length` is refused at
  once, and a body sent without one (chunked) is counted as it arrives and
  refused as soon as it passes the limit (413).
"""

from __future__ import annotations

import logging

from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from stockd.entrypoints.api import problems

log = logging.getLogger(__name__)


class RequestEdge:
    """ASGI middleware: the body limit."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.limit = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refusal(scope)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self._counting(scope, receive, send)

    def _refusal(self, scope: Scope) -> Response | None:
        """The answer to a request refused on its headers alone, else None."""
        path: str = scope["path"]
        length: bytes | None = None
        for key, value in scope["headers"]:
            if key == b"content-length":
                length = value
        if length is not None and (not length.isdigit() or int(length) > self.limit):
            return problems.too_large(self.limit, path)
        return None

    async def _counting(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app with the body counted as it arrives. Past the limit the
        app sees the request end as if the client had gone, whatever it then
        answers is dropped, and the client gets the 413."""
        received = 0
        refused = started = False

        async def counted() -> Message:
            nonlocal received, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    refused = True
                    return {"type": "http.disconnect"}
            return message

        async def unless_refused(message: Message) -> None:
            nonlocal started
            if refused and not started:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, unless_refused)
        except Exception:
            if not refused or started:
                raise
            log.debug("after a refused body", exc_info=True)
        if refused and not started:
            await problems.too_large(self.limit, scope["path"])(scope, receive, send)
