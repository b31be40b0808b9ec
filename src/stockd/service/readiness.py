"""Readiness: whether this node can serve, dependency by dependency.

The database is required (every request needs it). Redis and NATS are
reported but not required: the read caches fall back to the database
while Redis is down, and the relay retries until NATS is back (the ledger
keeps every event meanwhile); an API node without them still answers
correctly, so a load balancer should keep sending it traffic."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

Probe = Callable[[], Awaitable[str]]
"""Checks a dependency once: a short detail when it answers; raises when not."""


@dataclass(frozen=True, slots=True)
class Dependency:
    name: str
    required: bool
    probe: Probe


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    required: bool
    ok: bool
    detail: str
    seconds: float


async def check(dependency: Dependency, within: float) -> Check:
    started = time.perf_counter()
    try:
        detail = await asyncio.wait_for(dependency.probe(), within)
        ok = True
    except TimeoutError:
        detail, ok = f"no answer within {within:g}s", False
    except Exception as e:  # any failure means down, whatever its kind
        detail, ok = f"{type(e).__name__}: {e}"[:200], False
    return Check(dependency.name, dependency.required, ok, detail, time.perf_counter() - started)


async def check_all(dependencies: Sequence[Dependency], within: float = 2.0) -> list[Check]:
    """Every dependency checked at once, each given at most `within` seconds."""
    return list(await asyncio.gather(*(check(d, within) for d in dependencies)))


def ready(checks: Sequence[Check]) -> bool:
    return all(c.ok for c in checks if c.required)
