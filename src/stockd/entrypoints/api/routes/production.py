"""Production capacity: pools, their weekly capacity, and slot bookings."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Path, Query
from starlette.responses import Response

from stockd import errors
from stockd.domain.capacity import CapacityPool, CapacityWeek, SlotBooking, parse_week
from stockd.domain.commands import (
    CommitSlot,
    CreateCapacityPool,
    ExtendSlot,
    ReleaseSlot,
    SetCapacity,
)
from stockd.domain.weeks import IsoWeek
from stockd.entrypoints.api.deps import AdminWriter, AppContainer, Now, ReadKey, Reads, Writer
from stockd.entrypoints.api.routes.common import Cursor, Limit, after_code, by_code, problems
from stockd.entrypoints.api.schemas.common import CODE_PATTERN
from stockd.entrypoints.api.schemas.production import (
    CapacityPoolCreate,
    CapacityPoolPage,
    CapacityPoolRead,
    CapacityWeekRead,
    CapacityWeeksRead,
    CapacityWeeksSet,
    SlotCommit,
    SlotCreate,
    SlotExtend,
    SlotRead,
)
from stockd.service.ports import Clock

router = APIRouter(prefix="/v1", tags=["production"])

PoolId = Annotated[str, Path(pattern=CODE_PATTERN, description="The capacity pool id.")]
SlotId = Annotated[str, Path(pattern=CODE_PATTERN, description="The slot booking id.")]
MAX_WEEKS_SHOWN = 156


@router.post(
    "/capacity-pools",
    status_code=201,
    response_model=CapacityPoolRead,
    responses=problems(409, 422),
)
async def create_pool(body: CapacityPoolCreate, write: AdminWriter) -> Response:
    """A workshop's weekly production; its weeks have no capacity until set."""
    return await write(
        CreateCapacityPool(body.to_domain()), lambda p: (201, CapacityPoolRead.of(p)), body=body
    )


@router.get("/capacity-pools", response_model=CapacityPoolPage, responses=problems())
async def list_pools(
    reads: Reads, key: ReadKey, limit: Limit, cursor: Cursor = None
) -> CapacityPoolPage:
    """Capacity pools by id."""
    found = await reads.capacity_pools(after_code(cursor), limit + 1)
    page, next_cursor = by_code(found, limit, lambda p: p.id)
    return CapacityPoolPage(items=[CapacityPoolRead.of(p) for p in page], next_cursor=next_cursor)


@router.get("/capacity-pools/{pool_id}", response_model=CapacityPoolRead, responses=problems(404))
async def get_pool(pool_id: PoolId, reads: Reads, key: ReadKey) -> CapacityPoolRead:
    found = await reads.capacity_pool(pool_id)
    if found is None:
        raise errors.NotFound(f"capacity pool {pool_id!r} does not exist")
    return CapacityPoolRead.of(found)


@router.put(
    "/capacity-pools/{pool_id}/weeks",
    response_model=CapacityWeeksRead,
    responses=problems(404, 409, 422),
)
async def set_weeks(pool_id: PoolId, body: CapacityWeeksSet, write: AdminWriter) -> Response:
    """Set the capacity of many weeks at once: all or none. A week in the
    past (on the workshop's calendar), a malformed week or negative units is
    a 422 naming the item; a week set below the units already held and
    committed in it is a 409 `capacity_below_booked` naming the week. The
    answer shows the weeks given, as they are now."""

    def render(done: tuple[CapacityPool, list[CapacityWeek]]) -> tuple[int, CapacityWeeksRead]:
        pool, weeks = done
        return 200, CapacityWeeksRead(
            pool=pool.id, location=pool.location, weeks=[CapacityWeekRead.of(w) for w in weeks]
        )

    return await write(SetCapacity(pool_id, body.to_domain()), render, body=body)


