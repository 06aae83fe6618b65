"""The R1-Zero example's tasks and rewards, without its 135M model: the questions carry
their answers, train and held-out prompts are disjoint, and the reward it trains on and
the one it reports grade a pre-filled ``<think>`` completion as the README says."""

from __future__ import annotations

import re
from typing import Any

import pytest
from verigrade.verifiers import grade

from .example_scripts import ROOT, load_example


@pytest.fixture(scope="module")
def r1() -> Any:
    return load_example("r1_zero_smollm2")


def test_add_words_answers_and_split(r1: Any) -> None:
    rows = r1.add_words(50, r1.TRAIN_SEED)
    for question, answer in rows:
        a, b = (int(x) for x in re.findall(r"\d+", question))
        assert answer == str(a + b)
    assert r1.add_words(50, r1.TRAIN_SEED) == rows  # seeded
    assert r1.add_words(50, r1.EVAL_SEED) != rows


class _Ex:
    def __init__(self, prompt: str) -> None:
        self.prompt = prompt


def test_disjoint_drops_held_out_prompts(r1: Any) -> None:
    train = [_Ex("a"), _Ex("b"), _Ex("c")]
    assert [e.prompt for e in r1.disjoint(train, [_Ex("b")])] == ["a", "c"]


def test_rewards_on_a_prefilled_think(r1: Any) -> None:
    prompt = "<|im_start|>user\nSam has 7 apples...<|im_end|>\n<|im_start|>assistant\n<think>"
    samples = [
        {"prompt": prompt, "completion": " 7 + 5 = 12 </think> 12", "reference": "12"},
        {"prompt": prompt, "completion": "\n7 + 5 = 12\n\nThe answer is 12.", "reference": "12"},
        {"prompt": prompt, "completion": " 7 + 5 = 13 </think> 13", "reference": "12"},
    ]
    strict = grade(samples, r1.EVAL_SPEC, workers=0)
    # R1's template with the opening tag pre-filled gets full format credit; ``math``
    # reads the last number when there is no </think>, so accuracy does not need the tag
    assert [g.verdicts["think_format"].score for g in strict] == [1.0, 0.0, 1.0]
    assert [g.verdicts["math"].score for g in strict] == [1.0, 1.0, 0.0]
    assert [g.reward for g in strict] == [1.5, 1.0, 0.5]
    shaped = grade(samples, r1.SPEC, workers=0)
    # partial credit: the unclosed answer keeps the pre-filled opening tag's 0.25 only,
    # so within a group closing the tag is worth 0.375 more
    assert [g.verdicts["think_format"].score for g in shaped] == [1.0, 0.25, 1.0]
    assert [g.reward for g in shaped] == [1.5, 1.125, 0.5]


def test_committed_run_and_samples_say_what_the_readme_says(r1: Any) -> None:
    import json

    results = ROOT / "examples" / "r1_zero_smollm2" / "results"
    run = json.loads((results / "run.json").read_text())
    assert run["recipe"]["steps"] == len(run["history"]) == 40
    assert run["before"] == {"greedy_accuracy": 0.28, "greedy_format": 0.0}
    assert run["after"] == {"greedy_accuracy": 0.81, "greedy_format": 1.0}
    second = json.loads((results / "seed1" / "run.json").read_text())
    assert (second["recipe"]["seed"], len(second["history"])) == (1, 40)
    assert second["after"] == {"greedy_accuracy": 0.85, "greedy_format": 1.0}
    readme = (ROOT / "examples" / "r1_zero_smollm2" / "README.md").read_text()
    assert "| held-out greedy accuracy (100 prompts) | 0.28 | **0.81** |" in readme
    # The greedy completions (the pre-filled <think> included), graded with the reward
    # the held-out figures use: the released model never closes the tag, the trained one
    # always does, with the right sum after it.
    samples = json.loads((results / "samples.json").read_text())
    for name, format_score, correct in (("base", 0.0, 4), ("after 40 steps", 1.0, 6)):
        rows = [{"completion": s["completion"], "reference": s["reference"]} for s in samples[name]]
        grades = grade(rows, r1.EVAL_SPEC, workers=0)
        assert {g.verdicts["think_format"].score for g in grades} == {format_score}
        assert sum(g.verdicts["math"].score for g in grades) == correct
