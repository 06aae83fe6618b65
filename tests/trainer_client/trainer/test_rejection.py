"""Rejection sampling (R1's third stage): model samples become ``select`` lines, and
what comes back is exactly what ``select``'s rules keep; plus a smoke run of the
four-stage reference run with tiny step counts."""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from verigrade.trainer_client.trainer.data import addition_split  # noqa: E402
from verigrade.trainer_client.trainer.grpo import load_model  # noqa: E402
from verigrade.trainer_client.trainer.rejection import (  # noqa: E402
    rejection_sample,
    sample_lines,
)
from verigrade.trainer_client.trainer.tokenizer import build_tiny_llama  # noqa: E402
from verigrade.verifiers import Grade, Sample, SelectOptions, Verdict  # noqa: E402

from .example_scripts import load_example  # noqa: E402


class EvenLengthGrader:
    """A grade backend for ``select``: reward 1 for an even-length completion, else 0.

    A random model's text is arbitrary, so a rule on its length splits it into kept and
    rejected without training; the rules ``select`` applies on top stay the real ones.
    """

    def __init__(self) -> None:
        self.graded = 0

    def submit(self, samples: Sequence[Sample], spec: Any, /) -> Future[list[Grade]]:
        future: Future[list[Grade]] = Future()
        grades = []
        for s in samples:
            score = float(len(str(s.completion)) % 2 == 0)
            grades.append(Grade(s.id, score, {"even": Verdict(score)}))
        self.graded += len(grades)
        future.set_result(grades)
        return future


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Any]:
    path = tmp_path_factory.mktemp("rs") / "model"
    build_tiny_llama(path, hidden_size=32, num_layers=2, num_heads=2, intermediate_size=64)
    return load_model(str(path))


def test_sample_lines_mark_eos_and_truncation(tiny: tuple[Any, Any]) -> None:
    model, tokenizer = tiny
    examples = addition_split(max_operand=9, n_eval=0)[0][:5]
    lines = list(sample_lines(model, tokenizer, examples, n=6, max_new_tokens=12, seed=3))
    assert [line["prompt"] for line in lines] == [ex.prompt for ex in examples]
    reasons = [r for line in lines for r in line["finish_reasons"]]
    assert len(reasons) == 30 and {"stop", "length"} <= set(reasons)
    for line in lines:
        assert line["reference"] == examples[lines.index(line)].reference
        for text, reason in zip(line["completions"], line["finish_reasons"], strict=True):
            # EOS is one of the 12 tokens and is not decoded (one character per token)
            assert reason == "length" or len(text) <= 11, (text, reason)
    again = list(sample_lines(model, tokenizer, examples, n=6, max_new_tokens=12, seed=3))
    assert again == lines  # seeded: the same samples


def test_rejection_keeps_what_select_keeps(tiny: tuple[Any, Any]) -> None:
    model, tokenizer = tiny
    examples = addition_split(max_operand=9, n_eval=0)[0][:8]
    options = SelectOptions(min_reward=1.0, best_k=1)
    grader = EvenLengthGrader()
    result = rejection_sample(
        model,
        tokenizer,
        examples,
        "think_format",
        options,
        n=8,
        max_new_tokens=12,
        seed=5,
        grader=grader,
    )
    lines = list(sample_lines(model, tokenizer, examples, n=8, max_new_tokens=12, seed=5))
    expected = []
    for line in lines:
        # select's rules, for this input: finished, even length, first such in input order
        good = [
            c
            for c, r in zip(line["completions"], line["finish_reasons"], strict=True)
            if r == "stop" and len(c) % 2 == 0
        ]
        expected += [(line["prompt"], good[0])] if good else []
    assert result.pairs == expected and expected
    assert result.completions == 64 == sum(result.outcomes.values())
    assert result.outcomes["truncated"] > 0 and result.outcomes["below_min_reward"] > 0
    assert result.prompts == 8 and result.prompts_kept == len(expected)


def test_rejection_refuses_no_samples(tiny: tuple[Any, Any]) -> None:
    model, tokenizer = tiny
    examples = addition_split(max_operand=9, n_eval=0)[0][:2]
    with pytest.raises(ValueError, match="n must be at least 1"):
        list(sample_lines(model, tokenizer, examples, n=0, max_new_tokens=4))


def test_reference_run_four_stages_smoke(tmp_path: Path) -> None:
    """The committed script end to end with tiny step counts, graded in-process."""
    run = load_example("reference_run")
    recipe = run.recipe_with(
        [
            "sft_examples=20",
            "sft_steps=2",
            "grpo_steps=2",
            "prompts_per_step=2",
            "num_generations=2",
            "max_new_tokens=8",
            "eval_examples=4",
            "curve_examples=2",
            "eval_every=1",
            "k=2",
            "rs_prompts=3",
            "rs_samples=4",
            "rs_sft_steps=2",
            "grpo2_steps=2",
        ]
    )
    accuracy = run.default_accuracy()
    run.run_seed(0, accuracy, None, tmp_path, recipe)
    record = json.loads((tmp_path / "seed0.json").read_text())
    assert list(record["stages"]) == ["sft", "grpo", "rs_sft", "grpo2"]
    for metrics in record["stages"].values():
        assert set(metrics) == {"greedy_accuracy", "pass@2", "sample_accuracy", "greedy_format"}
    rejection = record["rejection"]
    assert rejection["prompts"] == 3 and rejection["completions"] == 12
    assert sum(rejection["outcomes"].values()) == 12
    assert [h["step"] for h in record["grpo2"]["history"]] == [1, 2]
    assert [c["step"] for c in record["grpo"]["curve"]] == [0, 1, 2]
    table = run.summarise(tmp_path, [0], recipe)
    assert "4 GRPO again" in table and (tmp_path / "reference_run.png").stat().st_size > 0
    with pytest.raises(SystemExit, match="NAME=VALUE"):
        run.recipe_with(["no_such_field=1"])


def test_evaluate_greedy_only(tiny: tuple[Any, Any]) -> None:
    """``n=0`` skips the sampled answers (for a 135M model on CPU) and changes nothing
    in the greedy figures."""
    from verigrade.trainer_client.trainer.evaluate import evaluate
    from verigrade.trainer_client.trainer.rewards import FunctionRewards

    model, tokenizer = tiny
    examples = addition_split(max_operand=9, n_eval=0)[0][:6]
    calls: list[int] = []

    def score(samples: list[dict[str, Any]]) -> list[dict[str, float]]:
        calls.append(len(samples))
        return [
            {"acc": float(len(s["completion"]) % 2 == 0), "fmt": float("1" in s["completion"])}
            for s in samples
        ]

    rewards = FunctionRewards(score)
    kw: dict[str, Any] = {"accuracy": "acc", "fmt": "fmt", "max_new_tokens": 6, "seed": 1}
    greedy_only = evaluate(model, tokenizer, examples, rewards, k=1, n=0, **kw)
    assert calls == [6]
    both = evaluate(model, tokenizer, examples, rewards, k=2, **kw)
    assert set(greedy_only) == {"greedy_accuracy", "greedy_format"}
    assert {k: both[k] for k in greedy_only} == greedy_only
    assert set(both) == {"greedy_accuracy", "greedy_format", "pass@2", "sample_accuracy"}
