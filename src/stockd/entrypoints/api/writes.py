"""Running a command for a POST/PATCH: idempotency, rendering, replay header.

Every write route takes one dependency, `deps.Writer` (or `deps.AdminWriter`),
and calls it with its command and how to render the result:

    async def ship(order_id: OrderId, body: ShipmentCreate, write: Writer) -> Response:
        return await write(ShipOrder(...), lambda o: (200, OrderRead.of(o)), body=body)
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import BaseModel
from starlette.requests import Request

from stockd import errors
from stockd.domain.commands import Command
from stockd.entrypoints.api.responses import Json
from stockd.service.auth import ApiKey
from stockd.service.context import Context
from stockd.service.messagebus import Idempotency, MessageBus
from stockd.service.ports import StoredResponse

Document = BaseModel | Mapping[str, Any]
"""A response body: a model, or the same document as plain data (the hot
path renders plain data; a test checks the bytes are the model's)."""
Render = Callable[[Any], tuple[int, Document]]


def actor(principal: ApiKey) -> str:
    """Who the ledger says did it: `key:<id>`."""
    return f"key:{principal.id}"


def encode(document: Document) -> bytes:
    if isinstance(document, BaseModel):
        return document.model_dump_json().encode()
    return orjson.dumps(document, option=orjson.OPT_UTC_Z)


async def execute(
    bus: MessageBus,
    cmd: Command,
    principal: ApiKey,
    idem: Idempotency | None,
    render: Render,
    *,
    etag: bool = False,
) -> Json:
    """Run `cmd` as `principal`; the response is rendered inside the command's
    transaction when it must be stored for idempotent replay."""
    ctx = Context(actor=actor(principal), idempotency_key=idem.key if idem else None)

    if idem is None:  # the flash sale's case: nothing to store
        status, document = render(await bus.handle(cmd, ctx))
        body = encode(document)
        return Json(status, body, _etag(body) if etag else None)

    def stored(result: Any) -> StoredResponse:
        status, document = render(result)
        return StoredResponse(status, encode(document))

    reply = await bus.handle_idempotent(cmd, ctx, idem, stored)
    response = reply.response
    headers = _etag(response.body) if etag else []
    if reply.replayed:
        headers.append((b"idempotent-replayed", b"true"))
    return Json(response.status, response.body, headers)


def _etag(body: bytes) -> list[tuple[bytes, bytes]]:
    """The ETag header of a versioned document's answer."""
    return [(b"etag", f'"{orjson.loads(body)["version"]}"'.encode())]


@dataclass(frozen=True, slots=True)
class Write:
    """What a write route needs: the bus, the caller's key and the request's
    Idempotency-Key. Calling it runs a command."""

    bus: MessageBus
    key: ApiKey
    request: Request
    idempotency_key: str | None

    async def __call__(
        self, cmd: Command, render: Render, *, body: BaseModel | None = None, etag: bool = False
    ) -> Json:
        """Run `cmd`; `body` is the request body the idempotency claim is
        fingerprinted with (with the method and path)."""
        idem = idempotency(self.idempotency_key, self.key, self.request, body)
        return await execute(self.bus, cmd, self.key, idem, render, etag=etag)

    async def run(self, cmd: Command) -> Any:
        """Run `cmd` and return its result, for a route that answers with a
        read made after it: a PUT, idempotent by nature (no Idempotency-Key)."""
        return await self.bus.handle(cmd, Context(actor=actor(self.key)))


def idempotency(
    key: str | None, principal: ApiKey, request: Request, body: BaseModel | None
) -> Idempotency | None:
    """The idempotency claim of this request, fingerprinted by method, path and body."""
    if key is None:
        return None
    payload = body.model_dump(mode="json", by_alias=True) if body is not None else None
    digest = hashlib.sha256(
        orjson.dumps([request.method, request.scope["path"], payload], option=orjson.OPT_SORT_KEYS)
    ).hexdigest()
    return Idempotency(scope=principal.id, key=key, fingerprint=digest)


def fingerprint(body: BaseModel) -> str:
    """A digest of a request body, for domain-level idempotency (order ids,
    receipt ids): the same body gives the same digest."""
    payload = body.model_dump(mode="json", by_alias=True)
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


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
