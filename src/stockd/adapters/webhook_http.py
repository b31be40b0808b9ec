"""Sending webhooks over HTTP (httpx), refusing addresses stockd must not
reach on a subscriber's behalf.

A URL must be http(s) and its host must resolve only to public addresses:
loopback, private, link-local, shared, multicast, reserved and unspecified
ones are refused (no server-side request forgery: a subscriber could
otherwise make stockd call its own network), unless
`STOCKD_WEBHOOKS_ALLOW_PRIVATE` is on (tests and local set-ups). The check
runs when a subscription is made or changed and again before every
delivery (a name may resolve elsewhere later). Redirects are not followed:
a 3xx counts as a failure, like any answer but 2xx.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Mapping
from urllib.parse import urlsplit

import httpx

from stockd.service.ports import Attempt

_ANSWER_LIMIT = 1000


class HttpWebhookSender:
    def __init__(self, timeout_seconds: float, allow_private: bool) -> None:
        self.timeout = timeout_seconds
        self.allow_private = allow_private
        self._client: httpx.AsyncClient | None = None

    async def refusal(self, url: str) -> str | None:
        try:
            parts = urlsplit(url)
            port, host = parts.port, parts.hostname
        except ValueError:
            return "not a URL"
        if parts.scheme not in ("http", "https") or not host:
            return "must be an http:// or https:// URL with a host"
        if parts.username or parts.password:
            return "must not carry a user name or password"
        if self.allow_private:
            return None
        try:
            found = await asyncio.get_running_loop().getaddrinfo(
                host, port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM
            )
        except OSError as e:
            return f"its host {host!r} does not resolve ({e.strerror or e})"
        except ValueError:  # UnicodeError too: a name IDNA cannot encode
            return f"its host {host!r} is not a valid host name"
        for *_, address in found:
            ip = ipaddress.ip_address(address[0])
            if not ip.is_global or ip.is_multicast:
                return (
                    f"its host {host!r} resolves to {ip}, a loopback, private or"
                    " link-local address (STOCKD_WEBHOOKS_ALLOW_PRIVATE=true allows it)"
                )
        return None

    async def post(self, url: str, headers: Mapping[str, str], body: bytes) -> Attempt:
        refusal = await self.refusal(url)
        if refusal is not None:
            return Attempt(False, error=f"refused: {refusal}")
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self.timeout, follow_redirects=False)
        try:
            r = await self._client.post(url, headers=dict(headers), content=body)
        except httpx.TimeoutException:
            return Attempt(False, error=f"no answer within {self.timeout:g} s")
        except (httpx.HTTPError, httpx.InvalidURL, ValueError) as e:
            return Attempt(False, error=f"{type(e).__name__}: {e}"[:_ANSWER_LIMIT])
        answer = r.text[:_ANSWER_LIMIT]
        if 200 <= r.status_code < 300:
            return Attempt(True, status=r.status_code, response=answer)
        return Attempt(
            False, status=r.status_code, error=f"answered {r.status_code}", response=answer
        )

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
