"""What `stockd serve` makes sure of before it serves."""

from __future__ import annotations

from stockd.bootstrap import build
from stockd.config import Settings
from stockd.service.auth import Scope, digest
from stockd.service.keys import create_key

ACTOR = "stockd:serve"
"""Who the ledger names for the keys made at start-up."""


class BootstrapKeyRevoked(Exception):
    """STOCKD_BOOTSTRAP_ADMIN_KEY is a key that was revoked. Serving anyway
    would leave whatever relies on that setting locked out, and installing it
    again would undo the revocation."""

    def __init__(self, key_id: str) -> None:
        super().__init__(key_id)
        self.key_id = key_id


async def ensure_admin_key(settings: Settings, url: str) -> str | None:
    """Install STOCKD_BOOTSTRAP_ADMIN_KEY if set; otherwise, when no key exists
    at all, create an admin key and return it (to be printed once)."""
    container = await build(settings, url)
    try:
        if settings.bootstrap_admin_key is not None:
            token = settings.bootstrap_admin_key.get_secret_value()
            known = await container.keys.find(digest(token), include_revoked=True)
            if known is None:
                await create_key(
                    container.bus, "bootstrap", {Scope.ADMIN}, token=token, actor=ACTOR
                )
            elif known.revoked_at is not None:
                raise BootstrapKeyRevoked(known.id)
            return None
        if await container.keys.count_active() == 0:
            _, token = await create_key(container.bus, "first admin", {Scope.ADMIN}, actor=ACTOR)
            return token
        return None
    finally:
        await container.close()
