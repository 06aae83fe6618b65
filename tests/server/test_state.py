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
    live_workers: int = 0
    restarts: int = 0
    timeouts: int = 0
    crashes: int = 0
    start_failures: int = 0
    closed: bool = False
    healing: bool = False
    unavailable_for: float = 0.0
    last_failure: str = ""


@dataclass
class StubGrader:
    pool: Any


def state(**settings: Any) -> tuple[ServerState, StubPool]:
    pool = StubPool()
    return ServerState(Settings(**settings), StubGrader(pool)), pool  # type: ignore[arg-type]


def test_readiness_is_the_pool_as_it_is_now() -> None:
    server, pool = state()
    assert not server.ready  # workers still starting: /readyz says 503
    pool.ready = True
    assert server.ready
    pool.ready = False  # no worker up right now (a crash loop): not ready...
    assert not server.ready
    pool.ready = True  # ...until the pool heals itself
    assert server.ready
    server.draining = True
    assert not server.ready


def test_health_fails_only_when_the_pool_cannot_recover() -> None:
    server, pool = state(heal_timeout=30)
    pool.unavailable_for = 29.0  # starting, or healing: give it time
    assert server.problem is None
    pool.unavailable_for, pool.last_failure = 31.0, "exit code 1"
    assert server.problem is not None and "exit code 1" in server.problem
    pool.unavailable_for, pool.closed = 0.0, True  # the dispatcher broke: restart me
    assert server.problem is not None
    server.draining = True  # ...but a pool closed by a shutdown is no illness
    assert server.problem is None


def test_a_crash_looping_pool_refuses_work_with_503_and_heals() -> None:
    server, pool = state(retry_after=3)
    pool.healing, pool.last_failure = True, "killed by SIGKILL"
    with pytest.raises(ApiError) as refused:
        server.admit(1, "grade")
    assert (refused.value.status, refused.value.headers) == (503, {"Retry-After": "3"})
    assert "SIGKILL" in refused.value.detail
    pool.ready = True  # another worker is up, or this one came back: served again
    server.admit(1, "grade")
    assert server.in_flight_items == 1


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
