"""How an endpoint is declared once and served by both clients.

    class Skus(Resource[T]):
        @endpoint("GET", "/v1/skus/{sku}", SkuRead)
        def get(self, sku: str) -> Args:
            return Args()

The decorator holds the method, the path template (as in `/openapi.json`;
its `{names}` are filled from the same-named arguments) and the result type;
the method turns its typed arguments into query, body and headers. Read from
a resource bound to the sync transport, `get` is a function returning a
`SkuRead`; bound to the async transport, one returning an awaitable of it.
`by_cursor(list)` / `by_seq(list)` make a list endpoint into a lazy iterator
over every item of every page.
"""

from __future__ import annotations

import functools
import inspect
import string
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from typing import Any, Concatenate, Generic, ParamSpec, Protocol, Self, TypeVar, overload
from urllib.parse import quote

from stockd.client.calls import IDEMPOTENCY_KEY, Args, Call, query
from stockd.client.decode import decoder
from stockd.client.transport import AsyncTransport, Follow, SyncTransport

P = ParamSpec("P")
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)
I_co = TypeVar("I_co", covariant=True)
T = TypeVar("T", SyncTransport, AsyncTransport)

Build = Callable[Concatenate[Any, P], Args]


class Resource(Generic[T]):
    """A group of endpoints (`client.skus`, `client.orders`, …) bound to a transport."""

    def __init__(self, transport: T) -> None:
        self._transport: T = transport


class Endpoint(Generic[P, R_co]):
    def __init__(self, method: str, path: str, response: type[R_co], build: Build[P]) -> None:
        self.method = method
        self.path = path
        self.response = response
        self._decode = decoder(response)
        self._build = build
        self._signature = inspect.signature(build)
        self._names = tuple(n for _, n, _, _ in string.Formatter().parse(path) if n)
        missing = set(self._names) - set(self._signature.parameters)
        if missing:  # fail at import, not at the first request
            raise TypeError(f"{build.__qualname__}: no argument for {sorted(missing)} in {path}")
        # What help() shows for the bound method: the declared arguments (the
        # result is R, or an awaitable of it: the type checker knows which).
        self.signature = self._signature.replace(
            parameters=list(self._signature.parameters.values())[1:],
            return_annotation=inspect.Signature.empty,
        )

    def call(self, resource: Any, *args: P.args, **kwargs: P.kwargs) -> Call[R_co]:
        """The request these arguments make; a POST gets a fresh Idempotency-Key
        unless the arguments name one, and keeps it for every retry."""
        bound = self._signature.bind(resource, *args, **kwargs)
        bound.apply_defaults()
        path = self.path.format_map(
            {n: quote(str(bound.arguments[n]), safe="") for n in self._names}
        )
        given = self._build(resource, *args, **kwargs)
        headers = {}
        if self.method == "POST":
            headers[IDEMPOTENCY_KEY] = given.idempotency_key or str(uuid.uuid4())
        if given.if_match is not None:
            headers["If-Match"] = f'"{given.if_match}"'
        return Call(self.method, path, self._decode, query(given.params), given.json, headers)

    @overload
    def __get__(self, resource: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(self, resource: Resource[SyncTransport], owner: type[Any]) -> Callable[P, R_co]: ...
    @overload
    def __get__(
        self, resource: Resource[AsyncTransport], owner: type[Any]
    ) -> Callable[P, Awaitable[R_co]]: ...
    def __get__(self, resource: Resource[Any] | None, owner: type[Any]) -> Any:
        if resource is None:
            return self
        transport = resource._transport

        def send(*args: P.args, **kwargs: P.kwargs) -> Any:
            return transport.send(self.call(resource, *args, **kwargs))

        return _like(send, self._build, self.signature)


def endpoint(method: str, path: str, response: type[R]) -> Callable[[Build[P]], Endpoint[P, R]]:
    def declare(build: Build[P]) -> Endpoint[P, R]:
        return Endpoint(method, path, response, build)

    return declare


class Pages(Generic[P, I_co]):
    """Every item of a paged list, fetched a page at a time as iteration needs it."""

    def __init__(self, first: Endpoint[P, Any], follow: Follow) -> None:
        self.first = first
        self.follow = follow

    @overload
    def __get__(self, resource: None, owner: type[Any]) -> Self: ...
    @overload
    def __get__(
        self, resource: Resource[SyncTransport], owner: type[Any]
    ) -> Callable[P, Iterator[I_co]]: ...
    @overload
    def __get__(
        self, resource: Resource[AsyncTransport], owner: type[Any]
    ) -> Callable[P, AsyncIterator[I_co]]: ...
    def __get__(self, resource: Resource[Any] | None, owner: type[Any]) -> Any:
        if resource is None:
            return self
        transport = resource._transport

        def walk(*args: P.args, **kwargs: P.kwargs) -> Any:
            return transport.walk(self.first.call(resource, *args, **kwargs), self.follow)

        return _like(walk, self.first._build, self.first.signature)


class CursorPage(Protocol[I_co]):
    @property
    def items(self) -> Sequence[I_co]: ...
    @property
    def next_cursor(self) -> str | None: ...


class SeqPage(Protocol[I_co]):
    @property
    def items(self) -> Sequence[I_co]: ...
    @property
    def next_after(self) -> int: ...


def by_cursor(first: Endpoint[P, CursorPage[R]]) -> Pages[P, R]:
    """Pages follow `cursor=next_cursor` until `next_cursor` is null."""

    def follow(call: Call[Any], page: CursorPage[R]) -> Call[Any] | None:
        return None if page.next_cursor is None else call.with_params(cursor=page.next_cursor)

    return Pages(first, follow)


def by_seq(first: Endpoint[P, SeqPage[R]]) -> Pages[P, R]:
    """Pages follow `after=next_after` until one comes back empty (the
    ledger's documented end: `seq` can skip numbers, so counting proves nothing)."""

    def follow(call: Call[Any], page: SeqPage[R]) -> Call[Any] | None:
        return call.with_params(after=page.next_after) if page.items else None

    return Pages(first, follow)


def _like(
    function: Callable[..., Any], declared: Callable[..., Any], signature: inspect.Signature
) -> Callable[..., Any]:
    """`function` documented as the declaration it serves, for help() and IDEs."""
    functools.update_wrapper(function, declared, assigned=("__name__", "__qualname__", "__doc__"))
    function.__signature__ = signature  # type: ignore[attr-defined]
    return function
