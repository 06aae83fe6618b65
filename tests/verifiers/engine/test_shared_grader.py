"""The process-wide Grader behind ``verigrade.verifiers.grade``."""

from __future__ import annotations

from verigrade.verifiers import grade
from verigrade.verifiers.engine import shared_grader


def test_a_closed_shared_grader_is_started_again() -> None:
    # Any holder of the shared grader can close it (a test, an adapter's teardown); the
    # next grade() seen in a full test run then failed with PoolClosedError.
    shared_grader(1).close()
    graded = grade([{"completion": "\\boxed{4}", "reference": "4"}], "math", workers=1)
    assert [g.reward for g in graded] == [1.0]
    assert shared_grader(1).pool is not None and not shared_grader(1).pool.closed