@router.get(
    "/capacity-pools/{pool_id}/weeks",
    response_model=CapacityWeeksRead,
    responses=problems(404, 422),
)
async def get_weeks(
    pool_id: PoolId,
    reads: Reads,
    key: ReadKey,
    container: AppContainer,
    first: Annotated[
        str | None,
        Query(
            alias="from",
            min_length=1,
            max_length=16,
            description="The first week shown (`2027-W03`); default: this week.",
        ),
    ] = None,
    last: Annotated[
        str | None,
        Query(
            alias="to",
            min_length=1,
            max_length=16,
            description="The last week shown; default: as far as a booking made now may look"
            " (the lead time + the booking window).",
        ),
    ] = None,
) -> CapacityWeeksRead:
    """Every week from `from` to `to` (at most 156): capacity, held,
    committed and free (a week never set shows 0 everywhere). Weeks are
    read on the calendar of the pool's workshop."""
    pool = await reads.capacity_pool(pool_id)
    if pool is None:
        raise errors.NotFound(f"capacity pool {pool_id!r} does not exist")
    workshop = await reads.location(pool.location)
    assert workshop is not None  # a pool's workshop is kept (archived, never deleted)
    now = container.clock.now()
    start = _week(first, "from") if first else IsoWeek.at(now, workshop.zone)
    window = container.settings.production_window_weeks
    end = _week(last, "to") if last else start + (pool.lead_time_weeks + window - 1)
    if end < start:
        raise errors.InvalidRequest(errors.Issue(f"{end} is before {start}", "to"))
    if end - start >= MAX_WEEKS_SHOWN:
        raise errors.InvalidRequest(errors.Issue(f"at most {MAX_WEEKS_SHOWN} weeks at once", "to"))
    found = {w.week: w for w in await reads.capacity_weeks(pool.id, start, end)}
    weeks = [found.get(start + i, CapacityWeek(pool.id, start + i)) for i in range(end - start + 1)]
    return CapacityWeeksRead(
        pool=pool.id, location=pool.location, weeks=[CapacityWeekRead.of(w) for w in weeks]
    )


def _week(text: str, name: str) -> IsoWeek:
    try:
        return parse_week(text)
    except ValueError as e:
        raise errors.InvalidRequest(errors.Issue(str(e), name)) from None


# -- slot bookings --------------------------------------------------------------------


def _slot(status: int, clock: Clock) -> Callable[[SlotBooking], tuple[int, SlotRead]]:
    def render(slot: SlotBooking) -> tuple[int, SlotRead]:
        return status, SlotRead.of(slot, clock.now())

    return render


@router.post(
    "/production/slots",
    status_code=201,
    response_model=SlotRead,
    responses=problems(409, 422),
    summary="Book production capacity for made-to-order lines",
)
async def book(body: SlotCreate, write: Writer, clock: Now) -> Response:
    """Each line gets the earliest week of its SKU's pool (or the pool its
    `options` map it to), from `earliest_week` (default, and at least: this
    week at the workshop + the pool's lead time), with room for the whole
    line, looking `STOCKD_PRODUCTION_WINDOW_WEEKS` weeks ahead; all lines or
    none. The units are held until the booking is committed to an order,
    released, or expires (`ttl_seconds`). A line no week takes is a 409
    `insufficient_capacity` naming, per short line, the earliest later week
    that could take it (`earliest_week`, null when none can)."""
    return await write(body.to_command(), _slot(201, clock), body=body)


@router.get("/production/slots/{slot_id}", response_model=SlotRead, responses=problems(404))
async def get_slot(slot_id: SlotId, reads: Reads, key: ReadKey, clock: Now) -> SlotRead:
    found = await reads.slot(slot_id)
    if found is None:
        raise errors.NotFound(f"slot booking {slot_id!r} does not exist")
    return SlotRead.of(found, clock.now())


@router.post(
    "/production/slots/{slot_id}/extend",
    response_model=SlotRead,
    responses=problems(404, 409, 422),
)
async def extend(slot_id: SlotId, body: SlotExtend, write: Writer, clock: Now) -> Response:
    """The booking then expires at the later of now + ttl_seconds and its current deadline."""
    return await write(ExtendSlot(slot_id, body.ttl_seconds), _slot(200, clock), body=body)


@router.post(
    "/production/slots/{slot_id}/release", response_model=SlotRead, responses=problems(404, 409)
)
async def release(slot_id: SlotId, write: Writer, clock: Now) -> Response:
    """Its held units go back to their weeks."""
    return await write(ReleaseSlot(slot_id), _slot(200, clock))


@router.post(
    "/production/slots/{slot_id}/commit",
    response_model=SlotRead,
    responses=problems(404, 409, 422),
)
async def commit(slot_id: SlotId, body: SlotCommit, write: Writer, clock: Now) -> Response:
    """Held units become committed to order `order_id`: lines of that order
    if it is open (409 `order_closed` if it is cancelled or shipped), or a new
    order of just these lines. `GET /v1/orders/{id}` shows each line's
    production week as its `supply`."""
    return await write(CommitSlot(slot_id, body.order_id), _slot(200, clock), body=body)
