"""The pool hooks the server relies on: a whole-batch deadline, cancellation that
frees busy workers, and the worker pids."""

from __future__ import annotations

import time

from verigrade.verifiers import Grader

from .conftest import sample


def test_a_batch_deadline_returns_what_is_done(fresh: Grader) -> None:
    pool = fresh.pool
    assert pool is not None
    restarts = pool.restarts
    samples = [sample(i) for i in range(16)]
    samples[0] = sample(0, sleep=60)
    samples[2] = sample(2, sleep=60)  # 16 items in chunks of 2: one per worker
    grades = fresh.grade(samples, "test_sleep", timeout=30, deadline=1)
    statuses = [g.verdicts["test_sleep"].status for g in grades]
    assert (statuses[0], statuses[2]) == ("timeout", "timeout")
    assert "batch deadline" in grades[0].verdicts["test_sleep"].reason
    assert set(statuses) <= {"ok", "timeout"} and len(grades) == 16
    # Both workers were stuck on abandoned items: they are replaced (just after the
    # answer, which does not wait for that), not waited for.
    for _ in range(500):  # bounded
        if pool.restarts == restarts + 2:
            break
        time.sleep(0.01)
    assert pool.restarts == restarts + 2
    assert [g.reward for g in fresh.grade([sample(i) for i in range(4)], "test_sleep")] == [1.0] * 4


def test_no_deadline_no_expiry(fresh: Grader) -> None:
    grades = fresh.grade([sample(0, sleep=0.3), sample(1)], "test_sleep", deadline=30)
    assert [g.verdicts["test_sleep"].status for g in grades] == ["ok", "ok"]


def test_cancelling_frees_the_workers_on_the_job(fresh: Grader) -> None:
    pool = fresh.pool
    assert pool is not None
    restarts = pool.restarts
    future = fresh.submit(
        [sample(0, sleep=60), sample(1), sample(2, sleep=60)], "test_sleep", timeout=30
    )
    for _ in range(200):  # bounded: until both workers hold a chunk
        if pool.busy_workers == 2:
            break
        time.sleep(0.01)
    assert future.cancel()
    for _ in range(500):  # bounded: until the dispatcher replaced them
        if pool.restarts == restarts + 2 and pool.busy_workers == 0:
            break
        time.sleep(0.01)
    assert pool.restarts == restarts + 2
    assert pool.queue_depth == 0
    assert fresh.grade([sample(5)], "test_sleep")[0].reward == 1.0


def test_worker_pids_are_the_processes_that_verify(fresh: Grader) -> None:
    pool = fresh.pool
    assert pool is not None
    grades = fresh.grade([sample(i) for i in range(200)], "test_pid")
    seen = {g.verdicts["test_pid"].details["pid"] for g in grades}
    assert seen == set(pool.worker_pids)
