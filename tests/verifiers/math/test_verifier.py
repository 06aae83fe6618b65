"""The math verifier as a user meets it: extraction, hedging, references, options, details."""

from __future__ import annotations

import pytest
from verigrade.verifiers import InvalidConfigError, Sample, Verdict, get_verifier, grade
from verigrade.verifiers.math import MathOptions, MathVerifier

VERIFIER = MathVerifier()


def verdict_of(completion: str, gold: object, verifier: MathVerifier = VERIFIER) -> Verdict:
    return verifier.verify(Sample(completion=completion, reference=gold))


@pytest.mark.parametrize(
    "completion, gold, expected, rule",
    [
        ("So $x = \\boxed{\\frac{1}{2}}$.", "0.5", 1.0, "boxed"),
        ("nested \\boxed{\\frac{\\sqrt{3}}{2}} done", "\\frac{\\sqrt3}{2}", 1.0, "boxed"),
        ("\\fbox{7}", "7", 1.0, "boxed"),
        ("She pays 16 - 3 - 4 = 9 dollars.\n#### 18", "18", 1.0, "hashes"),
        (
            "Thus, the final answer is $\\frac{3}{4}$. I hope it is correct.",
            "0.75",
            1.0,
            "final_answer",
        ),
        ("Working...\nAnswer: 42", "42", 1.0, "answer_colon"),
        ("Step 1: ...\n\nThe total is **12** apples.", "12", 1.0, "bold"),
        ("Adding up, we get $3 + 4 = 7$.", "7", 1.0, "last_math"),
        ("so we have 3 apples and then 5 more, giving 8", "8", 1.0, "last_number"),
        ("<think>maybe \\boxed{3}</think> The answer is \\boxed{4}.", "4", 1.0, "boxed"),
        ("<think>it is \\boxed{4}</think> The answer is \\boxed{3}.", "4", 0.0, "boxed"),
    ],
)
def test_extraction_rules(completion: str, gold: str, expected: float, rule: str) -> None:
    verdict = verdict_of(completion, gold)
    assert (verdict.status, verdict.score) == ("ok", expected), verdict
    assert verdict.details["extraction_rule"] == rule


@pytest.mark.parametrize(
    "completion, gold, expected",
    [
        # ISSUE 6: hedging between different answers is never rewarded, even when one is right.
        ("It is \\boxed{3} or maybe \\boxed{5}.", "3", 0.0),
        ("It is \\boxed{3} or maybe \\boxed{5}.", "5", 0.0),
        # The same answer boxed twice (or in two equal forms) is not a hedge.
        ("\\boxed{3}, i.e. \\boxed{3}", "3", 1.0),
        ("\\boxed{\\frac12} = \\boxed{0.5}", "1/2", 1.0),
        # ISSUE 6: a later box that corrects an earlier one wins.
        ("So \\boxed{3}. Wait, I made a mistake: it is \\boxed{5}.", "5", 1.0),
        ("So \\boxed{3}. Wait, I made a mistake: it is \\boxed{5}.", "3", 0.0),
        # A box far after an earlier one supersedes it even without a correction word.
        ("First \\boxed{3}." + " More work." * 30 + " Therefore \\boxed{5}.", "5", 1.0),
        # ISSUE 6: multiple-answer golds: one box per answer, or a list in one box.
        ("The roots are \\boxed{1} and \\boxed{-2}.", "1,-2", 1.0),
        ("The roots are \\boxed{-2, 1}.", "1,-2", 1.0),
        ("The roots are \\boxed{1} and \\boxed{3}.", "1,-2", 0.0),
        ("The roots are \\boxed{1} and \\boxed{-2}.", "\\boxed{1}, \\boxed{-2}", 1.0),
    ],
)
def test_hedges_corrections_and_multiple_answers(
    completion: str, gold: str, expected: float
) -> None:
    verdict = verdict_of(completion, gold)
    assert (verdict.status, verdict.score) == ("ok", expected), verdict


def test_hedge_last_option_grades_the_last_box() -> None:
    lenient = MathVerifier(MathOptions(hedge="last"))
    assert verdict_of("\\boxed{3} or maybe \\boxed{5}", "5", lenient).score == 1.0


