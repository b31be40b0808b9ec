"""The authenticator's key cache stays bounded without forgetting good keys."""

from __future__ import annotations

from datetime import datetime

import pytest

from stockd import errors
from stockd.adapters.memory import MemoryApiKeyStore, MemoryStore
from stockd.bootstrap import message_bus
from stockd.config import Settings
from stockd.service.auth import ApiKey, Authenticator, Scope
from stockd.service.keys import create_key
from tests.support import T0


class CountingStore(MemoryApiKeyStore):
    """The fake's key store, counting lookups; `add` makes keys through the
    bus, as everything does."""

    def __init__(self) -> None:
        super().__init__(MemoryStore())
        self.bus = message_bus(self.store.uow, Settings(env="test", _env_file=None), FixedClock())
        self.lookups = 0

    async def find(self, digest: bytes, *, include_revoked: bool = False) -> ApiKey | None:
        self.lookups += 1
        return await super().find(digest, include_revoked=include_revoked)


class FixedClock:
    def now(self) -> datetime:
        return T0


async def test_a_flood_of_unknown_tokens_does_not_evict_good_keys() -> None:
    store = CountingStore()
    _, token = await create_key(store.bus, "good", {Scope.READ})
    auth = Authenticator(store, ttl_seconds=3600)
    await auth.authenticate(token, Scope.READ)
    for i in range(10_050):
        with pytest.raises(errors.Unauthorized):
            await auth.authenticate(f"sk_guess_{i}", Scope.READ)
    before = store.lookups
    await auth.authenticate(token, Scope.READ)
    assert store.lookups == before  # still cached


async def test_the_cache_is_bounded_and_forgets_the_least_recently_used_unknown_token() -> None:
    store = CountingStore()
    auth = Authenticator(store, ttl_seconds=3600, max_unknown=3)
    for token in ("sk_a", "sk_b", "sk_c"):
        with pytest.raises(errors.Unauthorized):
            await auth.authenticate(token, Scope.READ)
    with pytest.raises(errors.Unauthorized):
        await auth.authenticate("sk_a", Scope.READ)  # a hit: now the most recent
    with pytest.raises(errors.Unauthorized):
        await auth.authenticate("sk_d", Scope.READ)  # evicts sk_b
    assert store.lookups == 4
    for token, looked_up in (("sk_a", False), ("sk_c", False), ("sk_d", False), ("sk_b", True)):
        before = store.lookups
        with pytest.raises(errors.Unauthorized):
            await auth.authenticate(token, Scope.READ)
        assert (store.lookups > before) is looked_up, token
    assert auth.cached() <= 3


async def test_known_keys_have_a_bound_of_their_own() -> None:
    store = CountingStore()
    tokens = [(await create_key(store.bus, f"k{i}", {Scope.READ}))[1] for i in range(4)]
    auth = Authenticator(store, ttl_seconds=3600, max_known=2)
    for token in tokens:
        await auth.authenticate(token, Scope.READ)
    assert auth.cached() == 2
    before = store.lookups
    await auth.authenticate(tokens[-1], Scope.READ)
    assert store.lookups == before
    await auth.authenticate(tokens[0], Scope.READ)
    assert store.lookups == before + 1
