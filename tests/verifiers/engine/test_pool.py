"""The worker pool: deadlines, crashes, threads, order."""

from __future__ import annotations

import os
import threading
import time

import pytest
from verigrade.verifiers import Grader, PoolClosedError


def sample(i: int, **metadata: object) -> dict[str, object]:
    return {"id": i, "completion": f"item {i}", "metadata": metadata}


def test_results_come_back_in_order_one_per_sample(grader: Grader) -> None:
    # Work goes only to workers that have started: wait (bounded) until both have.
    for _ in range(600):
        if grader.pool is not None and grader.pool.live_workers == 2:
            break
        time.sleep(0.05)
    samples = [sample(i) for i in range(1000)]
    grades = grader.grade(samples, "test_pid")
    assert [g.id for g in grades] == list(range(1000))
    assert all(g.reward == 1.0 for g in grades)
    # Both workers took part: the work really left this process.
    pids = {g.verdicts["test_pid"].details["pid"] for g in grades}
    assert os.getpid() not in pids
    assert len(pids) == 2


def test_a_stuck_item_times_out_and_the_others_finish(grader: Grader) -> None:
    pool = grader.pool
    assert pool is not None
    restarts = pool.restarts
    samples = [sample(i) for i in range(40)]
    samples[7] = sample(7, spin=30)  # would run 30 s; the deadline is 1 s
    started = time.monotonic()
    grades = grader.grade(samples, "test_spin")
    elapsed = time.monotonic() - started
    statuses = [g.verdicts["test_spin"].status for g in grades]
    assert statuses[7] == "timeout"
    assert "deadline" in grades[7].verdicts["test_spin"].reason
    assert statuses[:7] + statuses[8:] == ["ok"] * 39
    assert pool.restarts == restarts + 1  # the stuck worker was killed and replaced
    assert elapsed < 20  # nowhere near the 30 s the item wanted: it was killed


def test_sleeping_past_the_deadline_is_a_timeout_too(grader: Grader) -> None:
    grades = grader.grade([sample(0, sleep=60), sample(1)], "test_sleep", timeout=0.5)
    assert [g.verdicts["test_sleep"].status for g in grades] == ["timeout", "ok"]


def test_a_crashing_worker_costs_only_its_item(grader: Grader) -> None:
    samples = [sample(i, crash=(i == 3)) for i in range(20)]
    grades = grader.grade(samples, "test_crash")
    verdicts = [g.verdicts["test_crash"] for g in grades]
    assert verdicts[3].status == "error"
    assert "worker process died" in verdicts[3].reason
    assert all(v.status == "ok" for i, v in enumerate(verdicts) if i != 3)
    # The pool still works afterwards.
    assert grader.grade([sample(0)], "test_crash")[0].reward == 1.0


def test_a_raising_verifier_gives_an_error_verdict(grader: Grader) -> None:
    (result,) = grader.grade([sample(0)], "test_raise")
    verdict = result.verdicts["test_raise"]
    assert verdict.status == "error"
    assert "ValueError: boom" in verdict.reason


def test_other_verifiers_of_a_timed_out_sample_keep_their_verdicts(grader: Grader) -> None:
    spec = {"test_spin": 1.0, "test_pid": 1.0}
    (result,) = grader.grade([sample(0, spin=30)], spec)
    assert result.verdicts["test_spin"].status == "timeout"
    assert result.verdicts["test_pid"].status == "ok"
    assert result.reward == 1.0


def test_many_threads_share_one_grader(grader: Grader) -> None:
    results: dict[int, list[object]] = {}

    def work(t: int) -> None:
        grades = grader.grade([sample(t * 1000 + i) for i in range(200)], "test_pid")
        results[t] = [g.id for g in grades]

    threads = [threading.Thread(target=work, args=(t,)) for t in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {t: [t * 1000 + i for i in range(200)] for t in range(6)}


def test_in_process_grading_needs_no_workers(misbehaving: None) -> None:
    with Grader(workers=0) as g:
        (result,) = g.grade([sample(0)], "test_pid")
    assert result.verdicts["test_pid"].details["pid"] == os.getpid()


def test_a_closed_grader_refuses_work(misbehaving: None) -> None:
    g = Grader(workers=1)
    g.close()
    with pytest.raises(PoolClosedError):
        g.grade([sample(0)], "test_pid")


def test_empty_batches_are_fine(grader: Grader) -> None:
    assert grader.grade([], "test_pid") == []


def test_no_worker_outlives_close(misbehaving: None) -> None:
    g = Grader(workers=2)
    g.grade([sample(0)], "test_pid")
    assert g.pool is not None
    pids = [w.proc.pid for w in g.pool._workers]
    g.close()
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def test_worker_spec_caches_are_bounded(grader: Grader, monkeypatch: pytest.MonkeyPatch) -> None:
    from verigrade.verifiers.engine import pool as pool_module

    monkeypatch.setattr(pool_module, "MAX_CACHED_SPECS", 2)
    # Five distinct specs (the cache keys on verifiers and options) through a cache of two.
    for k in (1, 2, 3, 4, 5, 1):
        spec = {"test_pid": 1.0, "think_format": {"open_tag": f"<t{k}>", "close_tag": f"</t{k}>"}}
        (result,) = grader.grade([sample(0, completion=None)], spec)
        assert result.verdicts["test_pid"].status == "ok"
        (tagged,) = grader.grade([{"completion": f"<t{k}>a</t{k}> b"}], spec)
        assert tagged.verdicts["think_format"].score == 1.0


def test_a_dispatcher_bug_fails_callers_instead_of_hanging(
    misbehaving: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from verigrade.verifiers.engine import pool as pool_module

    def broken(self: object, worker: object) -> None:
        raise RuntimeError("bug")

    monkeypatch.setattr(pool_module.WorkerPool, "_receive", broken)
    g = Grader(workers=1)
    try:
        with pytest.raises(PoolClosedError, match="dispatcher failed: RuntimeError: bug"):
            g.submit([sample(0)], "test_pid").result(timeout=30)
    finally:
        g.close()


def test_a_deadline_without_workers_is_refused(misbehaving: None) -> None:
    with Grader(workers=0) as g, pytest.raises(ValueError, match="needs worker processes"):
        g.grade([sample(0)], "test_pid", deadline=1.0)
