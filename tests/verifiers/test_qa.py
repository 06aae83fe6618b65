"""The qa verifier: SQuAD normalisation, exact match and F1, extraction, real outputs.

Real outputs: ``shared/data/math_real_responses.jsonl`` (Qwen2.5-Math on MATH) rows whose
gold is a bare integer are short-answer QA: qa's exact match must agree with Qwen's own
grader on every one. The other tables are written here (marked so): SQuAD's published
normalisation examples and the answer forms the issue names, with near-misses.
"""

from __future__ import annotations

import re

import pytest
from verigrade.verifiers import Sample, Verdict, get_verifier, grade
from verigrade.verifiers.qa import QAOptions, QAVerifier, normalize_answer, token_f1

from .shared_data import shared_rows

EM = QAVerifier()
F1 = QAVerifier(QAOptions(metric="f1"))


def verdict(completion: str, reference: object, verifier: QAVerifier = EM) -> Verdict:
    return verifier.verify(Sample(completion=completion, reference=reference))


def test_exact_match_agrees_with_qwens_grader_on_real_integer_answers() -> None:
    rows = [
        r
        for r in shared_rows("math_real_responses.jsonl")
        if re.fullmatch(r"-?\d+", r["reference"])
    ]
    assert len(rows) > 500
    disagreements = [
        r["id"]
        for r in rows
        if (verdict(r["completion"], r["reference"]).score == 1.0) != r["qwen_grader_verdict"]
    ]
    assert disagreements == []
    # The answers are read from the last \boxed{} of each chain of thought.
    assert verdict(rows[0]["completion"], rows[0]["reference"]).details["rule"] == "boxed"


def test_a_gold_that_is_only_an_article_is_invalid_input() -> None:
    # Real: math81's gold is the option letter "A", which SQuAD normalisation erases.
    row = next(r for r in shared_rows("math_real_responses.jsonl") if r["id"] == "math81-0")
    v = verdict(row["completion"], row["reference"])
    assert v.status == "invalid_input"
    assert "empty after normalisation" in v.reason


@pytest.mark.parametrize(
    "raw, normal",
    [
        ("The Eiffel Tower", "eiffel tower"),
        ("  Paris.  ", "paris"),
        ("an apple, a pear", "apple pear"),
        ("“Hamlet”", "hamlet"),  # Unicode quotes go too (our one deviation from SQuAD)
        ("U.S.A.", "usa"),
        ("theory", "theory"),  # articles are whole words only
    ],
)
def test_squad_normalisation(raw: str, normal: str) -> None:
    assert normalize_answer(raw) == normal


def test_token_f1_is_squads() -> None:
    assert token_f1("eiffel tower", "eiffel tower") == 1.0
    assert token_f1("tower", "eiffel tower") == pytest.approx(2 / 3)
    assert token_f1("paris or lyon", "paris") == pytest.approx(0.5)
    assert token_f1("london", "paris") == 0.0


@pytest.mark.parametrize(
    "completion, golds, expected, rule",
    [
        # Written here: the answer forms.
        ("<think>hmm</think><answer>The Eiffel Tower</answer>", "Eiffel Tower", 1.0, "tag"),
        ("It is tall.\n\\boxed{\\text{Paris}}", ["Paris", "Paris, France"], 1.0, "boxed"),
        (
            "Some reasoning.\nFinal answer: Paris, France.",
            ["Paris", "Paris, France"],
            1.0,
            "final_answer",
        ),
        ("**Answer:** paris", "Paris", 1.0, "final_answer"),
        ("Let me think.\nParis", "Paris", 1.0, "last_line"),
        # Near-misses.
        ("<answer>Lyon</answer>", "Paris", 0.0, "tag"),
        ("Final answer: Paris or Lyon", "Paris", 0.0, "final_answer"),
        ("The answer is Paris, the capital.", "Paris", 0.0, "final_answer"),
        ("<think><answer>Paris</answer></think> Lyon", "Paris", 0.0, "last_line"),
        # A group of different boxes is a hedge.
        ("\\boxed{Paris} or \\boxed{Lyon}", "Paris", 0.0, "boxed"),
    ],
)
def test_exact_match(completion: str, golds: object, expected: float, rule: str) -> None:
    v = verdict(completion, golds)
    assert (v.status, v.score, v.details["rule"]) == ("ok", expected, rule), v


@pytest.mark.parametrize(
    "completion, golds, expected",
    [
        ("Final answer: Paris or Lyon", "Paris", 0.5),
        ("<answer>the tower</answer>", ["Eiffel Tower", "tower"], 1.0),  # best gold wins
        ("<answer>Eiffel</answer>", "Eiffel Tower", 2 / 3),
        ("<answer>London</answer>", "Paris", 0.0),
    ],
)
def test_f1(completion: str, golds: object, expected: float) -> None:
    assert verdict(completion, golds, F1).score == pytest.approx(expected)


def test_extraction_order_is_an_option() -> None:
    text = "<answer>Lyon</answer>\nFinal answer: Paris"
    assert verdict(text, "Paris").score == 0.0
    only_final = QAVerifier(QAOptions(extraction=("final_answer",)))
    assert verdict(text, "Paris", only_final).score == 1.0
    tag_only = QAVerifier(QAOptions(extraction=("tag",)))
    assert verdict("Paris", "Paris", tag_only).status == "no_answer"


@pytest.mark.parametrize("completion", ["", "   \n ", " . \n - ", "<think>Paris</think>"])
def test_nothing_to_read_is_no_answer(completion: str) -> None:
    assert verdict(completion, "Paris").status == "no_answer"


@pytest.mark.parametrize(
    "reference, reason",
    [
        (None, "expected a string"),
        ([], "no gold answers"),
        ([1, 2], "expected a string"),
        ({"answer": "x"}, "expected a string"),
        ("the", "empty after normalisation"),
        (["x"] * 1001, "over the limit"),
    ],
)
def test_malformed_reference_is_invalid_input(reference: object, reason: str) -> None:
    v = verdict("Paris", reference)
    assert v.status == "invalid_input"
    assert reason in v.reason


def test_registered_and_graded_through_a_spec() -> None:
    assert get_verifier("qa") is QAVerifier
    results = grade(
        [{"completion": "Final answer: Paris", "reference": {"answers": ["Paris"]}}],
        {"qa": {"metric": "f1"}},
        workers=0,
    )
    assert results[0].reward == 1.0
