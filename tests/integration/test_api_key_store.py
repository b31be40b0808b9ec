"""The API key store contract, on the fake and on PostgreSQL."""

from __future__ import annotations

from stockd.bootstrap import Container
from stockd.service.auth import Scope, create_key, digest


async def test_a_revoked_key_is_found_only_when_revoked_keys_are_asked_for(
    backend: Container,
) -> None:
    now = backend.clock.now()
    key, token = await create_key(backend.keys, "ops", {Scope.ADMIN}, now)
    assert await backend.keys.revoke(key.id, now)
    assert await backend.keys.find(digest(token)) is None
    found = await backend.keys.find(digest(token), include_revoked=True)
    assert found is not None
    assert (found.id, found.revoked_at) == (key.id, now)
    assert await backend.keys.find(digest("sk_other"), include_revoked=True) is None
