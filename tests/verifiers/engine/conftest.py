"""Fixtures for the engine's fault tests: a grader of its own, both workers up."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from verigrade.verifiers import Grader


def sample(i: int, **metadata: object) -> dict[str, object]:
    return {"id": i, "completion": f"item {i}", "metadata": metadata}


@pytest.fixture
def fresh(misbehaving: None) -> Iterator[Grader]:
    """A grader of its own: these tests kill, stop and replace its workers."""
    with Grader(workers=2) as grader:
        grader.grade([sample(0)], "test_pid")
        for _ in range(600):  # bounded: both workers up (work goes only to started ones)
            if grader.pool is not None and grader.pool.live_workers == 2:
                break
            time.sleep(0.05)
        yield grader
