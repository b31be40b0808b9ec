"""Webhook subscriptions: made, changed, deleted, their secret rotated and
their messages replayed — each in a unit of work with its event (never a
secret). Whether a URL may be reached (DNS) is checked before, by
`stockd.service.webhooks.Webhooks.check_url`: no I/O but the database here."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from stockd import errors
from stockd.domain.catalog import changes
from stockd.domain.commands import (
    CreateWebhook,
    DeleteWebhook,
    ReplayWebhook,
    RotateWebhookSecret,
    UpdateWebhook,
)
from stockd.domain.events import (
    WebhookChanged,
    WebhookCreated,
    WebhookDeleted,
    WebhookReplayed,
    WebhookSecretRotated,
)
from stockd.domain.webhooks import DERIVED, Webhook, new_secret, unknown_types
from stockd.service.context import Context, Deps
from stockd.service.handlers.catalog import check_version
from stockd.service.ports import UnitOfWork

CHANGEABLE = frozenset(
    {"url", "events", "channel", "skus", "low_stock_threshold", "description", "active"}
)


async def create_webhook(
    cmd: CreateWebhook, uow: UnitOfWork, ctx: Context, deps: Deps
) -> tuple[Webhook, str]:
    """The new subscription and its secret (the only time it is shown)."""
    now = deps.clock.now()
    webhook = replace(cmd.webhook, id=deps.new_id("wh"), version=1, created_at=now, updated_at=now)
    await _check(uow, webhook)
    secret = new_secret()
    await uow.webhooks.add(webhook, secret, now)
    await uow.ledger.append([_event(WebhookCreated, ctx, now, webhook, attributes=_shown(webhook))])
    return webhook, secret


async def update_webhook(cmd: UpdateWebhook, uow: UnitOfWork, ctx: Context, deps: Deps) -> Webhook:
    """Change the given fields; a change that changes nothing is none."""
    current = await _locked(uow, cmd.webhook_id)
    check_version(cmd.expected_version, current.version, f"webhook {cmd.webhook_id!r}")
    unknown = set(cmd.changes) - CHANGEABLE
    assert not unknown, f"the API lets through only changeable fields, not {unknown}"
    updated = replace(current, **cmd.changes)
    await _check(uow, updated)
    changed = changes(_shown(current), _shown(updated))
    if not changed:
        return current
    now = deps.clock.now()
    saved = await uow.webhooks.save(updated, now)
    await uow.ledger.append(
        [_event(WebhookChanged, ctx, now, saved, changes=changed, version=saved.version)]
    )
    return saved


async def delete_webhook(cmd: DeleteWebhook, uow: UnitOfWork, ctx: Context, deps: Deps) -> None:
    webhook = await _locked(uow, cmd.webhook_id)
    now = deps.clock.now()
    await uow.webhooks.delete(webhook.id)
    await uow.ledger.append([_event(WebhookDeleted, ctx, now, webhook)])


async def rotate_secret(cmd: RotateWebhookSecret, uow: UnitOfWork, ctx: Context, deps: Deps) -> str:
    """A new secret; the old one keeps signing beside it for the grace
    period, so a receiver can switch without losing a message."""
    webhook = await _locked(uow, cmd.webhook_id)
    now = deps.clock.now()
    until = now + timedelta(seconds=cmd.grace_seconds)
    secret = new_secret()
    await uow.webhooks.rotate(webhook.id, secret, until, now)
    grace = round(cmd.grace_seconds)
    await uow.ledger.append([_event(WebhookSecretRotated, ctx, now, webhook, grace_seconds=grace)])
    return secret


async def replay(cmd: ReplayWebhook, uow: UnitOfWork, ctx: Context, deps: Deps) -> int:
    """Queue messages again: the dead letters, or every one from a seq on;
    how many."""
    webhook = await _locked(uow, cmd.webhook_id)
    now = deps.clock.now()
    queued = await uow.webhooks.replay(webhook.id, cmd.from_seq, now)
    await uow.ledger.append(
        [_event(WebhookReplayed, ctx, now, webhook, from_seq=cmd.from_seq, queued=queued)]
    )
    return queued


async def _locked(uow: UnitOfWork, webhook_id: str) -> Webhook:
    found = await uow.webhooks.lock(webhook_id)
    if found is None:
        raise errors.NotFound(f"webhook {webhook_id!r} does not exist")
    return found


async def _check(uow: UnitOfWork, webhook: Webhook) -> None:
    """What the subscription names must exist: its event types, its channel."""
    unknown = unknown_types(webhook.events)
    if unknown:
        raise errors.InvalidRequest(
            errors.Issue(
                f"unknown event type(s) {', '.join(repr(u) for u in unknown)}: give ledger"
                " types (docs/events.md), families such as 'order.*', or one of"
                f" {', '.join(DERIVED)}",
                "events",
            )
        )
    if not webhook.events:
        raise errors.InvalidRequest(errors.Issue("name at least one event type", "events"))
    if webhook.channel is not None and not await uow.channels.get_many({webhook.channel}):
        raise errors.UnknownReference(
            errors.Issue(f"unknown channel {webhook.channel!r}", "channel")
        )


def _shown(webhook: Webhook) -> dict[str, Any]:
    """The subscription as its events record it (no times, no version)."""
    shown = webhook.as_dict()
    for name in ("created_at", "updated_at", "version"):
        del shown[name]
    return shown


def _event(kind: Any, ctx: Context, now: Any, webhook: Webhook, **fields: Any) -> Any:
    return kind(
        at=now,
        actor=ctx.actor,
        idempotency_key=ctx.idempotency_key,
        webhook_id=webhook.id,
        **fields,
    )
