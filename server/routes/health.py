"""``/healthz`` (restart me or not) and ``/readyz`` (send me work or not); both open.

Both read the pool as it is at the moment of the request, never a remembered flag: the
pool heals by itself, and a probe that lies either keeps traffic off a healed server or
keeps a dead one in rotation. docs/server.md has the table of states.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ..deps import StateDep
from ..schemas import Health, HealthStatus
from ..state import ServerState

router = APIRouter(tags=["health"])


def _health(state: ServerState, status: HealthStatus, reason: str | None) -> Health:
    pool = state.grader.pool
    return Health(
        status=status,
        reason=reason,
        workers=pool.live_workers if pool is not None else 0,
        workers_configured=pool.size if pool is not None else 0,
        draining=state.draining,
        in_flight_items=state.in_flight_items,
        queue_depth=pool.queue_depth if pool is not None else 0,
    )


@router.get(
    "/healthz",
    summary="Liveness",
    response_model=Health,
    responses={503: {"model": Health, "description": "the pool cannot recover: restart"}},
)
async def healthz(state: StateDep) -> JSONResponse:
    """200 while the process can serve or heal itself; 503 when the worker pool broke
    for good or has had no ready worker for over ``VERIGRADE_HEAL_TIMEOUT`` seconds."""
    problem = state.problem
    body = _health(state, "ok" if problem is None else "unhealthy", problem)
    return JSONResponse(body.model_dump(), status_code=200 if problem is None else 503)


@router.get(
    "/readyz",
    summary="Readiness",
    response_model=Health,
    responses={503: {"model": Health, "description": "starting, draining or no worker up"}},
)
async def readyz(state: StateDep) -> JSONResponse:
    """200 while a grading worker is up and the server is not draining; 503 otherwise."""
    ready = state.ready
    reason = None
    if not ready:
        reason = "shutting down" if state.draining else "no grading worker is ready"
    body = _health(state, "ready" if ready else "not_ready", reason)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)
