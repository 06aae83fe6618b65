"""Subtasks (IOI style): tests grouped with weights; a group scores only if all its tests pass.

``reference["subtasks"]`` is a list of ``{"tests": [indices into "tests"], "weight": w}``
(``"name"`` optional). A subtask's score is the lowest score among its tests (1 or 0 for a
plain test, a checker's partial score otherwise), so it counts only when every one of its tests
passes; the sample's score is the weighted mean of the subtasks' scores. A test may sit in
several subtasks (IOI's shared samples), and every test must sit in at least one, so that no
test is run for nothing. A test whose subtasks have all failed already is not run.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Subtask:
    """One group of tests and its weight."""

    name: str
    weight: float
    tests: tuple[int, ...]

    def score(self, scores: Mapping[int, float]) -> float:
        """The lowest score of its tests; a test not (yet) scored counts as 0."""
        return min(scores.get(i, 0.0) for i in self.tests)

    def to_dict(self, scores: Mapping[int, float]) -> dict[str, Any]:
        return {
            "name": self.name,
            "weight": self.weight,
            "tests": list(self.tests),
            "score": self.score(scores),
        }


def parse_subtasks(raw: Any, test_count: int) -> tuple[Subtask, ...]:
    """The reference's ``subtasks``; raises ValueError naming what is wrong."""
    if not isinstance(raw, list) or not raw:
        raise ValueError("'subtasks' must be a non-empty list")
    subtasks = []
    for n, entry in enumerate(raw):
        if not isinstance(entry, Mapping) or set(entry) - {"tests", "weight", "name"}:
            raise ValueError(f"subtask {n} must be an object with 'tests', 'weight' and 'name'")
        tests, weight = entry.get("tests"), entry.get("weight", 1)
        if not isinstance(tests, list) or not tests:
            raise ValueError(f"subtask {n} needs a non-empty 'tests' list")
        if not all(type(i) is int and 0 <= i < test_count for i in tests):
            raise ValueError(f"subtask {n}: each test is an index below {test_count}")
        if type(weight) not in (int, float) or not math.isfinite(weight) or weight <= 0:
            raise ValueError(f"subtask {n}: 'weight' must be a positive number")
        name = entry.get("name", f"subtask {n}")
        if not isinstance(name, str):
            raise ValueError(f"subtask {n}: 'name' must be a string")
        subtasks.append(Subtask(name, float(weight), tuple(dict.fromkeys(tests))))
    covered = {i for subtask in subtasks for i in subtask.tests}
    missing = sorted(set(range(test_count)) - covered)
    if missing:
        raise ValueError(f"tests {missing[:10]} belong to no subtask")
    return tuple(subtasks)


def total(subtasks: Sequence[Subtask], scores: Mapping[int, float]) -> float:
    """The weighted mean of the subtasks' scores."""
    weights = sum(s.weight for s in subtasks)
    return sum(s.weight * s.score(scores) for s in subtasks) / weights


def worth_running(subtasks: Sequence[Subtask], index: int, scores: Mapping[int, float]) -> bool:
    """Whether test ``index`` can still change the score: some subtask of it has not failed.

    ``scores`` holds the tests run so far; a subtask fails at its first test scoring 0.
    """
    return any(
        index in s.tests and all(scores[i] > 0 for i in s.tests if i in scores) for s in subtasks
    )
