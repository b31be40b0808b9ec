"""Errors to RFC 9457 problem details: the one place that maps them."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.routing import iter_route_contexts
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.routing import Match

from stockd import errors
from stockd.logs import REQUEST_ID

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"

_STATUS: tuple[tuple[type[errors.StockdError], int], ...] = (
    (errors.InvalidRequest, 422),
    (errors.BadCursor, 400),
    (errors.NotFound, 404),
    (errors.Conflict, 409),
    (errors.Unauthorized, 401),
    (errors.Forbidden, 403),
    (errors.Busy, 503),
)

_HTTP_CODES = {
    400: ("bad_request", "Bad request"),
    404: ("not_found", "Not found"),
    405: ("method_not_allowed", "Method not allowed"),
    413: ("payload_too_large", "Request body too large"),
    415: ("unsupported_media_type", "Unsupported media type"),
}


def status_of(exc: errors.StockdError) -> int:
    if isinstance(exc, errors.BulkRejected):
        return 422 if exc.is_validation else 409
    return next((status for cls, status in _STATUS if isinstance(exc, cls)), 400)


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> Response:
    """A problem document; `extra` members never override the standard ones.
    It names the request it answers (`request_id`, as in `X-Request-Id`)."""
    request_id = REQUEST_ID.get()
    body = {
        **(extra or {}),
        "type": f"urn:stockd:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        **({"instance": instance} if instance else {}),
        **({"request_id": request_id} if request_id else {}),
    }
    return Response(
        orjson.dumps(body, default=_member, option=orjson.OPT_PASSTHROUGH_DATETIME),
        status,
        headers=headers,
        media_type=MEDIA_TYPE,
    )


def _member(value: Any) -> Any:
    """What orjson does not write itself: times, in the one form problems use."""
    if isinstance(value, datetime):
        return errors.timestamp(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def problem_for(exc: errors.StockdError, instance: str | None = None) -> Response:
    status = status_of(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if status == 503:
        headers = {"Retry-After": "1"}
    return problem(status, exc.code, exc.title, exc.detail, instance, headers, exc.extra)


def too_large(limit: int, instance: str) -> Response:
    code, title = _HTTP_CODES[413]
    return problem(413, code, title, f"bodies are limited to {limit} bytes", instance)


def unsupported_media_type(content_type: str, instance: str) -> Response:
    code, title = _HTTP_CODES[415]
    detail = (
        f"request bodies are JSON: send Content-Type: application/json (not {content_type[:100]!r})"
    )
    return problem(415, code, title, detail, instance)


def unknown_query(unknown: Sequence[str], accepted: Sequence[str], instance: str) -> Response:
    """422 for query parameters the route does not declare, naming the ones it does."""
    takes = (
        f"this route takes {', '.join(accepted)}"
        if accepted
        else "this route takes no query parameters"
    )
    items = [
        {"field": f"query.{name}", "message": "unknown query parameter", "type": "extra_forbidden"}
        for name in unknown
    ]
    plural = "s" if len(unknown) > 1 else ""
    named = ", ".join(name[:100] for name in unknown[:10]) + (", …" if len(unknown) > 10 else "")
    detail = f"unknown query parameter{plural} {named}; {takes}"
    return problem(
        422,
        "validation_failed",
        "Invalid request",
        detail,
        instance,
        extra={"errors": items, "accepted": list(accepted)},
    )


def _location(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def invalid(found: Sequence[Any], instance: str, prefix: tuple[str, ...] = ()) -> Response:
    """The problem for validation errors (Pydantic's error dicts); a body that
    is not JSON at all is a 400."""
    if any(e.get("type") == "json_invalid" for e in found):
        return problem(
            400, "malformed_json", "Malformed JSON", "the request body is not valid JSON", instance
        )
    items = [
        {
            "field": _location((*prefix, *e.get("loc", ()))),
            "message": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in found
    ]
    detail = "; ".join(f"{i['field']}: {i['message']}" for i in items[:10])
    return problem(
        422, "validation_failed", "Invalid request", detail, instance, extra={"errors": items}
    )


def _allowed_methods(request: Request) -> list[str]:
    """Every method any route serves at this path. Starlette's 405 names only
    the first route's, and FastAPI keeps each included router as one entry of
    `app.routes`: `iter_route_contexts` lists the routes inside."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.routes):
        if route.methods and route.matches(request.scope)[0] is not Match.NONE:
            methods |= route.methods
    return sorted(methods)


def unexpected(method: str, path: str) -> Response:
    """The answer to an error no rule foresaw (logged with its traceback:
    call it from the `except` that caught it)."""
    log.exception("unhandled error on %s %s", method, path)
    return problem(500, "internal_error", "Internal error", "an unexpected error occurred", path)


def install(app: FastAPI) -> None:
    async def on_stockd_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, errors.StockdError)
        return problem_for(exc, request.url.path)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return invalid(list(exc.errors()), request.url.path)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code, title = _HTTP_CODES.get(exc.status_code, ("http_error", "HTTP error"))
        headers = dict(exc.headers) if exc.headers else {}
        if exc.status_code == 405:
            allowed = _allowed_methods(request)
            if allowed:  # else keep what the route said
                headers["Allow"] = ", ".join(allowed)
        return problem(exc.status_code, code, title, str(exc.detail), request.url.path, headers)

    async def on_unexpected(request: Request, exc: Exception) -> Response:
        return unexpected(request.method, request.url.path)

    app.add_exception_handler(errors.StockdError, on_stockd_error)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(HTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)
