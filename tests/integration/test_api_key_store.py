"""API keys: the store contract, and keys made and revoked as events, on the
fake and on PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest

from stockd import errors
from stockd.bootstrap import Container
from stockd.domain.commands import RevokeApiKey
from stockd.service.auth import Scope, digest
from stockd.service.keys import create_key
from stockd.service.queries import EventFilter
from tests.support import ADMIN


async def test_a_revoked_key_is_found_only_when_revoked_keys_are_asked_for(
    backend: Container,
) -> None:
    now = backend.clock.now()
    await create_key(backend.bus, "spare", {Scope.ADMIN})
    key, token = await create_key(backend.bus, "ops", {Scope.ADMIN})
    await backend.bus.handle(RevokeApiKey(key.id), ADMIN)
    assert await backend.keys.find(digest(token)) is None
    found = await backend.keys.find(digest(token), include_revoked=True)
    assert found is not None
    assert (found.id, found.revoked_at) == (key.id, now)
    assert await backend.keys.find(digest("sk_other"), include_revoked=True) is None


async def test_keys_made_and_revoked_are_events_without_their_secret(backend: Container) -> None:
    key, token = await create_key(backend.bus, "shop", {Scope.WRITE, Scope.READ}, actor="cli:ops")
    await backend.bus.handle(RevokeApiKey(key.id), ADMIN)
    records = await backend.reads.events(0, 10, EventFilter(families=frozenset({"key"})))
    assert [(r.event.type, r.event.actor) for r in records] == [
        ("key.created", "cli:ops"),
        ("key.revoked", "test"),
    ]
    created = records[0].event
    assert (created.key_id, created.name, created.scopes) == (  # type: ignore[attr-defined]
        key.id,
        "shop",
        ("read", "write"),
    )
    assert token not in repr([r.event for r in records])


async def test_the_last_active_admin_key_is_revoked_only_when_forced(backend: Container) -> None:
    first, _ = await create_key(backend.bus, "first", {Scope.ADMIN})
    reader, _ = await create_key(backend.bus, "reader", {Scope.READ})
    with pytest.raises(errors.LastAdminKey):
        await backend.bus.handle(RevokeApiKey(first.id), ADMIN)
    await backend.bus.handle(RevokeApiKey(reader.id), ADMIN)  # not an admin key: fine
    await backend.bus.handle(RevokeApiKey(first.id, force=True), ADMIN)
    assert await backend.keys.count_active() == 0
    with pytest.raises(errors.NotFound):
        await backend.bus.handle(RevokeApiKey(first.id, force=True), ADMIN)


async def test_two_admins_revoking_each_other_at_once_leave_one(db: Container) -> None:
    # The check reads the active keys under lock: one revocation waits for the
    # other and then finds itself the last admin.
    a, _ = await create_key(db.bus, "a", {Scope.ADMIN})
    b, _ = await create_key(db.bus, "b", {Scope.ADMIN})
    results = await asyncio.gather(
        db.bus.handle(RevokeApiKey(a.id), ADMIN),
        db.bus.handle(RevokeApiKey(b.id), ADMIN),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["ApiKey", "LastAdminKey"]
    assert await db.keys.count_active() == 1
