"""TRL's real ``GRPOTrainer`` runs docs/server.md's recipe for two steps with a tiny model
built here (nothing downloaded); the rewards TRL computed equal ``verigrade grade``."""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import pytest
from verigrade.verifiers import grade

from tests.server.support import LiveServer

from .recipes import blocks

# TRL 1.16 still sets the argument transformers 5.25 renamed; not ours to fix.
pytestmark = pytest.mark.filterwarnings(
    "ignore:`[a-z_]*gradient_checkpointing[a-z_]*` is deprecated:FutureWarning"
)

pytest.importorskip("trl", reason="trl is not installed (scripts/setup.sh installs it)")


def test_trl_grpo_trainer_runs_the_recipe(server: LiveServer, tmp_path: Path) -> None:
    from datasets import Dataset
    from trl import GRPOConfig
    from verigrade.trainer_client.trainer.tokenizer import build_tiny_llama

    # A vocabulary of "0", "1" and " ": a random model's answers end in 0 or 1 about
    # half the time each, so the math reward differs between completions.
    model = build_tiny_llama(
        tmp_path / "model", chars="01 ", hidden_size=32, num_layers=2, num_heads=2,
        intermediate_size=64,
    )  # fmt: skip
    answers = {"1 0 1": "1", "0 0 1": "0", "1 1": "1", "0 1 0": "0"}
    dataset = Dataset.from_list([{"prompt": p, "answer": a} for p, a in answers.items()])
    args = GRPOConfig(
        output_dir=str(tmp_path / "out"),
        max_steps=2,
        per_device_train_batch_size=4,
        num_generations=4,
        steps_per_generation=2,  # one generation of 8 completions feeds both steps
        max_completion_length=8,
        learning_rate=1e-3,
        reward_weights=[1.0, 0.2],
        report_to="none",
        save_strategy="no",
        logging_steps=1,
        use_cpu=True,
        seed=0,
    )
    (code,) = blocks("TRL", "python")
    scope: dict[str, Any] = {
        "url": server.url,
        "model": str(model),
        "dataset": dataset,
        "args": args,
    }
    exec(compile(code, "docs/server.md (TRL recipe)", "exec"), scope)

    trainer = scope["trainer"]
    assert trainer.state.global_step == 2
    logs = trainer._logs  # TRL's record of the last generation: prompts, completions, rewards
    completions, prompts = list(logs["completion"]), list(logs["prompt"])
    assert len(completions) == 8
    want = grade(
        [
            {"completion": c, "reference": answers[p]}
            for p, c in zip(prompts, completions, strict=True)
        ],
        {"math": 1.0, "think_format": 0.2},
    )
    assert list(logs["rewards"]["verigrade_math"]) == [g.verdicts["math"].score for g in want]
    assert list(logs["rewards"]["format"]) == [g.verdicts["think_format"].score for g in want]
    assert len(set(logs["rewards"]["verigrade_math"])) == 2, completions  # rewards vary
    scope.clear()
    gc.collect()  # the recipe's clients, never closed by it, close as they are collected
