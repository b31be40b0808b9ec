"""SKUs and locations."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Request
from starlette.responses import Response

from stockd import errors
from stockd.domain.commands import CreateLocation, CreateSku, UpdateLocation, UpdateSku
from stockd.entrypoints.api.deps import (
    AdminKey,
    Bus,
    IdempotencyKey,
    ReadKey,
    Reads,
    idempotency,
)
from stockd.entrypoints.api.routes.common import Cursor, Limit, problems
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
from stockd.entrypoints.api.schemas.common import CODE_PATTERN, decode_cursor, encode_cursor
from stockd.entrypoints.api.writes import execute, expected_version

router = APIRouter(prefix="/v1", tags=["catalog"])

SkuCode = Annotated[str, Path(pattern=CODE_PATTERN, description="The SKU code.")]
LocationId = Annotated[str, Path(pattern=CODE_PATTERN, description="The location id.")]
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        pattern=r'^\s*(\*|(W/)?"[0-9]{1,18}")\s*$',
        description="ETag from a GET: 409 if it changed since.",
    ),
]


@router.post("/skus", status_code=201, response_model=SkuRead, responses=problems(409, 422))
async def create_sku(
    body: SkuCreate, key: AdminKey, bus: Bus, request: Request, idem_key: IdempotencyKey = None
) -> Response:
    return await execute(
        bus,
        CreateSku(body.to_domain()),
        key,
        idempotency(idem_key, key, request, body),
        lambda s: (201, SkuRead.of(s)),
        etag=True,
    )


@router.get("/skus", response_model=SkuPage, responses=problems())
async def list_skus(reads: Reads, key: ReadKey, limit: Limit, cursor: Cursor = None) -> SkuPage:
    after = decode_cursor(cursor, 1)[0] if cursor else None
    found = await reads.skus(after, limit + 1)
    page = found[:limit]
    return SkuPage(
        items=[SkuRead.of(s) for s in page],
        next_cursor=encode_cursor(page[-1].sku) if len(found) > limit else None,
    )


@router.get("/skus/{sku}", response_model=SkuRead, responses=problems(404))
async def get_sku(sku: SkuCode, reads: Reads, key: ReadKey, response: Response) -> SkuRead:
    found = await reads.sku(sku)
    if found is None:
        raise errors.NotFound(f"SKU {sku!r} does not exist")
    response.headers["ETag"] = f'"{found.version}"'
    return SkuRead.of(found)


@router.patch("/skus/{sku}", response_model=SkuRead, responses=problems(404, 409, 422))
async def update_sku(
    sku: SkuCode,
    body: SkuUpdate,
    key: AdminKey,
    bus: Bus,
    if_match: IfMatch = None,
) -> Response:
    cmd = UpdateSku(sku, body.changes(), expected_version(if_match))
    return await execute(bus, cmd, key, None, lambda s: (200, SkuRead.of(s)), etag=True)


@router.post(
    "/locations", status_code=201, response_model=LocationRead, responses=problems(409, 422)
)
async def create_location(
    body: LocationCreate,
    key: AdminKey,
    bus: Bus,
    request: Request,
    idem_key: IdempotencyKey = None,
) -> Response:
    return await execute(
        bus,
        CreateLocation(body.to_domain()),
        key,
        idempotency(idem_key, key, request, body),
        lambda loc: (201, LocationRead.of(loc)),
        etag=True,
    )


@router.get("/locations", response_model=LocationPage, responses=problems())
async def list_locations(
    reads: Reads, key: ReadKey, limit: Limit, cursor: Cursor = None
) -> LocationPage:
    after = decode_cursor(cursor, 1)[0] if cursor else None
    found = await reads.locations(after, limit + 1)
    page = found[:limit]
    return LocationPage(
        items=[LocationRead.of(loc) for loc in page],
        next_cursor=encode_cursor(page[-1].id) if len(found) > limit else None,
    )


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
    location_id: LocationId,
    body: LocationUpdate,
    key: AdminKey,
    bus: Bus,
    if_match: IfMatch = None,
) -> Response:
    cmd = UpdateLocation(location_id, body.changes(), expected_version(if_match))
    return await execute(bus, cmd, key, None, lambda loc: (200, LocationRead.of(loc)), etag=True)
