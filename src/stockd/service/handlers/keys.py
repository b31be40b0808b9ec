"""API keys: created and revoked by commands, so each is an event.

The events name the key, its name and scopes, never its secret."""

from __future__ import annotations

from dataclasses import dataclass

from stockd import errors
from stockd.domain.commands import CreateApiKey, RevokeApiKey
from stockd.domain.events import KeyCreated, KeyRevoked
from stockd.service.auth import ApiKey, Scope, digest, new_token
from stockd.service.context import Context, Deps
from stockd.service.ports import UnitOfWork


@dataclass(frozen=True, slots=True)
class CreatedKey:
    key: ApiKey
    token: str
    """The secret: shown to whoever asked, this once, and never stored."""


async def create_api_key(
    cmd: CreateApiKey, uow: UnitOfWork, ctx: Context, deps: Deps
) -> CreatedKey:
    if not cmd.scopes:
        raise errors.InvalidRequest(errors.Issue("a key needs at least one scope", "scopes"))
    try:
        scopes = frozenset(Scope(s) for s in cmd.scopes)
    except ValueError:
        raise errors.InvalidRequest(
            errors.Issue(f"scopes are read, write or admin, not {list(cmd.scopes)}", "scopes")
        ) from None
    now = deps.clock.now()
    key_id, fresh = new_token()
    key = ApiKey(id=key_id, name=cmd.name, scopes=scopes, created_at=now)
    token = cmd.token or fresh
    if not await uow.keys.add(key, digest(token)):
        if cmd.token is not None:
            raise errors.AlreadyExists("that key is installed already", resource="key", id=key_id)
        raise errors.TransientConflict("key id taken")  # the bus retries with a fresh one
    await uow.ledger.append(
        [
            KeyCreated(
                at=now,
                actor=ctx.actor,
                idempotency_key=ctx.idempotency_key,
                key_id=key.id,
                name=key.name,
                scopes=tuple(sorted(s.value for s in scopes)),
            )
        ]
    )
    return CreatedKey(key, token)


async def revoke_api_key(cmd: RevokeApiKey, uow: UnitOfWork, ctx: Context, deps: Deps) -> ApiKey:
    """Revoke an active key; the last active admin key only with `force` (the
    active keys are locked, so two revocations cannot both leave none)."""
    active = await uow.keys.lock_active()
    target = next((k for k in active if k.id == cmd.key_id), None)
    if target is None:
        raise errors.NotFound(f"no active key with id {cmd.key_id!r}")
    admins = [k for k in active if Scope.ADMIN in k.scopes]
    if admins == [target] and not cmd.force:
        raise errors.LastAdminKey(
            f"{target.id} is the last active admin key: create another first, or force it"
        )
    now = deps.clock.now()
    await uow.keys.revoke(target.id, now)
    await uow.ledger.append(
        [KeyRevoked(at=now, actor=ctx.actor, idempotency_key=ctx.idempotency_key, key_id=target.id)]
    )
    return ApiKey(target.id, target.name, target.scopes, target.created_at, revoked_at=now)
