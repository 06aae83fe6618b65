"""``/healthz`` (the process answers) and ``/readyz`` (it can grade); both open."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ..deps import StateDep
from ..schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness")
async def healthz() -> Health:
    """200 whenever the process can answer at all."""
    return Health(status="ok")


@router.get(
    "/readyz",
    summary="Readiness",
    response_model=Health,
    responses={503: {"model": Health, "description": "starting, draining or pool down"}},
)
async def readyz(state: StateDep) -> JSONResponse:
    """200 once the worker pool is up; 503 before that and while draining."""
    pool = state.grader.pool
    body = Health(
        status="ready" if state.ready else "not_ready",
        in_flight_items=state.in_flight_items,
        queue_depth=pool.queue_depth if pool is not None else 0,
    )
    return JSONResponse(body.model_dump(), status_code=200 if state.ready else 503)
