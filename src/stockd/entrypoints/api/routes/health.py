"""Liveness and readiness: the only routes without an API key."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import JSONResponse

from stockd.entrypoints.api.deps import AppContainer
from stockd.service import readiness

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="Each dependency answers",
    responses={503: {"description": "A required dependency (the database) is down"}},
)
async def readyz(container: AppContainer) -> JSONResponse:
    """Each dependency with `ok` or `down`, a short detail and how long its
    check took: the database (required: 503 while it is down), Redis when
    STOCKD_REDIS_URL is set and NATS when STOCKD_NATS_URL is set (reported,
    not required: the caches and the relay outlast their outages)."""
    checks = await readiness.check_all(container.dependencies)
    is_ready = readiness.ready(checks)
    body = {
        "status": "ok"
        if is_ready and all(c.ok for c in checks)
        else ("degraded" if is_ready else "unavailable"),
        "checks": {
            c.name: {
                "status": "ok" if c.ok else "down",
                "required": c.required,
                "detail": c.detail,
                "seconds": round(c.seconds, 4),
            }
            for c in checks
        },
    }
    return JSONResponse(body, 200 if is_ready else 503)
