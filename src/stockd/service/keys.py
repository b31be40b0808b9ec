"""Creating API keys from the CLI, at start-up and in tests: a command on
the bus, so the key's creation is an event."""

from __future__ import annotations

from collections.abc import Collection

from stockd.domain.commands import CreateApiKey
from stockd.service.auth import ApiKey, Scope
from stockd.service.context import Context
from stockd.service.handlers.keys import CreatedKey
from stockd.service.messagebus import MessageBus


async def create_key(
    bus: MessageBus,
    name: str,
    scopes: Collection[Scope],
    *,
    token: str | None = None,
    actor: str = "stockd",
) -> tuple[ApiKey, str]:
    """A new key (or the given token installed) and its token."""
    cmd = CreateApiKey(name, tuple(sorted(s.value for s in scopes)), token)
    created: CreatedKey = await bus.handle(cmd, Context(actor=actor))
    return created.key, created.token
