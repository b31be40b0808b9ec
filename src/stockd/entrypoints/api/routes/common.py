"""Shared route helpers: documented problem responses, page limits."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from stockd.entrypoints.api.schemas.common import Problem

_REASONS = {
    400: "Malformed request (bad JSON, bad cursor)",
    401: "Missing or unknown API key",
    403: "The API key lacks the scope",
    404: "Not found",
    409: "Conflict with the current state",
    413: "Request body too large",
    415: "Request body is not JSON",
    422: "Invalid request",
    503: "Contention did not clear; retry",
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The problem responses of a route (served as application/problem+json;
    see `app.problem_media_types`)."""
    return {
        s: {"model": Problem, "description": _REASONS[s]}
        for s in sorted({400, 401, 403, 404, 413, 415, 422, 503, *statuses})
    }


Limit = Annotated[int, Query(ge=1, le=1000, description="Page size, at most 1000.")]
Cursor = Annotated[
    str | None,
    Query(max_length=1024, description="`next_cursor` of the previous page."),
]
