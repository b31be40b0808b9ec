"""Running a command for a POST/PATCH: idempotency, rendering, replay header."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import orjson
from pydantic import BaseModel
from starlette.responses import Response

from stockd import errors
from stockd.domain.commands import Command
from stockd.service.auth import ApiKey
from stockd.service.context import Context
from stockd.service.messagebus import Idempotency, MessageBus
from stockd.service.ports import StoredResponse

Render = Callable[[Any], tuple[int, BaseModel]]


async def execute(
    bus: MessageBus,
    cmd: Command,
    principal: ApiKey,
    idem: Idempotency | None,
    render: Render,
    *,
    etag: bool = False,
) -> Response:
    """Run `cmd` as `principal`; the response is rendered inside the command's
    transaction when it must be stored for idempotent replay."""
    ctx = Context(actor=f"key:{principal.id}", idempotency_key=idem.key if idem else None)

    def stored(result: Any) -> StoredResponse:
        status, model = render(result)
        return StoredResponse(status, model.model_dump_json().encode())

    if idem is None:
        response, replayed = stored(await bus.handle(cmd, ctx)), False
    else:
        reply = await bus.handle_idempotent(cmd, ctx, idem, stored)
        response, replayed = reply.response, reply.replayed
    headers = {}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    if etag:
        headers["ETag"] = f'"{orjson.loads(response.body)["version"]}"'
    return Response(response.body, response.status, headers, media_type="application/json")


def expected_version(if_match: str | None) -> int | None:
    """The version an If-Match header asks for; None for absent or `*`."""
    if if_match is None or if_match.strip() == "*":
        return None
    tag = if_match.strip().removeprefix("W/").strip('"')
    if not tag.isdigit() or len(tag) > 18:
        raise errors.InvalidRequest(
            errors.Issue(
                f"If-Match must be an ETag this API sent, like '\"3\"', not {if_match!r}",
                "If-Match",
            )
        )
    return int(tag)
