"""Subtasks (IOI style): a weighted group of tests scores only when all its tests pass."""

from __future__ import annotations

from typing import Any

import pytest
from verigrade.verifiers import Sample
from verigrade.verifiers.code import CodeVerifier
from verigrade.verifiers.code.subtasks import Subtask, parse_subtasks, total, worth_running

# a + b, with subtasks by size as an IOI task sets them: small numbers (30), any (70); the
# sample (test 0) sits in both.
TESTS = [
    {"input": "1 2\n", "output": "3\n"},
    {"input": "4 5\n", "output": "9\n"},
    {"input": "2000000000 2000000000\n", "output": "4000000000\n"},
    {"input": "-7 7\n", "output": "0\n"},
]
REFERENCE = {
    "tests": TESTS,
    "subtasks": [
        {"name": "small", "tests": [0, 1], "weight": 30},
        {"name": "full", "tests": [0, 1, 2, 3], "weight": 70},
    ],
}
RIGHT = "a, b = map(int, input().split())\nprint(a + b)"
# Right for small numbers only: a 32-bit sum wraps around past 2**31.
SMALL_ONLY = (
    "a, b = map(int, input().split())\ns = (a + b) % 2**32\nprint(s - 2**32 if s >= 2**31 else s)"
)


def verify(code: str, reference: Any, **options: Any) -> Any:
    verifier = CodeVerifier.from_options(options)
    return verifier.verify(Sample(completion=f"```python\n{code}\n```", reference=reference))


def test_all_subtasks_pass() -> None:
    verdict = verify(RIGHT, REFERENCE)
    assert (verdict.score, verdict.status) == (1.0, "ok")
    assert [s["score"] for s in verdict.details["subtasks"]] == [1.0, 1.0]


def test_a_subtask_scores_only_when_all_its_tests_pass() -> None:
    verdict = verify(SMALL_ONLY, REFERENCE)
    # Only the small subtask passes: 30 of 100. Test 3 is not run: "full" failed at test 2.
    assert verdict.score == pytest.approx(0.3)
    assert [t["status"] for t in verdict.details["tests"]] == [
        "passed",
        "passed",
        "failed",
        "skipped",
    ]
    assert verdict.details["subtasks"] == [
        {"name": "small", "weight": 30.0, "tests": [0, 1], "score": 1.0},
        {"name": "full", "weight": 70.0, "tests": [0, 1, 2, 3], "score": 0.0},
    ]


def test_a_failed_shared_test_fails_every_subtask_it_is_in() -> None:
    verdict = verify("a, b = map(int, input().split())\nprint(a + b if a != 1 else 0)", REFERENCE)
    assert verdict.score == 0.0


def test_a_test_no_live_subtask_needs_is_not_run() -> None:
    # Test 1 fails both subtasks; tests 2 and 3 would hang, but can no longer change the score.
    hangs = "a, b = map(int, input().split())\nif a == 4: print(0)\nelif a != 1:\n    while True: pass\nelse: print(a + b)"
    verdict = verify(hangs, REFERENCE)
    assert verdict.score == 0.0
    assert [t["status"] for t in verdict.details["tests"]] == [
        "passed",
        "failed",
        "skipped",
        "skipped",
    ]
    assert verdict.status == "ok"


def test_a_test_still_needed_by_one_subtask_runs() -> None:
    reference = {
        "tests": TESTS,
        "subtasks": [{"tests": [0, 2], "weight": 1}, {"tests": [1, 3], "weight": 3}],
    }
    verdict = verify(SMALL_ONLY, reference)
    assert [t["status"] for t in verdict.details["tests"]] == [
        "passed",
        "passed",
        "failed",
        "passed",
    ]
    assert verdict.score == 0.75


def test_all_or_nothing_overrides_subtasks() -> None:
    assert verify(SMALL_ONLY, REFERENCE, scoring="all_or_nothing").score == 0.0
    assert verify(RIGHT, REFERENCE, scoring="all_or_nothing").score == 1.0


