"""Webhooks: subscribe, change, rotate the secret, read deliveries, replay.
Admin only (subscriptions carry signing secrets)."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, Path, Query
from starlette.responses import Response

from stockd import errors
from stockd.bootstrap import Container
from stockd.domain.commands import (
    CreateWebhook,
    DeleteWebhook,
    ReplayWebhook,
    RotateWebhookSecret,
    UpdateWebhook,
)
from stockd.domain.webhooks import Webhook
from stockd.entrypoints.api.deps import AdminKey, AdminWriter, AppContainer
from stockd.entrypoints.api.responses import Json
from stockd.entrypoints.api.routes.catalog import IfMatch
from stockd.entrypoints.api.routes.common import Cursor, Limit, after_code, by_code, problems
from stockd.entrypoints.api.schemas.webhooks import (
    DeliveryPage,
    DeliveryRead,
    DeliveryStatus,
    Replay,
    Replayed,
    WebhookCreate,
    WebhookCreated,
    WebhookPage,
    WebhookRead,
    WebhookSecret,
    WebhookUpdate,
)
from stockd.entrypoints.api.writes import expected_version
from stockd.service.cursors import decode_cursor, encode_cursor, number
from stockd.service.webhooks import Webhooks

router = APIRouter(prefix="/v1", tags=["webhooks"])

WebhookId = Annotated[
    str, Path(pattern=r"^wh_[0-9a-f]{1,64}$", description="The webhook's id (`wh_…`).")
]


def _webhooks(container: Container) -> Webhooks:
    if container.webhooks is None:
        raise errors.NotFound("webhooks need PostgreSQL; this server runs without it")
    return container.webhooks


@router.post("/webhooks", status_code=201, response_model=WebhookCreated, responses=problems(409))
async def create_webhook(body: WebhookCreate, container: AppContainer, write: AdminWriter) -> Json:
    """Subscribe an endpoint. The answer carries its signing `secret`, shown
    only now (and in an idempotent replay of this request). Messages start
    with the events that commit after it."""
    await _webhooks(container).check_url(body.url)
    answer = await write(
        CreateWebhook(body.to_domain()), lambda made: (201, _created(*made)), body=body
    )
    location = f"/v1/webhooks/{orjson.loads(answer.body)['id']}"
    answer.extra.append((b"location", location.encode()))
    return answer


def _created(webhook: Webhook, secret: str) -> WebhookCreated:
    return WebhookCreated.model_validate(webhook.as_dict() | {"secret": secret})


@router.get("/webhooks", response_model=WebhookPage, responses=problems())
async def list_webhooks(
    container: AppContainer, key: AdminKey, limit: Limit, cursor: Cursor = None
) -> WebhookPage:
    found = await _webhooks(container).store.page(after_code(cursor), limit + 1)
    page, next_cursor = by_code(found, limit, lambda w: w.id)
    return WebhookPage(items=[WebhookRead.of(w) for w in page], next_cursor=next_cursor)


@router.get("/webhooks/{webhook_id}", response_model=WebhookRead, responses=problems(404))
async def get_webhook(
    webhook_id: WebhookId, container: AppContainer, key: AdminKey, response: Response
) -> WebhookRead:
    found = await _webhooks(container).get(webhook_id)
    response.headers["ETag"] = f'"{found.version}"'
    return WebhookRead.of(found)


@router.patch("/webhooks/{webhook_id}", response_model=WebhookRead, responses=problems(404, 409))
async def update_webhook(
    webhook_id: WebhookId,
    body: WebhookUpdate,
    container: AppContainer,
    write: AdminWriter,
    if_match: IfMatch = None,
) -> Response:
    """Change the fields given (`If-Match` guards against a lost update)."""
    changes = body.changes()
    if "url" in changes:
        await _webhooks(container).check_url(changes["url"])
    cmd = UpdateWebhook(webhook_id, changes, expected_version(if_match))
    return await write(cmd, lambda w: (200, WebhookRead.of(w)), body=body, etag=True)


@router.delete(
    "/webhooks/{webhook_id}", status_code=204, response_class=Response, responses=problems(404)
)
async def delete_webhook(webhook_id: WebhookId, write: AdminWriter) -> Response:
    """Unsubscribe: nothing more is sent, and its delivery log goes with it."""
    await write.run(DeleteWebhook(webhook_id))
    return Response(status_code=204)


@router.post(
    "/webhooks/{webhook_id}/rotate-secret", response_model=WebhookSecret, responses=problems(404)
)
async def rotate_secret(
    webhook_id: WebhookId, container: AppContainer, write: AdminWriter
) -> Response:
    """A new signing secret. Messages carry signatures by both the new and the
    old secret for STOCKD_WEBHOOKS_SECRET_GRACE_HOURS (24 unless set), so a
    receiver can switch without missing one."""
    grace = _webhooks(container).policy.secret_grace_seconds
    return await write(
        RotateWebhookSecret(webhook_id, grace), lambda s: (200, WebhookSecret(secret=s))
    )


@router.get(
    "/webhooks/{webhook_id}/deliveries", response_model=DeliveryPage, responses=problems(404)
)
async def list_deliveries(
    webhook_id: WebhookId,
    container: AppContainer,
    key: AdminKey,
    limit: Limit,
    status: Annotated[DeliveryStatus | None, Query()] = None,
    cursor: Cursor = None,
) -> DeliveryPage:
    """Its messages, newest first: `pending`, `failed` (tried, to be tried
    again), `delivered` or `dead` (out of attempts: replay them)."""
    before = None if cursor is None else number(decode_cursor(cursor, 1)[0])
    found = await _webhooks(container).deliveries(webhook_id, status, before, limit + 1)
    page = found[:limit]
    more = len(found) > limit
    return DeliveryPage(
        items=[DeliveryRead.of(d) for d in page],
        next_cursor=encode_cursor(str(page[-1].id)) if more else None,
    )


@router.post("/webhooks/{webhook_id}/replay", response_model=Replayed, responses=problems(404))
async def replay(webhook_id: WebhookId, body: Replay, write: AdminWriter) -> Response:
    """Send again: the dead letters, or (`from_seq`) every message from that
    ledger event on. Each keeps its `webhook-id`, so a receiver that already
    has it can tell."""
    cmd = ReplayWebhook(webhook_id, body.from_seq)
    return await write(cmd, lambda n: (200, Replayed(queued=n)), body=body)
