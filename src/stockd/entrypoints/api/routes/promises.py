"""Promises of backordered units: the orders whose supply moved past their date."""

from __future__ import annotations

from fastapi import APIRouter

from stockd.entrypoints.api.deps import ReadKey, Reads
from stockd.entrypoints.api.routes.common import Cursor, Limit, newest_first, problems, resume_at
from stockd.entrypoints.api.schemas.supply import AtRiskPage, AtRiskRead

router = APIRouter(prefix="/v1", tags=["purchase orders"])


@router.get("/promises/at-risk", response_model=AtRiskPage, responses=problems())
async def at_risk(key: ReadKey, reads: Reads, limit: Limit, cursor: Cursor = None) -> AtRiskPage:
    """Open orders with lines whose backordered units are now ready later
    than the date promised when the order was placed (their inbound's ETA
    slipped, or a cut left them with another inbound or none), newest first
    (by creation time, then id). Each line shows both dates."""
    found = await reads.at_risk(resume_at(cursor), limit + 1)
    page, next_cursor = newest_first(found, limit)
    return AtRiskPage(items=[AtRiskRead.of(x) for x in page], next_cursor=next_cursor)
