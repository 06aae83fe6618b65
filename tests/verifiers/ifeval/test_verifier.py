"""ifeval: reference formats, bad references, bad outputs, options, and the spec path."""

from __future__ import annotations

import json
from typing import Any

import pytest
from verigrade.verifiers import Sample, Verdict, get_verifier, grade, verifier_names

IFEVAL_REF = {
    "instruction_id_list": ["punctuation:no_comma", "change_case:english_lowercase"],
    "kwargs": [{}, {}],
}


def verify(completion: str, reference: Any, **options: Any) -> Verdict:
    verifier = get_verifier("ifeval").from_options(options)
    return verifier.verify(Sample(completion=completion, reference=reference))


@pytest.mark.parametrize(
    "completion, reference, expected",
    [
        # IFEval's own format; both instructions followed, then one, then none.
        ("the ocean is blue and deep.", IFEVAL_REF, 1.0),
        ("the ocean is blue, and deep.", IFEVAL_REF, 0.5),
        ("The Ocean, Blue.", IFEVAL_REF, 0.0),
        # Hugging Face rows carry every kwarg key, null where unused.
        (
            "Hi [name], see [place].",
            {
                "instruction_id_list": ["detectable_content:number_placeholders"],
                "kwargs": [{"num_placeholders": 2, "num_words": None, "relation": None}],
            },
            1.0,
        ),
        # allenai/RLVR-IFeval's ground_truth: a JSON string naming one function.
        ("hello world", json.dumps({"func_name": "validate_lowercase", "N": None}), 1.0),
        ("Hello World", json.dumps({"func_name": "validate_lowercase", "N": None}), 0.0),
        # RLVR counts without a quantifier are exact: "river" 2 times, not at least 2.
        ("river river", {"func_name": "verify_keyword_frequency", "word": "river", "N": 2}, 1.0),
        ("river river river", {"func_name": "verify_keyword_frequency", "word": "river", "N": 2}, 0.0),
        ("one two three", {"func_name": "validate_word_constraint", "N": 5, "quantifier": "at most"}, 1.0),
        ("a b c d e f g", {"func_name": "validate_word_constraint", "N": 5, "quantifier": "at most"}, 0.0),
        ("A or B? a)", {"func_name": "validate_choice", "options": ["a)", "b)"]}, 1.0),
        # open-instruct's IFEvalG form: a Python repr of a one-item list.
        (
            "the ocean is blue.",
            str([{"instruction_id": ["keywords:existence"], "kwargs": [{"keywords": ["ocean"]}]}]),
            1.0,
        ),
    ],
)  # fmt: skip
def test_scores(completion: str, reference: Any, expected: float) -> None:
    verdict = verify(completion, reference)
    assert verdict.status == "ok", verdict.reason
    assert verdict.score == expected


