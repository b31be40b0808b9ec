"""A real HTTP receiver for webhook tests: it records every request and
answers as told — down (nothing listens), slow, an error status, or 204;
and the webhooks that send to it (`webhooks_over`)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from stockd.adapters.clock import ManualClock
from stockd.adapters.postgres.webhooks import PostgresWebhookStore
from stockd.adapters.webhook_http import HttpWebhookSender
from stockd.bootstrap import Container
from stockd.service.webhooks import Policy, Webhooks


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes


class Receiver:
    def __init__(self) -> None:
        with socket.socket() as s:  # a free port, closed again: down until started
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.mode: str | int = 204
        """`slow`, or the HTTP status to answer."""
        self.slow_seconds = 2.0
        self.received: list[Received] = []
        self._server: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                with receiver._lock:
                    receiver.received.append(
                        Received({k.lower(): v for k, v in self.headers.items()}, body)
                    )
                mode = receiver.mode
                if mode == "slow":
                    time.sleep(receiver.slow_seconds)
                    mode = 204
                answer = b"x" * 5000 if int(mode) >= 400 else b""
                try:
                    self.send_response(int(mode))
                    self.send_header("content-length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender gave up waiting (a slow answer)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@asynccontextmanager
async def webhooks_over(
    db: Container, database_url: str, policy: Policy
) -> AsyncIterator[Webhooks]:
    """Webhooks over the test database, allowed to reach 127.0.0.1, with a
    short timeout and a clock near real time (signatures carry it)."""
    assert db.pool is not None
    assert isinstance(db.clock, ManualClock)
    db.clock.set(datetime.now(UTC).replace(microsecond=0))
    store = PostgresWebhookStore(db.pool, database_url)
    sender = HttpWebhookSender(timeout_seconds=0.5, allow_private=True)
    found = Webhooks(store, sender, db.reads, db.availability, db.clock, policy)
    try:
        yield found
    finally:
        await found.stop()
        await store.close()
        await sender.close()
