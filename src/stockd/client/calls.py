"""One request, described without sending it (shared by both transports).

A `Call` is everything a transport needs: method, path, query, JSON body,
headers and how to turn the answer into a result. Building it and reading
the answer (`outcome`) do no I/O, so the sync and async transports share
them and differ only in how they wait.
"""

from __future__ import annotations

import dataclasses
import email.utils
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

import httpx

from stockd.client.errors import StockdError, UnexpectedResponse, error_for

R_co = TypeVar("R_co", covariant=True)

IDEMPOTENCY_KEY = "Idempotency-Key"

Params = Mapping[str, str | int | float | bool | None]


@dataclass(frozen=True, slots=True)
class Args:
    """What an endpoint's arguments make of a request: the query (None values
    are left out), the JSON body (None sends none), and the headers stockd
    reads (`Idempotency-Key` on POST, `If-Match` on PATCH and DELETE)."""

    params: Params = field(default_factory=dict)
    json: Any = None
    idempotency_key: str | None = None
    if_match: int | None = None


@dataclass(frozen=True, slots=True)
class Call(Generic[R_co]):
    method: str
    path: str
    decode: Callable[[Any], R_co]
    params: Mapping[str, str | int | float] = field(default_factory=dict)
    json: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def replayable(self) -> bool:
        """Whether sending it twice has the effect of sending it once: a read;
        a PUT, which replaces (the same again changes nothing); a DELETE,
        which archives (archiving again changes nothing and answers the same,
        whatever If-Match says); or a POST under an Idempotency-Key, which the
        server answers the second time from the first without applying it
        again."""
        return self.method in ("GET", "PUT", "DELETE") or IDEMPOTENCY_KEY in self.headers

    def with_params(self, **params: str | int) -> Call[R_co]:
        return dataclasses.replace(self, params={**self.params, **params})


def query(params: Params) -> dict[str, str | int | float]:
    """The query string's members: None means absent; booleans as JSON spells them."""
    return {
        k: ("true" if v else "false") if isinstance(v, bool) else v
        for k, v in params.items()
        if v is not None
    }


def outcome(call: Call[R_co], response: httpx.Response) -> R_co:
    """The result of a call from its (final) response, or the error it reports."""
    if not response.is_success:
        raise error_of(response)
    if response.status_code == 204:  # no content: the endpoint declares None
        return None  # type: ignore[return-value]
    try:
        return call.decode(response.json())
    except ValueError as e:  # not JSON, or not the declared shape
        raise UnexpectedResponse(
            response.status_code,
            {"title": "Unexpected response", "detail": f"{call.method} {call.path}: {e}"},
        ) from e


def problem_of(response: httpx.Response) -> dict[str, Any]:
    """The problem document of an error response; one made up from the
    status line when a proxy or a crash answered with something else."""
    try:
        document = response.json()
    except ValueError:
        document = None
    if isinstance(document, dict):
        return document
    return {
        "code": f"http_{response.status_code}",
        "title": response.reason_phrase,
        "status": response.status_code,
        "detail": response.text[:500],
    }


def error_of(response: httpx.Response) -> StockdError:
    return error_for(
        response.status_code, problem_of(response), retry_after=retry_after(response.headers)
    )


def retry_after(headers: httpx.Headers) -> float | None:
    """`Retry-After` in seconds: delay-seconds or an HTTP date (RFC 9110 10.2.3)."""
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # "-0000": UTC without saying so
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())
