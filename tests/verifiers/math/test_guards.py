"""Pathological answers are rejected up front (``invalid_input``), never left to hang.

The pool's deadline is the last line of defence; these guards are the first, and
the only one when grading in-process (``workers=0``) or from threads.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from verigrade.verifiers import Grader, Sample
from verigrade.verifiers.math import MathVerifier

VERIFIER = MathVerifier()

PATHOLOGICAL = [
    "2^{2^{2^{100}}}",  # ISSUE 6: tower exponent
    "10^{10^{10}}",  # tower exponent, smaller but still 10^10 digits
    "9^{9^{9}}",  # tower exponent
    "2^{-2^{100}}",  # a tower on the negative side
    "e^{e^{e^{e^{10}}}}",  # exponential tower (sympy's exp, not Pow)
    "(10^{9})!",  # ISSUE 6: huge factorial
    "1000000!",  # huge factorial, literal
    "((3!)!)!",  # factorial of a factorial
    "\\Gamma(10^{6})",  # factorial in disguise
    "\\binom{10^9}{5}",  # binomial is evaluated while parsing
    "\\sum_{n=1}^{10^{10}} n",  # a sum over too many terms
    "\\prod_{n=1}^{10^{6}} n",  # a product over too many terms
    "(1+x)^{100000}",  # a polynomial expand would never finish
    "\\frac{1}{" * 200 + "2" + "}" * 200,  # ISSUE 6: deeply nested
    "(" * 45 + "1" + ")" * 45,  # nested brackets, short enough for the length cap
    "x+" * 600 + "1",  # longer than any real answer
    "+".join(f"x^{i % 9}y" for i in range(150))[:990],  # too many terms for the parser
    "\\sin(" * 30 + "x" + ")" * 30,  # nested functions: the parser slows with each level
]


@pytest.mark.parametrize("answer", PATHOLOGICAL)
def test_pathological_answers_are_invalid_input(answer: str) -> None:
    verdict = VERIFIER.verify(Sample(completion=f"\\boxed{{{answer}}}", reference="3"))
    assert verdict.status == "invalid_input", verdict
    assert verdict.reason.startswith("answer: ")


def test_pathological_gold_is_invalid_input() -> None:
    verdict = VERIFIER.verify(Sample(completion="\\boxed{3}", reference="x" * 5000))
    assert verdict.status == "invalid_input"
    assert verdict.reason.startswith("gold: ")


@pytest.mark.parametrize(
    "completion",
    [
        "\\boxed{" + "x+" * 500_000 + "1}",  # ISSUE 6: 1 MB of LaTeX in a box
        "x+" * 500_000,  # 1 MB without a box
        "\\boxed{" * 100_000,  # boxes that never close
        "$\\(" * 300_000,  # unclosed math delimiters: a quadratic regex trap
        "\\[ " * 300_000,
        "1" * 1_000_000,  # a million-digit number
    ],
)
def test_megabyte_completions_end(completion: str) -> None:
    verdict = VERIFIER.verify(Sample(completion=completion, reference="3"))
    assert verdict.status in ("invalid_input", "no_answer", "ok")
    assert verdict.score == 0.0
    assert len(repr(verdict.details)) < 2000  # the megabyte is not echoed back


def test_undefined_values_are_never_equal() -> None:
    for answer in ("\\frac{1}{0}", "\\infty-\\infty"):
        verdict = VERIFIER.verify(Sample(completion=f"\\boxed{{{answer}}}", reference="3"))
        assert verdict.score == 0.0, verdict


@pytest.mark.parametrize(
    "gold, answer, expected",
    [
        # expand() of these would have 176,851 terms: probes decide instead of simplify.
        ("(a+b+c+d)^{100}", "(a+b+c+d)^{99}(a+b+c+d)", 1.0),
        ("(a+b+c+d)^{100}", "(a+b+c+d)^{100}+1", 0.0),
        # At the probe points S^100 dwarfs the constant; exact rational probes still see it.
        ("(a+b+c+d)^{100} = 1", "(a+b+c+d)^{100} = 0", 0.0),
        ("2(a+b+c+d)^{100} = 0", "(a+b+c+d)^{100} = 0", 1.0),
    ],
)
def test_large_polynomials_are_decided_without_expanding(
    gold: str, answer: str, expected: float
) -> None:
    verdict = VERIFIER.verify(Sample(completion=f"\\boxed{{{answer}}}", reference=gold))
    assert (verdict.status, verdict.score) == ("ok", expected), verdict


def test_guards_hold_from_threads() -> None:
    samples = [Sample(completion=f"\\boxed{{{a}}}", reference="3") for a in PATHOLOGICAL]
    samples.append(Sample(completion="\\boxed{3}", reference="3"))
    with ThreadPoolExecutor(4) as threads:
        verdicts = list(threads.map(VERIFIER.verify, samples))
    assert [v.status for v in verdicts[:-1]] == ["invalid_input"] * len(PATHOLOGICAL)
    assert verdicts[-1].score == 1.0


def test_guards_hold_in_the_worker_pool() -> None:
    samples = [{"completion": f"\\boxed{{{a}}}", "reference": "3"} for a in PATHOLOGICAL]
    samples.append({"completion": "\\boxed{\\sqrt{9}}", "reference": "3"})
    with Grader(workers=2) as grader:
        grades = grader.grade(samples, "math")
    statuses = [g.verdicts["math"].status for g in grades]
    assert statuses[:-1] == ["invalid_input"] * len(PATHOLOGICAL)
    assert grades[-1].reward == 1.0