@pytest.mark.parametrize(
    "reference, phrase",
    [
        ({"instruction_id_list": ["keywords:nope"], "kwargs": [{}]}, "unknown instruction"),
        ({"instruction_id_list": ["punctuation:no_comma"], "kwargs": [{"x": 1}]}, "unexpected kwargs"),
        ({"instruction_id_list": ["keywords:existence"], "kwargs": [{}]}, "missing kwarg 'keywords'"),
        (
            {"instruction_id_list": ["length_constraints:number_words"],
             "kwargs": [{"num_words": 5, "relation": "about"}]},
            "must be one of",
        ),
        (
            {"instruction_id_list": ["length_constraints:number_words"],
             "kwargs": [{"num_words": "5", "relation": "at least"}]},
            "non-negative integer",
        ),
        (
            {"instruction_id_list": ["keywords:letter_frequency"],
             "kwargs": [{"letter": "ab", "let_frequency": 1, "let_relation": "at least"}]},
            "one letter",
        ),
        (
            {"instruction_id_list": ["length_constraints:nth_paragraph_first_word"],
             "kwargs": [{"num_paragraphs": 2, "nth_paragraph": 3, "first_word": "a"}]},
            "between 1 and num_paragraphs",
        ),
        ({"instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}, {}]}, "one per instruction"),
        ({"func_name": "validate_everything"}, "unknown func_name"),
        ({"func_name": "validate_lowercase", "N": 3}, "unexpected parameter 'N'"),
        ({"func_name": "validate_word_constraint", "N": 3}, "missing kwarg 'relation'"),
        ("{not json", "neither JSON"),
        (None, "got NoneType"),
        ({"kwargs": []}, "instruction_id_list"),
    ],
)  # fmt: skip
def test_malformed_references_are_invalid_input(reference: Any, phrase: str) -> None:
    verdict = verify("some answer", reference)
    assert verdict.status == "invalid_input"
    assert phrase in verdict.reason, verdict.reason


@pytest.mark.parametrize(
    "completion, status",
    [
        ("", "no_answer"),
        ("   \n", "no_answer"),
        ("<think>all thinking and no end", "no_answer"),
        ("<think>done</think>   ", "no_answer"),
    ],
)
def test_bad_output_gets_a_status_and_a_reason(completion: str, status: str) -> None:
    verdict = verify(completion, IFEVAL_REF)
    assert verdict.status == status and verdict.reason and verdict.score == 0.0


def test_reasoning_is_left_out_unless_asked() -> None:
    text = "<think>Thinking, With Capitals</think>\nthe ocean is blue."
    assert verify(text, IFEVAL_REF).score == 1.0
    assert verify(text, IFEVAL_REF, answer_only=False).score == 0.0


def test_loose_forgives_a_preamble_and_markdown() -> None:
    reference = {"instruction_id_list": ["startend:quotation"], "kwargs": [{}]}
    text = 'Sure, here it is:\n"the answer"'
    assert verify(text, reference).score == 0.0
    assert verify(text, reference, variant="loose").score == 1.0


def test_all_or_nothing_and_details() -> None:
    verdict = verify("the ocean is blue, and deep.", IFEVAL_REF, scoring="all_or_nothing")
    assert verdict.score == 0.0
    assert [(r["id"], r["followed"]) for r in verdict.details["instructions"]] == [
        ("punctuation:no_comma", False),
        ("change_case:english_lowercase", True),
    ]
    assert "1 commas" in verdict.details["instructions"][0]["note"]
    assert "not: punctuation:no_comma" in verdict.reason


@pytest.mark.parametrize(
    "text, language, expected",
    [
        ("Le chat dort sur le canapé depuis ce matin, il fait beau.", "fr", True),
        ("The cat has been sleeping on the sofa since this morning.", "fr", False),
        ("Der Hund spielt jeden Tag im großen Garten hinter dem Haus.", "de", True),
        ("هذه جملة مكتوبة باللغة العربية عن الطقس الجميل اليوم.", "ar", True),
    ],
)
def test_response_language(text: str, language: str, expected: bool) -> None:
    reference = {
        "instruction_id_list": ["language:response_language"],
        "kwargs": [{"language": language}],
    }
    assert verify(text, reference).score == float(expected)


def test_capitals_in_another_language_are_not_english() -> None:
    reference = {"instruction_id_list": ["change_case:english_capital"], "kwargs": [{}]}
    assert verify("THE CAT IS SLEEPING ON THE SOFA.", reference).score == 1.0
    assert verify("LE CHAT DORT SUR LE CANAPÉ DEPUIS CE MATIN.", reference).score == 0.0


def test_registered_listed_and_graded_through_a_spec() -> None:
    assert "ifeval" in verifier_names()
    samples = [
        {"completion": "the ocean is blue.", "reference": IFEVAL_REF},
        {"completion": "The ocean, blue.", "reference": IFEVAL_REF},
        {"completion": "x", "reference": {"instruction_id_list": ["nope"]}},
    ]
    spec = {"ifeval": {"weight": 2.0, "variant": "loose"}}
    grades = grade(samples, spec, workers=0)
    assert [g.reward for g in grades] == [2.0, 0.0, 0.0]
    assert grades[2].verdicts["ifeval"].status == "invalid_input"
    assert grade(samples, spec, workers=1)[0].to_dict() == grades[0].to_dict()
