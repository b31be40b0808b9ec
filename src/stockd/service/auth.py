"""API keys: how callers prove who they are, and what they may do.

A key is shown once, when created; the store keeps only its SHA-256 digest
(keys are 256-bit random tokens, so a fast digest is enough).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from stockd import errors
from stockd.domain.channels import BYPASS

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
    """Reading keys (authentication, listings). Keys are created and revoked
    by commands (`CreateApiKey`, `RevokeApiKey`), which record events."""

    async def find(self, digest: bytes, *, include_revoked: bool = False) -> ApiKey | None:
        """The unrevoked key with this digest (or the revoked one, if asked)."""
        ...

    async def all(self) -> list[ApiKey]: ...

    async def count_active(self) -> int: ...


def digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def new_token() -> tuple[str, str]:
    """A fresh (key id, token); the id is the token's public part."""
    key_id = secrets.token_hex(4)
    return key_id, f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"


class _Lru:
    """At most `size` entries; the least recently used one goes first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.entries: OrderedDict[bytes, tuple[float, ApiKey | None]] = OrderedDict()

    def get(self, digest: bytes) -> tuple[float, ApiKey | None] | None:
        entry = self.entries.get(digest)
        if entry is not None:
            self.entries.move_to_end(digest)
        return entry

    def put(self, digest: bytes, entry: tuple[float, ApiKey | None]) -> None:
        self.entries[digest] = entry
        self.entries.move_to_end(digest)
        if len(self.entries) > self.size:
            self.entries.popitem(last=False)


class Authenticator:
    """Turns a bearer token into an ApiKey, with a short cache so the hot path
    does not query the store on every request. Revocation takes effect within
    `ttl_seconds`.

    Known keys and unknown tokens are cached apart, each bounded and least
    recently used first out: a flood of made-up tokens churns only the
    unknown side and never costs a real caller its cached key."""

    def __init__(
        self,
        store: ApiKeyStore,
        ttl_seconds: float = 5.0,
        *,
        max_known: int = 10_000,
        max_unknown: int = 10_000,
    ) -> None:
        self.store = store
        self.ttl = ttl_seconds
        self._known = _Lru(max_known)
        self._unknown = _Lru(max_unknown)

    def cached(self) -> int:
        """How many tokens the cache holds, known and unknown."""
        return len(self._known.entries) + len(self._unknown.entries)

    async def authenticate(self, token: str | None, needed: Scope) -> ApiKey:
        if not token:
            raise errors.Unauthorized("send 'Authorization: Bearer <api key>'")
        d = digest(token)
        hit = self._known.get(d) or self._unknown.get(d)
        now = time.monotonic()
        if hit is not None and now - hit[0] < self.ttl:
            key = hit[1]
        else:
            key = await self.store.find(d)
            self._known.entries.pop(d, None)
            self._unknown.entries.pop(d, None)
            (self._known if key is not None else self._unknown).put(d, (now, key))
        if key is None:
            raise errors.Unauthorized("unknown or revoked API key")
        require(key, needed)
        return key


def require(key: ApiKey, needed: Scope) -> None:
    """Refuse (403) a key without the scope `needed`."""
    if not key.allows(needed):
        held = [s.value for s in sorted(key.scopes, key=_RANK.__getitem__)]
        raise errors.Forbidden(
            f"this key has scope{'s' if len(held) > 1 else ''}"
            f" {', '.join(map(repr, held))}; the request needs {needed.value!r}",
            scopes=held,
            needed=needed.value,
        )


def may_name(key: ApiKey, channel: str | None) -> None:
    """Refuse (403) a key that names `*` (no pools) without the admin scope."""
    if channel == BYPASS:
        require(key, Scope.ADMIN)
