"""Housekeeping the store needs besides commands (a port)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Maintenance(Protocol):
    async def forget_idempotency_keys(self, before: datetime) -> int:
        """Drop stored idempotent responses older than `before`; how many."""
        ...

    async def ping(self) -> None:
        """Raise unless the store answers."""
        ...
