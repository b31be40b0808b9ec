"""When to send a call again, and after how long (no I/O: both transports ask).

Retrying is safe only where a second copy cannot apply twice:

- a request that never left (connection refused, no pooled connection) may
  always be sent again;
- a request that may have arrived and been applied (the connection dropped,
  the answer timed out) is sent again only if it is *replayable*: a GET; a
  DELETE (it archives, and archiving an archived SKU or location changes
  nothing and answers the same); or a POST under an `Idempotency-Key` — the
  client gives every POST one and keeps it across attempts, so the server
  answers the copy from the original;
- a 503 `busy` means the server rolled back and stored nothing: sent again
  after `Retry-After`.

Anything else (a PATCH whose answer was lost, a 4xx) is the caller's to decide.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import httpx

from stockd.client.calls import Call, problem_of, retry_after

# Failures after which the server cannot have seen the request.
NOT_SENT: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
)
# Failures worth another attempt at all (not, say, a malformed URL).
TRANSIENT: tuple[type[Exception], ...] = (
    httpx.NetworkError,
    httpx.TimeoutException,
    httpx.RemoteProtocolError,
)


@dataclass(frozen=True, slots=True)
class Retry:
    """Bounded retries with exponential backoff and full jitter.

    `attempts` counts the first one (1 turns retrying off); `backoff` is the
    ceiling of the first wait, doubled each time; no wait exceeds `max_delay`,
    not even one the server asked for with `Retry-After`."""

    attempts: int = 4
    backoff: float = 0.2
    max_delay: float = 10.0

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.backoff < 0 or self.max_delay < 0:
            raise ValueError("attempts must be at least 1, delays not negative")

    def after_error(self, call: Call[Any], attempt: int, error: Exception) -> float | None:
        """Seconds to wait before attempt `attempt + 1` after `error`, or None to give up."""
        if attempt >= self.attempts or not isinstance(error, TRANSIENT):
            return None
        if not (call.replayable or isinstance(error, NOT_SENT)):
            return None
        return self.backoff_delay(attempt)

    def after_response(self, attempt: int, response: httpx.Response) -> float | None:
        """Seconds to wait before sending again after `response`, or None to keep it."""
        if attempt >= self.attempts or not is_busy(response):
            return None
        asked = retry_after(response.headers)
        return self.backoff_delay(attempt) if asked is None else min(asked, self.max_delay)

    def backoff_delay(self, attempt: int) -> float:
        # Full jitter spreads clients that failed together (a flash sale) apart.
        ceiling = min(self.max_delay, self.backoff * 2 ** (attempt - 1))
        return random.uniform(0, ceiling)


def is_busy(response: httpx.Response) -> bool:
    return response.status_code == 503 and problem_of(response).get("code") == "busy"
