"""think_format: R1's template, strict and lenient."""

from __future__ import annotations

from typing import Any

import pytest
from verigrade.verifiers import Sample, get_verifier


def check(completion: str, prompt: str = "", **options: Any) -> float:
    verifier = get_verifier("think_format").from_options(options)
    verdict = verifier.verify(Sample(completion=completion, prompt=prompt))
    assert verdict.status == "ok"
    return verdict.score


@pytest.mark.parametrize(
    "completion, strict, lenient",
    [
        # R1's template (arXiv:2501.12948, table 1): reasoning in tags, then the answer.
        ("<think>2+2 is 4</think> The answer is 4.", 1.0, 1.0),
        ("<think>\n2+2 is 4\n</think>\nThe answer is 4.", 1.0, 1.0),
        # Preamble before the tags: strict wants the completion to open with <think>.
        ("Sure! <think>2+2 is 4</think> 4", 0.0, 1.0),
        # No answer after the reasoning.
        ("<think>2+2 is 4</think>", 0.0, 0.0),
        ("<think>2+2 is 4</think>   \n ", 0.0, 0.0),
        # Empty reasoning.
        ("<think> </think> 4", 0.0, 0.0),
        # No tags at all, or only one of them.
        ("The answer is 4.", 0.0, 0.0),
        ("<think>2+2 is 4 so the answer is 4", 0.0, 0.0),
        # Tags twice: a second reasoning block (a common hack to look compliant).
        ("<think>a</think><think>b</think> 4", 0.0, 0.0),
        ("<think>a</think> 4 <think>b</think> 5", 0.0, 0.0),
        # Tags out of order.
        ("</think> 4 <think>a", 0.0, 0.0),
        # A second opening tag inside the answer.
        ("<think>a</think> 4 <think>", 0.0, 0.0),
    ],
)
def test_template(completion: str, strict: float, lenient: float) -> None:
    assert check(completion) == strict
    assert check(completion, mode="lenient") == lenient


def test_opening_tag_prefilled_by_the_chat_template() -> None:
    # DeepSeek-R1's and Qwen3's templates end the prompt with "<think>\n".
    prompt = "<|User|>What is 2+2?<|Assistant|><think>\n"
    assert check("2+2 is 4\n</think>\n4", prompt=prompt) == 1.0
    assert check("2+2 is 4\n</think>\n4") == 0.0


def test_partial_credit_counts_each_check() -> None:
    assert check("<think>a</think> 4", partial_credit=True) == 1.0
    assert check("<think>a</think>", partial_credit=True) == 0.75  # no answer
    assert check("a</think> 4", partial_credit=True) == 0.75  # no opening tag
    assert check("a</think>", partial_credit=True) == 0.5  # no opening tag, no answer
    assert check("<think>a</think> 4 </think>", partial_credit=True) == 0.75  # closing tag twice


def test_partial_credit_on_text_without_tags() -> None:
    verifier = get_verifier("think_format").from_options({"partial_credit": True})
    verdict = verifier.verify(Sample(completion="no tags"))
    assert verdict.details["problems"] == [
        "<think> appears 0 times, expected once",
        "</think> appears 0 times, expected once",
        "no reasoning block",
        "nothing after </think>",
    ]
    assert verdict.score == 0.0


def test_newlines_option_wants_tags_on_their_own_lines() -> None:
    assert check("<think>\na\n</think>\n4", newlines=True) == 1.0
    assert check("<think>a</think> 4", newlines=True) == 0.0


def test_custom_tags_and_answer_tags() -> None:
    assert check("<reason>a</reason> 4", open_tag="<reason>", close_tag="</reason>") == 1.0
    assert check("<think>a</think> <answer>4</answer>", answer_tag="answer") == 1.0
    assert check("<think>a</think> 4", answer_tag="answer") == 0.0
    assert check("<think>a</think> <answer></answer>", answer_tag="answer") == 0.0


def test_chat_message_completions() -> None:
    verifier = get_verifier("think_format")()
    messages = [{"role": "assistant", "content": "<think>a</think> 4"}]
    assert verifier.verify(Sample(completion=messages)).score == 1.0


def test_details_name_the_problem() -> None:
    verdict = get_verifier("think_format")().verify(Sample(completion="<think>a</think>"))
    assert verdict.reason == "nothing after </think>"
    assert verdict.details["reasoning_chars"] == 1
