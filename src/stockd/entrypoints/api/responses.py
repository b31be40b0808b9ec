"""JSON answers as the API sends them."""

from __future__ import annotations

from starlette import types as asgi
from starlette.responses import Response


class Json(Response):
    """JSON bytes sent as two ASGI messages.

    A Starlette `Response` (so FastAPI passes it through untouched), built
    without Response's header machinery: this is every write's answer and the
    hot paths' (Response building its headers cost a measurable share of a
    hold's CPU, docs/benchmarks.md)."""

    media_type = "application/json"

    def __init__(
        self, status: int, body: bytes, headers: list[tuple[bytes, bytes]] | None = None
    ) -> None:
        self.status_code = status
        self.body = body
        self.background = None
        self.extra = headers or []

    async def __call__(self, scope: asgi.Scope, receive: asgi.Receive, send: asgi.Send) -> None:
        await send(
            {
                "type": "http.response.start",
                "status": self.status_code,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(self.body)).encode()),
                    *self.extra,
                ],
            }
        )
        await send({"type": "http.response.body", "body": self.body})
        if self.background is not None:
            await self.background()
