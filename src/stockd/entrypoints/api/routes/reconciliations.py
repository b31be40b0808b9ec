"""Reconciliations: run the reconciler (report, or repair with `apply`) and
read past runs with their findings. Admin only: a report names every SKU."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Path, Request

from stockd import errors
from stockd.bootstrap import Container
from stockd.bootstrap import reconciler as build_reconciler
from stockd.entrypoints.api.deps import AdminKey, AppContainer, IdempotencyKey
from stockd.entrypoints.api.responses import Json
from stockd.entrypoints.api.routes.common import DEFAULT_LIMIT, Cursor, Limit, problems
from stockd.entrypoints.api.schemas.reconciliations import (
    ReconciliationCreate,
    ReconciliationPage,
    ReconciliationRead,
    ReconciliationSummary,
)
from stockd.entrypoints.api.writes import actor, encode, idempotency
from stockd.service.cursors import decode_cursor, encode_cursor, number
from stockd.service.reconciliation import Claim, Reconciler

router = APIRouter(prefix="/v1", tags=["reconciliations"])

RunId = Annotated[
    str,
    Path(pattern=r"^rec_[0-9a-f]{1,64}$", description="The run's id (`rec_…`)."),
]


def _reconciler(container: Container) -> Reconciler:
    found = build_reconciler(container)
    if found is None:
        raise errors.NotFound("reconciliation needs PostgreSQL; this server runs without it")
    return found


async def _page(reconciler: Reconciler, run_id: str, after: int, limit: int) -> ReconciliationRead:
    run = await reconciler.store.get(run_id, after, limit + 1)
    if run is None:
        raise errors.NotFound(f"no reconciliation {run_id!r}")
    shown = run.findings[:limit]
    more = len(run.findings) > limit
    return ReconciliationRead.with_findings(
        replace(run, findings=shown),
        encode_cursor(str(after + len(shown))) if more else None,
    )


@router.post(
    "/reconciliations",
    status_code=201,
    response_model=ReconciliationRead,
    responses=problems(409),
)
async def create_reconciliation(
    body: ReconciliationCreate,
    request: Request,
    container: AppContainer,
    key: AdminKey,
    idem_key: IdempotencyKey = None,
) -> Json:
    """Run the reconciler now and answer with its report (its first 100
    findings; `next_cursor` pages the rest through `GET
    /v1/reconciliations/{id}`). With `apply`, each difference is repaired by
    compensating ledger events. A retry with the same `Idempotency-Key`
    answers with the same run and does not run again."""
    reconciler = _reconciler(container)
    idem = idempotency(idem_key, key, request, body)
    claim = None if idem is None else Claim(idem.scope, idem.key, idem.fingerprint)
    run, replayed = await reconciler.run(
        apply=body.apply, actor=actor(key), skus=body.skus, claim=claim
    )
    report = await _page(reconciler, run.id, 0, DEFAULT_LIMIT)
    headers = [(b"location", f"/v1/reconciliations/{run.id}".encode())]
    if replayed:
        headers.append((b"idempotent-replayed", b"true"))
    return Json(201, encode(report), headers)


@router.get("/reconciliations", response_model=ReconciliationPage, responses=problems())
async def list_reconciliations(
    container: AppContainer, key: AdminKey, limit: Limit, cursor: Cursor = None
) -> ReconciliationPage:
    """Past runs, newest first (without their findings)."""
    before = decode_cursor(cursor, 1)[0] if cursor else None
    found = await _reconciler(container).store.page(before, limit + 1)
    page = found[:limit]
    return ReconciliationPage(
        items=[ReconciliationSummary.of(r) for r in page],
        next_cursor=encode_cursor(page[-1].id) if len(found) > limit else None,
    )


@router.get("/reconciliations/{run_id}", response_model=ReconciliationRead, responses=problems(404))
async def get_reconciliation(
    run_id: RunId, container: AppContainer, key: AdminKey, limit: Limit, cursor: Cursor = None
) -> ReconciliationRead:
    """A run's report with a page of its findings (`cursor`: the next page)."""
    after = number(decode_cursor(cursor, 1)[0]) if cursor else 0
    return await _page(_reconciler(container), run_id, after, limit)
