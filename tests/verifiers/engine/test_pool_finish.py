"""``Grader.submit_finished``: per-sample results finished in the worker that graded them."""

from __future__ import annotations

import os
from dataclasses import dataclass

from verigrade.verifiers import Grader, Verdict


@dataclass(frozen=True)
class WhereFinished:
    """Finisher: the statuses and the process that ran it (picklable: module level)."""

    def __call__(self, verdicts: list[Verdict]) -> tuple[tuple[str, ...], int]:
        return tuple(v.status for v in verdicts), os.getpid()


class Broken:
    def __call__(self, verdicts: list[Verdict]) -> object:
        raise RuntimeError("finisher bug")


def sample(i: int, **metadata: object) -> dict[str, object]:
    return {"id": f"s{i}", "completion": f"item {i}", "metadata": metadata}


def test_rows_are_finished_in_the_workers_in_order(grader: Grader) -> None:
    samples = [sample(i) for i in range(300)]
    samples[5] = {"id": "bad", "prompt": "no completion"}
    samples[6] = {"completion": "no id"}
    rows = grader.submit_finished(samples, ["test_pid", "test_sleep"], WhereFinished()).result()
    assert [sample_id for sample_id, _ in rows] == [
        "bad" if i == 5 else 6 if i == 6 else f"s{i}" for i in range(300)
    ]
    # Raw dicts are checked in the workers too: the invalid one is finished there as well.
    assert rows[5][1][0] == ("invalid_input", "invalid_input")
    assert all(statuses == ("ok", "ok") for i, (_, (statuses, _)) in enumerate(rows) if i != 5)
    finished_in = {pid for _, (_, pid) in rows}
    assert os.getpid() not in finished_in and len(finished_in) == 2


def test_items_that_are_not_objects_are_checked_here(grader: Grader) -> None:
    items: list[object] = [sample(0), "not an object", 7, {"completion": "x" * 50}]
    rows = grader.submit_finished(items, "test_pid", WhereFinished()).result()
    assert [sample_id for sample_id, _ in rows] == ["s0", 1, 2, 3]
    assert [statuses for _, (statuses, _) in rows] == [
        ("ok",),
        ("invalid_input",),
        ("invalid_input",),
        ("ok",),
    ]


def test_oversized_items_are_refused_by_the_workers(misbehaving: None) -> None:
    with Grader(workers=1, max_chars=10) as small:
        rows = small.submit_finished(
            [{"completion": "short"}, {"completion": "far too long a completion"}],
            "test_pid",
            WhereFinished(),
        ).result()
    assert [statuses for _, (statuses, _) in rows] == [("ok",), ("invalid_input",)]
    assert all(pid != os.getpid() for _, (_, pid) in rows)


def test_a_row_a_worker_could_not_finish_is_finished_here(grader: Grader) -> None:
    samples = [sample(0), sample(1, sleep=60), sample(2)]
    rows = grader.submit_finished(
        samples, ["test_pid", "test_sleep"], WhereFinished(), timeout=0.5
    ).result()
    statuses = [statuses for _, (statuses, _) in rows]
    assert statuses == [("ok", "ok"), ("ok", "timeout"), ("ok", "ok")]
    # The stuck row's worker was killed mid-row: its verdicts are settled and finished here.
    assert rows[1][1][1] == os.getpid()
    assert rows[0][1][1] != os.getpid()


def test_without_workers_the_finisher_runs_here() -> None:
    with Grader(workers=0) as local:
        rows = local.submit_finished([sample(0)], "think_format", WhereFinished()).result()
    assert rows == [("s0", (("ok",), os.getpid()))]


def test_a_broken_finisher_fails_the_future_not_the_pool(grader: Grader) -> None:
    future = grader.submit_finished([sample(0), sample(1)], "test_pid", Broken())
    error = future.exception()
    assert isinstance(error, RuntimeError) and "finisher bug" in str(error)
    assert grader.grade([sample(2)], "test_pid")[0].reward == 1.0


def test_a_batch_deadline_finishes_the_late_rows_here(grader: Grader) -> None:
    samples = [sample(0), sample(1, sleep=60), sample(2, sleep=60), sample(3)]
    rows = grader.submit_finished(samples, "test_sleep", WhereFinished(), deadline=1.0).result()
    assert [sample_id for sample_id, _ in rows] == ["s0", "s1", "s2", "s3"]
    statuses = [statuses for _, (statuses, _) in rows]
    assert statuses[1] == statuses[2] == ("timeout",)
    assert rows[1][1][1] == rows[2][1][1] == os.getpid()
