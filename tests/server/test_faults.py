"""Faults in-process: slow items, crashing and killed workers, deadlines, backpressure."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path

import pytest

from tests.server.support import AsyncApp, start_async_app

pytestmark = pytest.mark.anyio


def statuses(answer: dict[str, object], label: str) -> list[str]:
    results = answer["results"]
    assert isinstance(results, list)
    return [r["verdicts"][label]["status"] for r in results]


async def wait_until(predicate: object, rounds: int = 400) -> None:
    """Poll a condition in bounded steps (no wall-clock assertion)."""
    for _ in range(rounds):
        if predicate():  # type: ignore[operator]
            return
        await asyncio.sleep(0.025)
    raise AssertionError("condition never held")


async def test_a_pathological_item_times_out_alone(async_app: AsyncApp) -> None:
    batch = [{"completion": "fast"}] * 12 + [{"completion": "SLOW"}] + [{"completion": "ok"}] * 12
    body = {"spec": {"vg_sleepy": {"seconds": 60}}, "samples": batch, "options": {"timeout": 1}}
    answer = await async_app.http.post("/v1/grade", json=body, timeout=30)
    assert answer.status_code == 200
    got = statuses(answer.json(), "vg_sleepy")
    assert got[12] == "timeout"
    assert got[:12] + got[13:] == ["ok"] * 24
    assert "deadline" in answer.json()["results"][12]["verdicts"]["vg_sleepy"]["reason"]
    assert async_app.state.grader.pool.timeouts == 1


async def test_the_request_deadline_returns_what_is_done(async_app: AsyncApp) -> None:
    # Two hanging items occupy one worker each in turn; the request deadline (1 s) is far
    # below the per-item one (20 s), so the answer comes at the deadline, not after 40 s.
    batch = [{"completion": "SLOW"}] * 2 + [{"completion": "fast"}] * 14
    body = {
        "spec": {"vg_sleepy": {"seconds": 60}},
        "samples": batch,
        "options": {"timeout": 20, "deadline": 1},
    }
    answer = await async_app.http.post("/v1/grade", json=body, timeout=30)
    assert answer.status_code == 200
    got = statuses(answer.json(), "vg_sleepy")
    assert got[:2] == ["timeout", "timeout"]
    assert set(got[2:]) <= {"ok", "timeout"}
    assert len(got) == 16
    # The workers stuck on the abandoned items were replaced: the server grades at once.
    again = await async_app.http.post(
        "/v1/grade", json={"spec": "vg_sleepy", "samples": [{"completion": "x"}] * 4}
    )
    assert statuses(again.json(), "vg_sleepy") == ["ok"] * 4


async def test_a_crashing_item_gets_error_and_the_rest_are_graded(async_app: AsyncApp) -> None:
    batch = [{"completion": f"a{i}"} for i in range(10)] + [{"completion": "CRASH"}]
    batch += [{"completion": f"b{i}"} for i in range(10)]
    answer = await async_app.http.post("/v1/grade", json={"spec": "vg_crashy", "samples": batch})
    assert answer.status_code == 200
    got = statuses(answer.json(), "vg_crashy")
    assert got[10] == "error"
    assert "worker process died" in answer.json()["results"][10]["verdicts"]["vg_crashy"]["reason"]
    assert got[:10] + got[11:] == ["ok"] * 20


async def test_a_worker_killed_mid_batch(async_app: AsyncApp, tmp_path: Path) -> None:
    pool = async_app.state.grader.pool
    # 16 items on 2 workers travel in chunks of 2, so the WAIT items (0 and 2) open the
    # first two chunks: each worker ends up blocked inside one of them.
    markers = [tmp_path / "first", tmp_path / "second"]
    batch = [{"completion": f"x{i}"} for i in range(16)]
    batch[0] = {"completion": f"WAIT:{markers[0]}"}
    batch[2] = {"completion": f"WAIT:{markers[1]}"}
    body = {"spec": {"vg_crashy": {"seconds": 60}}, "samples": batch, "options": {"timeout": 50}}
    request = asyncio.ensure_future(async_app.http.post("/v1/grade", json=body, timeout=60))
    await wait_until(lambda: all(m.exists() and m.read_text() for m in markers))
    victims = [int(m.read_text()) for m in markers]
    assert sorted(victims) == sorted(pool.worker_pids)
    for pid in victims:
        os.kill(pid, signal.SIGKILL)
    answer = await request
    assert answer.status_code == 200
    got = statuses(answer.json(), "vg_crashy")
    assert (got[0], got[2]) == ("error", "error")
    assert [s for i, s in enumerate(got) if i not in (0, 2)] == ["ok"] * 14
    assert pool.crashes >= 2
    assert set(pool.worker_pids).isdisjoint(victims)
    healthy = await async_app.http.get("/readyz")
    assert healthy.status_code == 200
    after = await async_app.http.post(
        "/v1/grade", json={"spec": "think_format", "samples": [{"completion": "x"}]}
    )
    assert after.status_code == 200


async def test_a_full_queue_answers_429_with_retry_after() -> None:
    app, lifespan = await start_async_app(max_queued_items=8)
    try:
        slow = {"spec": {"vg_sleepy": {"seconds": 60}}, "samples": [{"completion": "SLOW"}] * 8}
        slow["options"] = {"deadline": 3}
        first = asyncio.ensure_future(app.http.post("/v1/grade", json=slow, timeout=30))
        await wait_until(lambda: app.state.in_flight_items == 8)
        refused = await app.http.post(
            "/v1/grade", json={"spec": "vg_sleepy", "samples": [{"completion": "x"}]}
        )
        assert refused.status_code == 429
        assert refused.headers["retry-after"] == "1"
        assert "queue is full" in refused.json()["detail"]
        assert (await first).status_code == 200
        accepted = await app.http.post(
            "/v1/grade", json={"spec": "vg_sleepy", "samples": [{"completion": "x"}]}
        )
        assert accepted.status_code == 200
        metrics = (await app.http.get("/metrics")).text
        assert 'verigrade_rejected_total{reason="queue_full"} 1' in metrics
    finally:
        await app.http.aclose()
        await lifespan.__aexit__(None, None, None)


async def test_draining_refuses_new_work_with_503() -> None:
    app, lifespan = await start_async_app()
    try:
        app.state.draining = True
        ready = await app.http.get("/readyz")
        assert ready.status_code == 503
        refused = await app.http.post(
            "/v1/grade", json={"spec": "think_format", "samples": [{"completion": "x"}]}
        )
        assert refused.status_code == 503
        assert "retry-after" in refused.headers
    finally:
        await app.http.aclose()
        await lifespan.__aexit__(None, None, None)


async def test_shutdown_waits_for_in_flight_work() -> None:
    app, lifespan = await start_async_app()
    batch = [{"completion": "SLOW"}] + [{"completion": "x"}] * 5
    body = {"spec": {"vg_sleepy": {"seconds": 0.5}}, "samples": batch}
    request = asyncio.ensure_future(app.http.post("/v1/grade", json=body, timeout=30))
    await wait_until(lambda: app.state.in_flight_requests == 1)
    await lifespan.__aexit__(None, None, None)  # drains, then closes the pool
    answer = await request
    await app.http.aclose()
    assert answer.status_code == 200
    assert statuses(answer.json(), "vg_sleepy") == ["ok"] * 6
