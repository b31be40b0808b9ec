"""Shared route helpers: documented problem responses, page limits, pages."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Query

from stockd.entrypoints.api.deps import AppContainer
from stockd.entrypoints.api.schemas.common import (
    CODE_PATTERN,
    Instant,
    Problem,
    position_cursor,
    position_from,
)
from stockd.service.cursors import decode_cursor, encode_cursor
from stockd.service.listing import Listed, Position, position_of

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


DEFAULT_LIMIT = 100


async def _page_limit(
    container: AppContainer,
    limit: Annotated[
        int | None,
        Query(
            ge=1,
            description=f"Page size: {DEFAULT_LIMIT} when absent. A larger size than the"
            " server's STOCKD_PAGE_LIMIT_MAX (1000 unless configured) is served as that"
            " maximum, not refused: follow `next_cursor` for the rest.",
        ),
    ] = None,
) -> int:
    # Clamped rather than refused: the cap is a server setting a client cannot
    # read from the schema, and lowering it must not break clients that page.
    return min(DEFAULT_LIMIT if limit is None else limit, container.settings.page_limit_max)


Limit = Annotated[int, Depends(_page_limit)]
"""The page size a list request asked for, capped by `page_limit_max`."""
Cursor = Annotated[
    str | None,
    Query(max_length=1024, description="`next_cursor` of the previous page."),
]
CodeFilter = Annotated[str | None, Query(pattern=CODE_PATTERN)]
TimeFilter = Annotated[
    Instant | None, Query(description="RFC 3339 with an offset, e.g. `2026-01-31T23:00:00Z`.")
]


T = TypeVar("T")


def after_code(cursor: str | None) -> str | None:
    """Where a list in code order (SKUs, locations, channels) resumes."""
    return decode_cursor(cursor, 1)[0] if cursor else None


def by_code(
    found: Sequence[T], limit: int, code: Callable[[T], str]
) -> tuple[Sequence[T], str | None]:
    """A page of a list in code order read with `limit + 1`, and the cursor
    to the next page (None when this is the last)."""
    page = found[:limit]
    return page, encode_cursor(code(page[-1])) if len(found) > limit else None


def resume_at(cursor: str | None, ids: int = 1) -> Position | None:
    """Where a newest-first list resumes: after the item `cursor` names."""
    return None if cursor is None else position_from(cursor, ids)


def newest_first(found: Sequence[Listed], limit: int) -> tuple[Sequence[Listed], str | None]:
    """A page of a newest-first list read with `limit + 1`, and the cursor to
    the next page (None when this is the last)."""
    page = found[:limit]
    if len(found) <= limit or not page:
        return page, None
    return page, position_cursor(position_of(page[-1]))
