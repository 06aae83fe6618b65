"""The pool heals and keeps deadlines when its workers misbehave from outside: a crash
loop (every replacement killed before it starts), a stopped (SIGSTOP) worker, a worker
that never starts. What the CLI, the trainer and the server all rely on (issue 15)."""

from __future__ import annotations

import contextlib
import os
import signal
import time

import pytest
from verigrade.verifiers import Grader, PoolUnavailableError
from verigrade.verifiers.engine.pool import WorkerPool

from .conftest import sample


def live_pids(pool: WorkerPool) -> set[int]:
    return set(pool.worker_pids)


def test_a_crash_loop_heals(fresh: Grader) -> None:
    pool = fresh.pool
    assert pool is not None
    known = live_pids(pool)
    os.kill(min(known), signal.SIGKILL)  # a ready worker dies...
    for _ in range(3):  # ...and each replacement is killed before it can start
        fresh_pids: set[int] = set()
        for _ in range(15_000):  # bounded: polls every 2 ms, 30 s in all
            fresh_pids = live_pids(pool) - known
            if fresh_pids:
                break
            time.sleep(0.002)
        assert fresh_pids, "no replacement was started"
        for pid in fresh_pids:
            os.kill(pid, signal.SIGKILL)
        known |= fresh_pids
    assert pool.start_failures >= 1
    grades = fresh.submit([sample(i) for i in range(40)], "test_pid").result(timeout=60)
    assert [g.reward for g in grades] == [1.0] * 40
    for _ in range(600):  # bounded: the slot's backoff is well under a minute
        if pool.live_workers == 2:
            break
        time.sleep(0.1)
    assert pool.live_workers == 2 and pool.ready


def test_a_stopped_worker_does_not_hold_items_past_their_deadline(fresh: Grader) -> None:
    pool = fresh.pool
    assert pool is not None
    stopped = min(pool.worker_pids)
    os.kill(stopped, signal.SIGSTOP)
    try:
        # No batch deadline: before, the chunk handed to the stopped worker waited forever.
        future = fresh.submit([sample(i) for i in range(32)], "test_pid", timeout=1)
        grades = future.result(timeout=30)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(stopped, signal.SIGCONT)
    verdicts = [g.verdicts["test_pid"] for g in grades]
    late = [v for v in verdicts if v.status != "ok"]
    assert len(late) <= 1, late  # only the item it was handed first
    assert all(v.status == "timeout" and "stopped responding" in v.reason for v in late)
    assert stopped not in pool.worker_pids


def test_a_worker_that_never_starts_is_replaced(
    misbehaving: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from verigrade.verifiers.engine import pool as pool_module

    monkeypatch.setattr(pool_module, "START_TIMEOUT", 1.0)
    with Grader(workers=1) as grader:
        pool = grader.pool
        assert pool is not None
        (first,) = pool.worker_pids
        os.kill(first, signal.SIGSTOP)  # stopped while it starts (or just after)
        grades = grader.submit([sample(0)], "test_pid").result(timeout=60)
        assert grades[0].reward == 1.0
        assert first not in pool.worker_pids


def test_workers_that_cannot_start_never_close_the_pool(
    misbehaving: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from verigrade.verifiers.engine import pool as pool_module

    monkeypatch.setattr(pool_module, "UNAVAILABLE_LIMIT", 1.5)
    with WorkerPool(1, python="/bin/false") as pool:  # every worker exits at once
        for _ in range(300):  # bounded
            if pool.start_failures >= 3:
                break
            time.sleep(0.05)
        assert pool.start_failures >= 3
        assert not pool.ready and not pool.closed and pool.live_workers == 0
        assert pool.unavailable_for > 0
        # Work waits for a worker a while, then fails with a clear error (the pool itself
        # keeps trying: a later submit is accepted).
        from verigrade.verifiers import parse_spec

        verifiers = [e.verifier for e in parse_spec("test_pid").entries]
        future = pool.submit([sample(0)], verifiers, [5.0])  # type: ignore[list-item]
        with pytest.raises(PoolUnavailableError, match="no worker process"):
            future.result(timeout=60)
        pool.submit([sample(0)], verifiers, [5.0]).cancel()  # type: ignore[list-item]


def test_a_stopped_idle_worker_is_found_and_replaced_before_it_gets_work(
    misbehaving: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from verigrade.verifiers.engine import pool as pool_module

    monkeypatch.setattr(pool_module, "PING_INTERVAL", 0.2)
    monkeypatch.setattr(pool_module, "PING_TIMEOUT", 1.0)
    with Grader(workers=2) as grader:
        pool = grader.pool
        assert pool is not None
        for _ in range(600):  # bounded: both up
            if pool.live_workers == 2:
                break
            time.sleep(0.05)
        stopped = min(pool.worker_pids)
        os.kill(stopped, signal.SIGSTOP)
        try:
            # No work at all: the pool notices by itself (and /metrics can say so).
            for _ in range(600):  # bounded
                if stopped not in pool.worker_pids and pool.live_workers == 2:
                    break
                time.sleep(0.05)
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.kill(stopped, signal.SIGCONT)
        assert stopped not in pool.worker_pids
        grades = grader.grade([sample(i) for i in range(16)], "test_pid", timeout=5)
        assert [g.verdicts["test_pid"].status for g in grades] == ["ok"] * 16
