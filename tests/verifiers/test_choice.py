"""The choice verifier on real multiple-choice outputs, hedges and near-misses.

Real outputs: ``shared/data/math_real_responses.jsonl`` rows ``math81-*`` are eight
Qwen2.5-Math answers to an AMC 8 question whose options are graphs A-E (gold A); they
discuss every option ("Graph B: ... does not match") before boxing one. The other
cases are written here in the forms the issue lists, marked as such, because the shared
data has no further multiple-choice outputs.
"""

from __future__ import annotations

import pytest
from verigrade.verifiers import InvalidConfigError, Sample, get_verifier, grade
from verigrade.verifiers.choice import ChoiceOptions, ChoiceVerifier

from .shared_data import shared_rows

VERIFIER = ChoiceVerifier()
OPTIONS = ["42 apples", "17", "9 pears", "none of these"]
REF = {"answer": "B", "options": OPTIONS}


def score(completion: str, reference: object = REF, verifier: ChoiceVerifier = VERIFIER) -> float:
    verdict = verifier.verify(Sample(completion=completion, reference=reference))
    assert verdict.status == "ok", verdict
    return verdict.score


def test_real_qwen_outputs_agree_with_their_graders_verdict() -> None:
    rows = [r for r in shared_rows("math_real_responses.jsonl") if r["id"].startswith("math81-")]
    assert len(rows) == 8
    for row in rows:
        verdict = VERIFIER.verify(Sample(row["completion"], reference=row["reference"]))
        # 7 box A (right), math81-3 boxes C after discussing every graph (wrong).
        assert verdict.score == float(row["qwen_grader_verdict"]), (row["id"], verdict)
        assert verdict.details["rule"] == "boxed"


@pytest.mark.parametrize(
    "completion, expected",
    [
        # The forms the issue names (written here), each choosing B.
        ("B", 1.0),
        ("(B)", 1.0),
        ("B)", 1.0),
        ("Answer: B", 1.0),
        ("the answer is B", 1.0),
        ("So the answer is (B).", 1.0),
        ("Therefore \\boxed{B}.", 1.0),
        ("\\boxed{\\text{(B)}}", 1.0),
        ("**Final Answer:** **B**", 1.0),
        ("<think>A looks tempting, but it is B.</think>\nThe correct option is B) 17", 1.0),
        ("Working it out...\n\n(B)", 1.0),
        # The option's text when the options are given.
        ("The answer is 17.", 1.0),
        ("Final answer: 17", 1.0),
        ("\\boxed{17}", 1.0),
        # Near-misses: another letter, another option's text.
        ("The answer is C.", 0.0),
        ("\\boxed{C}", 0.0),
        ("The answer is 42 apples.", 0.0),
        ("<think>the answer is B</think> The answer is D.", 0.0),
        # A correction replaces the earlier statement.
        ("The answer is C. Wait, I made a mistake: the answer is B.", 1.0),
        ("The answer is B. Actually, the answer is C.", 0.0),
    ],
)
def test_answer_forms(completion: str, expected: float) -> None:
    assert score(completion) == expected


@pytest.mark.parametrize(
    "completion",
    [
        # Hedges and option-listing (written here): all score 0 even though B is among them.
        "The answer is B or C.",
        "The answer is either B or D.",
        "Answer: B, C",
        "Answer: (B) or maybe (C)",
        "\\boxed{B} or \\boxed{C}",
        "\\boxed{A, B, C, D}",
        "The answer is A. The answer is B. The answer is C. The answer is D.",
        "Answer: B/C",
        # A letter whose text is another option's: a contradiction.
        "Answer: (B) 42 apples",
    ],
)
def test_hedges_and_contradictions_get_nothing(completion: str) -> None:
    verdict = VERIFIER.verify(Sample(completion=completion, reference=REF))
    assert (verdict.status, verdict.score) == ("ok", 0.0), verdict


@pytest.mark.parametrize(
    "completion",
    [
        "the answer is a prime",  # "a" is an article, not option A
        "I think B, because it is the best",  # no answer statement, not a lone letter
        "Because of this, nothing fits.",
        "",
    ],
)
def test_no_choice_is_no_answer(completion: str) -> None:
    verdict = VERIFIER.verify(Sample(completion=completion, reference=REF))
    assert (verdict.status, verdict.score) == ("no_answer", 0.0), verdict


def test_a_letter_past_the_options_scores_zero() -> None:
    verdict = VERIFIER.verify(Sample("Answer: F", reference=REF))
    assert (verdict.score, verdict.reason) == (0.0, "F is not one of the options")


def test_text_matching_can_be_switched_off() -> None:
    strict = ChoiceVerifier(ChoiceOptions(match_text=False))
    assert strict.verify(Sample("The answer is 17.", reference=REF)).status == "no_answer"
    assert score("The answer is (B).", verifier=strict) == 1.0


@pytest.mark.parametrize(
    "reference, gold",
    [
        ("B", "B"),
        ("(b)", "B"),
        ({"answer": 1, "options": OPTIONS}, "B"),  # MMLU/ARC's 0-based index
        ({"answer": "C", "options": {"A": "x", "B": "y", "C": "z"}}, "C"),
        ({"answer": "J"}, "J"),
    ],
)
def test_reference_forms(reference: object, gold: str) -> None:
    verdict = VERIFIER.verify(Sample(f"Answer: {gold}", reference=reference))
    assert (verdict.score, verdict.details["gold"]) == (1.0, gold)


@pytest.mark.parametrize(
    "reference, reason",
    [
        (None, "the answer must be a letter"),
        ("K", "the answer must be a letter A-J"),
        ("BC", "the answer must be a letter A-J"),
        ({"options": OPTIONS}, "no 'answer'"),
        ({"answer": "E", "options": OPTIONS}, "past the 4 options"),
        ({"answer": 7, "options": OPTIONS}, "out of range"),
        ({"answer": "A", "options": ["only one"]}, "between 2 and 10"),
        ({"answer": "A", "options": "A) x B) y"}, "must be a list"),
        ({"answer": "A", "options": {"B": "x", "A": "y"}}, "keyed A, B, C"),
    ],
)
def test_malformed_reference_is_invalid_input(reference: object, reason: str) -> None:
    verdict = VERIFIER.verify(Sample("Answer: A", reference=reference))
    assert verdict.status == "invalid_input"
    assert reason in verdict.reason


def test_registered_and_graded_through_a_spec() -> None:
    assert get_verifier("choice") is ChoiceVerifier
    results = grade(
        [{"completion": "Answer: B", "reference": "B"}, {"completion": "B or C", "reference": "B"}],
        {"choice": 1.0},
        workers=0,
    )
    assert [r.reward for r in results] == [1.0, 0.0]
    with pytest.raises(InvalidConfigError):
        grade([], {"choice": {"match_text": "sometimes"}}, workers=0)
