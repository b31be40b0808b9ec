"""FastAPI dependencies, as Annotated aliases: `Reads`, `ReadKey`, `Writer`, …"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from stockd.bootstrap import Container
from stockd.entrypoints.api.writes import Write
from stockd.service.auth import ApiKey, Scope
from stockd.service.messagebus import MessageBus
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


async def _writer(request: Request, key: WriteKey, idem_key: IdempotencyKey = None) -> Write:
    return Write(_of(request).bus, key, request, idem_key)


async def _admin_writer(request: Request, key: AdminKey, idem_key: IdempotencyKey = None) -> Write:
    return Write(_of(request).bus, key, request, idem_key)


Writer = Annotated[Write, Depends(_writer)]
"""A write route's bus, key (write scope) and Idempotency-Key: `await write(cmd, render)`."""
AdminWriter = Annotated[Write, Depends(_admin_writer)]
"""`Writer` for routes that need the admin scope."""
