"""length and repetition: hand-computed values."""

from __future__ import annotations

import math
from typing import Any

import pytest
from verigrade.verifiers import InvalidConfigError, Sample, Verdict, get_verifier


def length(text: str, metadata: dict[str, Any] | None = None, **options: Any) -> Verdict:
    verifier = get_verifier("length").from_options(options)
    return verifier.verify(Sample(completion=text, metadata=metadata or {}))


@pytest.mark.parametrize(
    "tokens, expected",
    [
        # DAPO eq. 13 with L_max = 100, L_cache = 20: free up to 80 tokens.
        (0, 0.0),
        (80, 0.0),
        (81, -1 / 20),
        (90, -10 / 20),
        (100, -20 / 20),
        (101, -1.0),
        (10_000, -1.0),
    ],
)
def test_dapo_soft_overlong_penalty(tokens: int, expected: float) -> None:
    verdict = length("x", {"completion_tokens": tokens}, max_length=100, cache_length=20)
    assert verdict.score == pytest.approx(expected)
    assert verdict.details["source"] == "metadata.completion_tokens"


def test_token_count_is_estimated_and_said_so_without_metadata() -> None:
    verdict = length("x" * 400, max_length=100, cache_length=20)
    assert verdict.details["length"] == 100
    assert "estimate" in verdict.details["source"]


def test_chars_and_words_units() -> None:
    # L_max = 4, L_cache = 2: free up to 2 words, -0.5 at 3, -1 past 4.
    assert length("a b", unit="words", max_length=4, cache_length=2).score == 0.0
    assert length("a b c", unit="words", max_length=4, cache_length=2).score == -0.5
    assert length("a b c d e", unit="words", max_length=4, cache_length=2).score == -1.0
    assert length("abcd", unit="chars", max_length=4, cache_length=2).score == -1.0


@pytest.mark.parametrize(
    "tokens, expected",
    [
        # Cosine from 1.0 at L=0 to 0.5 at L_max=100 (Yeo et al. 2025, correct answers).
        (0, 1.0),
        (50, 0.5 + 0.5 * (1 + math.cos(math.pi / 2)) / 2),
        (100, 0.5),
        (101, -1.0),
    ],
)
def test_cosine_length_reward(tokens: int, expected: float) -> None:
    verdict = length("x", {"completion_tokens": tokens}, mode="cosine", max_length=100)
    assert verdict.score == pytest.approx(expected)


def test_cosine_uses_a_correctness_verifier() -> None:
    good = "<think>fine</think> answer"
    bad = "no tags"
    options = {"mode": "cosine", "max_length": 100, "correctness": "think_format"}
    right = length(good, {"completion_tokens": 0}, **options)
    wrong = length(bad, {"completion_tokens": 0}, **options)
    assert right.details["correct"] is True and right.score == 1.0
    assert wrong.details["correct"] is False and wrong.score == -0.5


def test_cache_band_must_fit_in_the_budget() -> None:
    with pytest.raises(InvalidConfigError, match="cache_length"):
        get_verifier("length").from_options({"max_length": 10, "cache_length": 10})


def repetition(text: str, **options: Any) -> float:
    return get_verifier("repetition").from_options(options).verify(Sample(completion=text)).score


def test_repetition_penalty_is_the_share_of_repeated_ngrams() -> None:
    assert repetition("the cat sat on the mat") == 0.0
    # 8 words -> 6 trigrams; "a b c" x2 + "a b": trigrams abc bca cab abc bca cab -> 3 distinct.
    assert repetition("a b c a b c a b") == pytest.approx(-(1 - 3 / 6))
    # Endless repetition approaches max_penalty.
    assert repetition("go " * 1000) == pytest.approx(-(1 - 1 / 998))
    assert repetition("go " * 1000, max_penalty=-0.5) == pytest.approx(-0.5 * (1 - 1 / 998))


def test_repetition_on_short_text_and_characters() -> None:
    assert repetition("a b") == 0.0
    assert repetition("哈哈哈哈哈哈", unit="chars", ngram_size=2) == pytest.approx(-(1 - 1 / 5))


def test_repetition_penalty_must_not_be_positive() -> None:
    with pytest.raises(InvalidConfigError):
        get_verifier("repetition").from_options({"max_penalty": 1.0})
