"""FastAPI dependencies, as Annotated aliases: `Bus`, `Reads`, `ReadKey`, …"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from typing import Annotated

import orjson
from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel

from stockd.bootstrap import Container
from stockd.service.auth import ApiKey, Scope
from stockd.service.messagebus import Idempotency, MessageBus
from stockd.service.ports import Clock
from stockd.service.queries import ReadModel

_bearer = HTTPBearer(auto_error=False, description="An API key: `stockd keys create`.")


def _of(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


# Dependencies are coroutines: FastAPI runs plain functions in a thread pool,
# which costs more than the lookups themselves.
async def _container(request: Request) -> Container:
    return _of(request)


async def _bus(request: Request) -> MessageBus:
    return _of(request).bus


async def _reads(request: Request) -> ReadModel:
    return _of(request).reads


async def _clock(request: Request) -> Clock:
    return _of(request).clock


def _require(scope: Scope) -> Callable[..., Awaitable[ApiKey]]:
    async def authenticate(
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    ) -> ApiKey:
        token = credentials.credentials if credentials is not None else None
        return await _of(request).auth.authenticate(token, scope)

    return authenticate


AppContainer = Annotated[Container, Depends(_container)]
Bus = Annotated[MessageBus, Depends(_bus)]
Reads = Annotated[ReadModel, Depends(_reads)]
Now = Annotated[Clock, Depends(_clock)]
ReadKey = Annotated[ApiKey, Depends(_require(Scope.READ))]
WriteKey = Annotated[ApiKey, Depends(_require(Scope.WRITE))]
AdminKey = Annotated[ApiKey, Depends(_require(Scope.ADMIN))]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        pattern=r"^[\x21-\x7e]+$",
        description="Retrying with the same key returns the first response and changes nothing.",
    ),
]


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