def test_hedge_reason_names_the_answers() -> None:
    verdict = verdict_of("\\boxed{3} or maybe \\boxed{5}", "3")
    assert "hedged" in verdict.reason
    assert verdict.details["extracted"] == ["3", "5"]


@pytest.mark.parametrize("reference", ["42", 42, {"answer": "42"}, {"answer": 42}, 42.0])
def test_reference_forms(reference: object) -> None:
    assert verdict_of("\\boxed{42}", reference).score == 1.0


@pytest.mark.parametrize("reference", [None, "", "   ", {"solution": "42"}, True, [42]])
def test_missing_gold_is_invalid_input(reference: object) -> None:
    verdict = verdict_of("\\boxed{42}", reference)
    assert verdict.status == "invalid_input"
    assert "reference" in verdict.reason


def test_no_answer() -> None:
    verdict = verdict_of("I do not know.", "42")
    assert verdict.status == "no_answer"
    assert verdict.score == 0.0


def test_details_say_what_was_extracted_and_which_rule_decided() -> None:
    verdict = verdict_of("So \\boxed{3}. Wait, no: \\boxed{\\frac{10}{2}}", "5")
    assert verdict.details == {
        "gold": "5",
        "gold_answers": ["5"],
        "extracted": ["\\frac{10}{2}"],
        "extraction_rule": "boxed",
        "superseded": ["3"],
        "rule": "equal numbers (exact)",
    }
    assert verdict.reason == "equal: equal numbers (exact)"


def test_details_show_the_answers_taken_from_a_boxed_gold() -> None:
    verdict = verdict_of("\\boxed{1} and \\boxed{-2}", "the roots are \\boxed{1}, \\boxed{-2}")
    assert verdict.details["gold_answers"] == ["1", "-2"]
    assert verdict.score == 1.0


def test_extraction_priority_option() -> None:
    text = "Answer: 7\n\nso \\boxed{8}"
    assert verdict_of(text, "8").score == 1.0
    answer_first = MathVerifier(MathOptions(extraction=("answer_colon", "boxed")))
    assert verdict_of(text, "7", answer_first).score == 1.0
    boxed_only = MathVerifier(MathOptions(extraction=("boxed",)))
    assert verdict_of("the answer is 7", "7", boxed_only).status == "no_answer"


def test_float_min_digits_option() -> None:
    assert verdict_of("\\boxed{0.333}", "\\frac13").score == 0.0
    loose = MathVerifier(MathOptions(float_min_digits=3))
    assert verdict_of("\\boxed{0.333}", "\\frac13", loose).score == 1.0


def test_percent_and_equation_options_can_be_turned_off() -> None:
    strict = MathVerifier(MathOptions(percent=False, equation_value=False))
    assert verdict_of("\\boxed{0.5}", "50\\%", strict).score == 0.0
    assert verdict_of("\\boxed{x=5}", "5", strict).score == 0.0


def test_options_are_validated_and_hashable() -> None:
    with pytest.raises(InvalidConfigError):
        MathVerifier.from_options({"extraction": ["nonsense"]})
    with pytest.raises(InvalidConfigError):
        MathVerifier.from_options({"tolerance": 1})
    built = MathVerifier.from_options(
        {"extraction": ["boxed", "last_number"], "float_min_digits": 8}
    )
    assert hash(built) == hash(
        MathVerifier.from_options({"extraction": ["boxed", "last_number"], "float_min_digits": 8})
    )


def test_registered_under_math_and_graded_by_the_engine() -> None:
    assert get_verifier("math") is MathVerifier
    samples = [
        {"completion": "<think>2+2</think> \\boxed{4}", "reference": "4"},
        {"completion": "\\boxed{5}", "reference": {"answer": "4"}},
        {"completion": "no idea", "reference": "4"},
    ]
    grades = grade(samples, {"math": 1.0}, workers=0)
    assert [g.reward for g in grades] == [1.0, 0.0, 0.0]
    assert grades[2].verdicts["math"].status == "no_answer"
