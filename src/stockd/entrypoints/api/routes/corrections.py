"""Physical counts, external stock reports and report sources."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Path
from starlette.responses import Response

from stockd import errors
from stockd.config import Settings
from stockd.domain.commands import (
    CountedLine,
    RecordCount,
    RegisterSource,
    ReportStock,
    SetReportPolicy,
)
from stockd.domain.corrections import Policy
from stockd.entrypoints.api.deps import AdminWriter, AppContainer, ReadKey, Writer
from stockd.entrypoints.api.routes.common import problems
from stockd.entrypoints.api.schemas.common import CODE_PATTERN
from stockd.entrypoints.api.schemas.corrections import (
    CountCreate,
    CountLineRead,
    CountRead,
    ReportPolicyRead,
    ReportPolicySet,
    SourceCreate,
    SourceList,
    SourceRead,
    StockReportCreate,
    StockReportRead,
)
from stockd.service import correction_queries
from stockd.service.handlers.counts import CountResult

router = APIRouter(prefix="/v1", tags=["counts and reports"])

SourceId = Annotated[str, Path(pattern=CODE_PATTERN, description="The source id.")]
CountId = Annotated[str, Path(pattern=CODE_PATTERN, description="The count id.")]
LocationId = Annotated[str, Path(pattern=CODE_PATTERN, description="The location id.")]


def _window(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.report_window_seconds)


def _max_age(settings: Settings) -> timedelta:
    return timedelta(hours=settings.correction_max_age_hours)


@router.post("/counts", status_code=201, response_model=CountRead, responses=problems(409, 422))
async def record_count(body: CountCreate, container: AppContainer, write: Writer) -> Response:
    """A cycle or full count of one location, up to 1,000 SKUs, all or
    none: each SKU's on_hand becomes the counted figure **as of
    `counted_at`**, with every movement after it kept on top. Blind by
    default. Each difference is a `stock.counted` event."""
    cmd = RecordCount(
        location=body.location,
        counted_at=body.counted_at,
        lines=tuple(CountedLine(x.sku, x.quantity) for x in body.lines),
        window=_window(container.settings),
        max_age=_max_age(container.settings),
        source=body.source,
    )

    def render(result: CountResult) -> tuple[int, CountRead]:
        return 201, CountRead.of(result, body.blind)

    return await write(cmd, render, body=body)


@router.get("/counts/{count_id}", response_model=CountRead, responses=problems(404))
async def get_count(count_id: CountId, container: AppContainer, key: ReadKey) -> CountRead:
    """A count as recorded, with what stockd expected and the adjustment per
    line (the count is over: nothing is blind any more)."""
    found = await correction_queries.count_lines(container.bus.uow, count_id)
    if not found:
        raise errors.NotFound(f"count {count_id!r} does not exist")
    first = found[0]
    return CountRead(
        id=count_id,
        location=first.key.location,
        counted_at=first.counted_at,
        source=first.source,
        recorded_at=first.recorded_at,
        lines=[CountLineRead.of(x, blind=False) for x in found],
    )


@router.post("/stock-reports", response_model=StockReportRead, responses=problems(404, 409, 422))
async def report_stock(body: StockReportCreate, container: AppContainer, write: Writer) -> Response:
    """Figures a registered source observed, up to 1,000 lines, recorded all
    or none; each line's answer says `applied`, `ignored` (a duplicate) or
    `superseded`, and why. The standing figure of a level depends only on
    the set of lines received, never on the order they arrived in."""
    cmd = ReportStock(
        source=body.source,
        lines=tuple(x.to_domain(body.source) for x in body.lines),
        window=_window(container.settings),
        max_age=_max_age(container.settings),
    )
    return await write(cmd, lambda r: (200, StockReportRead.of(r)), body=body)


@router.post("/sources", status_code=201, response_model=SourceRead, responses=problems(409))
async def register_source(body: SourceCreate, write: AdminWriter) -> Response:
    """Register a source of stock reports (a POS, a marketplace, a 3PL). Admin only."""
    return await write(
        RegisterSource(body.to_domain()), lambda s: (201, SourceRead.of(s)), body=body
    )


@router.get("/sources", response_model=SourceList, responses=problems())
async def list_sources(container: AppContainer, key: ReadKey) -> SourceList:
    """Every registered source, by id."""
    found = await correction_queries.sources(container.bus.uow)
    return SourceList(items=[SourceRead.of(x) for x in found])


@router.get("/sources/{source_id}", response_model=SourceRead, responses=problems(404))
async def get_source(source_id: SourceId, container: AppContainer, key: ReadKey) -> SourceRead:
    found = await correction_queries.source(container.bus.uow, source_id)
    if found is None:
        raise errors.NotFound(f"source {source_id!r} does not exist")
    return SourceRead.of(found)


@router.put(
    "/locations/{location_id}/report-policy",
    response_model=ReportPolicyRead,
    responses=problems(404),
)
async def set_report_policy(
    location_id: LocationId, body: ReportPolicySet, write: AdminWriter
) -> ReportPolicyRead:
    """The conflict policy at one location, whatever its sources' policies
    (null: follow the sources again). Admin only. It settles the lines
    received from now on; figures already standing stay until the next line."""
    policy = Policy(body.policy) if body.policy is not None else None
    await write.run(SetReportPolicy(location_id, policy))
    return ReportPolicyRead(location=location_id, policy=body.policy)


@router.get(
    "/locations/{location_id}/report-policy",
    response_model=ReportPolicyRead,
    responses=problems(404),
)
async def get_report_policy(
    location_id: LocationId, container: AppContainer, key: ReadKey
) -> ReportPolicyRead:
    found = await correction_queries.report_policy(container.bus.uow, location_id)
    return ReportPolicyRead(location=location_id, policy=found.value if found else None)
