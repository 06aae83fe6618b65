"""ServerState on its own: readiness and item-counted admission."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from verigrade.server import Settings
from verigrade.server.errors import ApiError
from verigrade.server.state import ServerState


@dataclass
class StubPool:
    ready: bool = False
    queue_depth: int = 0
    busy_workers: int = 0
    size: int = 2
    restarts: int = 0
    timeouts: int = 0
    crashes: int = 0


@dataclass
class StubGrader:
    pool: Any


def state(**settings: Any) -> tuple[ServerState, StubPool]:
    pool = StubPool()
    return ServerState(Settings(**settings), StubGrader(pool)), pool  # type: ignore[arg-type]


def test_not_ready_until_the_pool_is_then_stays_ready_through_restarts() -> None:
    server, pool = state()
    assert not server.ready  # workers still starting: /readyz says 503
    pool.ready = True
    assert server.ready
    pool.ready = False  # a worker being replaced after a crash
    assert server.ready
    server.draining = True
    assert not server.ready


def test_admission_counts_items() -> None:
    server, _ = state(max_queued_items=10)
    server.admit(8, "grade")
    server.admit(2, "grade")
    with pytest.raises(ApiError) as refused:
        server.admit(1, "grade")
    assert refused.value.status == 429
    assert refused.value.headers == {"Retry-After": "1"}
    server.release(8)
    server.admit(5, "grade")
    assert server.in_flight_items == 7


def test_an_idle_server_takes_any_batch() -> None:
    server, _ = state(max_queued_items=10)
    server.admit(50, "grade")  # alone, so it is served rather than refused forever
    assert server.in_flight_requests == 1


def test_draining_refuses_with_503() -> None:
    server, _ = state(retry_after=7)
    server.draining = True
    with pytest.raises(ApiError) as refused:
        server.admit(1, "grade")
    assert (refused.value.status, refused.value.headers) == (503, {"Retry-After": "7"})