def test_subtasks_of_function_call_tests() -> None:
    reference = {
        "fn_name": "add",
        "tests": [{"args": [1, 2], "expected": 3}, {"args": [2**40, 1], "expected": 2**40 + 1}],
        "subtasks": [{"tests": [0], "weight": 1}, {"tests": [1], "weight": 1}],
    }
    assert verify("def add(a, b):\n    return a + b", reference).score == 1.0
    assert verify("def add(a, b):\n    return (a + b) % 2**32", reference).score == 0.5


def test_a_checkers_partial_scores_take_the_lowest_in_a_subtask() -> None:
    # Half points for an output equal to the input (testlib's quitp), full for greater.
    checker = (
        "import sys\nn = int(open('input.txt').read()); x = int(open('output.txt').read())\n"
        "if x > n: sys.exit(0)\n"
        "if x == n:\n    print('points 0.5', file=sys.stderr); sys.exit(7)\n"
        "sys.exit(1)"
    )
    reference = {
        "tests": [{"input": "1"}, {"input": "2"}, {"input": "3"}],
        "checker": {"source": checker},
        "subtasks": [{"tests": [0, 1], "weight": 1}, {"tests": [2], "weight": 1}],
    }
    verdict = verify("n = int(input())\nprint(n + (n != 2))", reference)
    # Subtask 1 scores min(1, 0.5) = 0.5, subtask 2 scores 1.
    assert verdict.score == 0.75
    assert [s["score"] for s in verdict.details["subtasks"]] == [0.5, 1.0]


@pytest.mark.parametrize(
    "subtasks, said",
    [
        ([], "non-empty list"),
        ("all", "non-empty list"),
        ([{"tests": [0, 1, 2, 3], "weight": 0}], "positive number"),
        ([{"tests": [0, 1, 2, 3], "weight": True}], "positive number"),
        ([{"tests": [0, 1, 2, 3], "weight": float("inf")}], "positive number"),
        ([{"tests": [0, 1, 2, 4]}], "index below 4"),
        ([{"tests": [0, 1, 2, -1]}], "index below 4"),
        ([{"tests": [0, 1, "2", 3]}], "index below 4"),
        ([{"tests": []}], "non-empty 'tests'"),
        ([{"tests": [0, 1]}], "tests [2, 3] belong to no subtask"),
        ([{"tests": [0, 1, 2, 3], "points": 5}], "must be an object"),
        ([{"tests": [0, 1, 2, 3], "name": 5}], "'name' must be a string"),
    ],
)
def test_malformed_subtasks_are_invalid_input(subtasks: Any, said: str) -> None:
    verdict = verify(RIGHT, {"tests": TESTS, "subtasks": subtasks})
    assert verdict.status == "invalid_input" and said in verdict.reason, verdict.reason


def test_subtasks_are_not_for_assert_style_tests() -> None:
    reference = {"test_code": "def check(f): pass", "entry_point": "f", "subtasks": []}
    assert verify("def f(): pass", reference).status == "invalid_input"
    # A stray "tests" beside assert-style test code changes nothing.
    reference = {"test_code": "def check(f): pass", "entry_point": "f", "tests": 5}
    assert verify("def f(): pass", reference).status == "ok"


def test_the_arithmetic_directly() -> None:
    subtasks = parse_subtasks([{"tests": [0, 1], "weight": 1}, {"tests": [1, 2], "weight": 3}], 3)
    assert subtasks[0] == Subtask("subtask 0", 1.0, (0, 1))
    assert total(subtasks, {0: 1.0, 1: 1.0, 2: 0.0}) == 0.25
    assert total(subtasks, {0: 0.0, 1: 1.0, 2: 1.0}) == 0.75
    assert total(subtasks, {0: 1.0, 1: 0.5, 2: 1.0}) == 0.5
    assert total(subtasks, {}) == 0.0  # a test not scored counts as 0
    # Test 2 is needed while subtask 1 is alive, whatever subtask 0 did.
    assert worth_running(subtasks, 2, {0: 0.0, 1: 1.0})
    assert not worth_running(subtasks, 2, {0: 1.0, 1: 0.0})
