"""Liveness and readiness: the only routes without an API key."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import JSONResponse

from stockd.entrypoints.api.deps import AppContainer

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", summary="The store answers", responses={503: {"description": "Not ready"}})
async def readyz(container: AppContainer) -> JSONResponse:
    try:
        await container.maintenance.ping()
    except Exception as e:  # any failure means not ready, whatever its kind
        return JSONResponse({"status": "unavailable", "detail": type(e).__name__}, 503)
    return JSONResponse({"status": "ok"})
