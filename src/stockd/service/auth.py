"""API keys: how callers prove who they are, and what they may do.

A key is shown once, when created; the store keeps only its SHA-256 digest
(keys are 256-bit random tokens, so a fast digest is enough).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from stockd import errors

KEY_PREFIX = "sk_"


class Scope(StrEnum):
    """Scopes nest: `admin` may do all `write` may, `write` all `read` may."""

    READ = "read"
    WRITE = "write"
    ADMIN = "admin"

    def allows(self, needed: Scope) -> bool:
        return _RANK[self] >= _RANK[needed]


_RANK = {Scope.READ: 0, Scope.WRITE: 1, Scope.ADMIN: 2}


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    name: str
    scopes: frozenset[Scope]
    created_at: datetime
    revoked_at: datetime | None = None

    def allows(self, needed: Scope) -> bool:
        return any(s.allows(needed) for s in self.scopes)


class ApiKeyStore(Protocol):
    async def add(self, key: ApiKey, digest: bytes) -> None: ...

    async def find(self, digest: bytes, *, include_revoked: bool = False) -> ApiKey | None:
        """The unrevoked key with this digest (or the revoked one, if asked)."""
        ...

    async def all(self) -> list[ApiKey]: ...

    async def revoke(self, key_id: str, now: datetime) -> bool: ...

    async def count_active(self) -> int: ...


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def new_token() -> tuple[str, str]:
    """A fresh (key id, token); the id is the token's public part."""
    key_id = secrets.token_hex(4)
    return key_id, f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"


async def create_key(
    store: ApiKeyStore,
    name: str,
    scopes: Collection[Scope],
    now: datetime,
    token: str | None = None,
) -> tuple[ApiKey, str]:
    """Store a new key (or the given token) and return it with its token."""
    if not scopes:
        raise errors.InvalidRequest("a key needs at least one scope")
    key_id, fresh = new_token()
    key = ApiKey(id=key_id, name=name, scopes=frozenset(scopes), created_at=now)
    token = token or fresh
    await store.add(key, digest(token))
    return key, token


class Authenticator:
    """Turns a bearer token into an ApiKey, with a short cache so the hot path
    does not query the store on every request. Revocation takes effect within
    `ttl_seconds`."""

    def __init__(self, store: ApiKeyStore, ttl_seconds: float = 5.0) -> None:
        self.store = store
        self.ttl = ttl_seconds
        self._cache: dict[bytes, tuple[float, ApiKey | None]] = {}

    async def authenticate(self, token: str | None, needed: Scope) -> ApiKey:
        if not token:
            raise errors.Unauthorized("send 'Authorization: Bearer <api key>'")
        d = digest(token)
        hit = self._cache.get(d)
        now = time.monotonic()
        if hit is not None and now - hit[0] < self.ttl:
            key = hit[1]
        else:
            key = await self.store.find(d)
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[d] = (now, key)
        if key is None:
            raise errors.Unauthorized("unknown or revoked API key")
        if not key.allows(needed):
            raise errors.Forbidden(
                f"this key has scopes {sorted(key.scopes)}; the request needs {needed.value!r}"
            )
        return key
