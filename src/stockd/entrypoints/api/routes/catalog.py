"""SKUs and locations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Query
from starlette.responses import Response

from stockd import errors
from stockd.domain.commands import (
    ArchiveLocation,
    ArchiveSku,
    CreateLocation,
    CreateSku,
    UpdateLocation,
    UpdateSku,
)
from stockd.entrypoints.api.deps import (
    AdminWriter,
    ReadKey,
    Reads,
)
from stockd.entrypoints.api.routes.common import Cursor, Limit, after_code, by_code, problems
from stockd.entrypoints.api.schemas.catalog import (
    LocationCreate,
    LocationPage,
    LocationRead,
    LocationUpdate,
    SkuCreate,
    SkuPage,
    SkuRead,
    SkuUpdate,
)
from stockd.entrypoints.api.schemas.common import CODE_PATTERN
from stockd.entrypoints.api.writes import expected_version

router = APIRouter(prefix="/v1", tags=["catalog"])

SkuCode = Annotated[str, Path(pattern=CODE_PATTERN, description="The SKU code.")]
LocationId = Annotated[str, Path(pattern=CODE_PATTERN, description="The location id.")]
Archived = Annotated[
    bool,
    Query(description="true: list only the archived ones; false (default): only the others."),
]
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        pattern=r'^\s*(\*|(W/)?"[0-9]{1,18}")\s*$',
        description="ETag from a GET: 409 if it changed since.",
    ),
]


@router.post("/skus", status_code=201, response_model=SkuRead, responses=problems(409, 422))
async def create_sku(body: SkuCreate, write: AdminWriter) -> Response:
    return await write(
        CreateSku(body.to_domain()), lambda s: (201, SkuRead.of(s)), body=body, etag=True
    )


@router.get("/skus", response_model=SkuPage, responses=problems())
async def list_skus(
    reads: Reads, key: ReadKey, limit: Limit, archived: Archived = False, cursor: Cursor = None
) -> SkuPage:
    """SKUs by code; the archived ones only, with `archived=true`."""
    found = await reads.skus(after_code(cursor), limit + 1, archived=archived)
    page, next_cursor = by_code(found, limit, lambda s: s.sku)
    return SkuPage(items=[SkuRead.of(s) for s in page], next_cursor=next_cursor)


@router.get("/skus/{sku}", response_model=SkuRead, responses=problems(404))
async def get_sku(sku: SkuCode, reads: Reads, key: ReadKey, response: Response) -> SkuRead:
    found = await reads.sku(sku)
    if found is None:
        raise errors.NotFound(f"SKU {sku!r} does not exist")
    response.headers["ETag"] = f'"{found.version}"'
    return SkuRead.of(found)


@router.patch("/skus/{sku}", response_model=SkuRead, responses=problems(404, 409, 422))
async def update_sku(
    sku: SkuCode, body: SkuUpdate, write: AdminWriter, if_match: IfMatch = None
) -> Response:
    cmd = UpdateSku(sku, body.changes(), expected_version(if_match))
    return await write(cmd, lambda s: (200, SkuRead.of(s)), body=body, etag=True)


@router.delete(
    "/skus/{sku}",
    response_model=SkuRead,
    responses=problems(404, 409),
    summary="Archive a SKU (it is kept, with its levels and history)",
)
async def archive_sku(sku: SkuCode, write: AdminWriter, if_match: IfMatch = None) -> Response:
    """The SKU gets `archived: true`: new holds, orders and sales naming it
    are refused (422), and `GET /v1/skus` leaves it out unless asked for
    `archived=true`; it stays readable here, with its levels and events.
    Holds and orders that already have it are still served. Archiving an
    archived SKU changes nothing and answers it (200) whatever `If-Match`
    says, so a retry is safe."""
    cmd = ArchiveSku(sku, expected_version(if_match))
    return await write(cmd, lambda s: (200, SkuRead.of(s)), etag=True)


@router.post(
    "/locations", status_code=201, response_model=LocationRead, responses=problems(409, 422)
)
async def create_location(body: LocationCreate, write: AdminWriter) -> Response:
    return await write(
        CreateLocation(body.to_domain()),
        lambda loc: (201, LocationRead.of(loc)),
        body=body,
        etag=True,
    )


@router.get("/locations", response_model=LocationPage, responses=problems())
async def list_locations(
    reads: Reads, key: ReadKey, limit: Limit, archived: Archived = False, cursor: Cursor = None
) -> LocationPage:
    """Locations by id; the archived ones only, with `archived=true`."""
    found = await reads.locations(after_code(cursor), limit + 1, archived=archived)
    page, next_cursor = by_code(found, limit, lambda loc: loc.id)
    return LocationPage(items=[LocationRead.of(loc) for loc in page], next_cursor=next_cursor)


@router.get("/locations/{location_id}", response_model=LocationRead, responses=problems(404))
async def get_location(
    location_id: LocationId, reads: Reads, key: ReadKey, response: Response
) -> LocationRead:
    found = await reads.location(location_id)
    if found is None:
        raise errors.NotFound(f"location {location_id!r} does not exist")
    response.headers["ETag"] = f'"{found.version}"'
    return LocationRead.of(found)


@router.patch(
    "/locations/{location_id}", response_model=LocationRead, responses=problems(404, 409, 422)
)
async def update_location(
    location_id: LocationId, body: LocationUpdate, write: AdminWriter, if_match: IfMatch = None
) -> Response:
    cmd = UpdateLocation(location_id, body.changes(), expected_version(if_match))
    return await write(cmd, lambda loc: (200, LocationRead.of(loc)), body=body, etag=True)


@router.delete(
    "/locations/{location_id}",
    response_model=LocationRead,
    responses=problems(404, 409),
    summary="Archive a location (it is kept, with its stock and history)",
)
async def archive_location(
    location_id: LocationId, write: AdminWriter, if_match: IfMatch = None
) -> Response:
    """The location gets `archived: true`: no strategy chooses it, and new
    holds, orders, pickups, transfers, returns and sales naming it are
    refused (422); `GET /v1/locations` leaves it out unless asked for
    `archived=true`; it stays readable here, with its levels and events.
    Holds and orders already there are still served. Archiving an archived
    location changes nothing and answers it (200) whatever `If-Match` says."""
    cmd = ArchiveLocation(location_id, expected_version(if_match))
    return await write(cmd, lambda loc: (200, LocationRead.of(loc)), etag=True)
