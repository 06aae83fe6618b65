"""RayGrader when things go wrong: the batch deadline, no actor left, chunks that keep failing."""

from __future__ import annotations

import time
from typing import Any

import pytest
from verigrade.verifiers import Verdict
from verigrade.verifiers.ray import RayGrader
from verigrade.verifiers.ray.local import LocalCluster

HANG = "import time\ntime.sleep(60)"
REF = {"tests": [{"input": "", "output": "x\n"}]}


def test_batch_deadline_is_kept(cluster: LocalCluster) -> None:
    items = [{"completion": f"```python\n{HANG}\n```", "reference": REF} for _ in range(12)]
    items += [{"completion": "<think>a</think> b"}]
    with RayGrader(cluster.address, chunk_size=4, max_in_flight=1) as grader:
        started = time.monotonic()
        spec = {"code": {"weight": 1.0, "test_seconds": 20, "total_seconds": 40}, "think_format": 0}
        got = grader.grade(items, spec, timeout=60, deadline=3.0)
        took = time.monotonic() - started
    assert took < 5.0
    assert len(got) == len(items) and [g.id for g in got] == list(range(len(items)))
    assert {g.verdicts["code"].status for g in got[:12]} == {"timeout"}


def test_no_actor_left_gives_error_items(cluster: LocalCluster, monkeypatch: Any) -> None:
    import ray

    with RayGrader(cluster.address, chunk_size=2) as grader:
        for handle in grader.actors().values():
            ray.kill(handle)
        monkeypatch.setattr(ray, "nodes", lambda: [])  # and the cluster has no node to offer
        got = grader.grade([{"completion": "x"}] * 5, "think_format")
        # What a server behind it reports: not ready, why, and the items it could not grade.
        pool = grader.pool
        assert not pool.ready and pool.healing and pool.nodes == 0
        assert pool.items_failed == 5 and pool.queue_depth == 0 and pool.chunks_in_flight == 0
        assert pool.last_failure is not None and "actor died" in pool.last_failure
        assert pool.unavailable_for > 0
    assert [g.id for g in got] == [0, 1, 2, 3, 4]
    statuses = {g.verdicts["think_format"].status for g in got}
    assert statuses == {"error"}
    assert any(
        "no Ray actor" in g.verdicts["think_format"].reason
        or "actor died" in g.verdicts["think_format"].reason
        for g in got
    )


class _Broken:
    """A finisher that always raises: every attempt of its chunk fails."""

    def __call__(self, verdicts: list[Verdict]) -> Any:
        raise RuntimeError("broken finisher")


def test_a_chunk_is_tried_a_bounded_number_of_times(cluster: LocalCluster) -> None:
    with (
        RayGrader(cluster.address, chunk_size=2, max_attempts=2) as grader,
        pytest.raises(RuntimeError, match="broken finisher"),
    ):
        # the driver applies the finisher to error items too: the bug reaches the caller
        grader.submit_finished([{"completion": "x"}] * 3, "think_format", _Broken()).result(60)
