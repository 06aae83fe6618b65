"""The GRPO trainer's reward metrics with a routed spec: samples carry different labels."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch", reason="the trainer needs the [train] extra (torch)")

from verigrade.trainer_client.trainer.grpo import generate, step_metrics  # noqa: E402
from verigrade.verifiers import grade  # noqa: E402

from tests.trainer_client.trainer.test_grpo_math import ScriptedLM  # noqa: E402

SPEC = {
    "route": {
        "field": "data_source",
        "specs": {"gsm8k": {"math": 1.0, "think_format": 0.1}, "chat": {"think_format": 1.0}},
    }
}


def test_each_label_s_mean_is_over_the_samples_that_have_it() -> None:
    grades = grade(
        [
            {"completion": "<think>a</think> \\boxed{4}", "reference": "4", "data_source": "chat"},
            {"completion": "<think>a</think> \\boxed{5}", "reference": "4", "data_source": "gsm8k"},
        ],
        SPEC,
        workers=0,
    )
    assert [list(g.verdicts) for g in grades] == [["think_format"], ["math", "think_format"]]
    rollout = generate(
        ScriptedLM([[3, 2], [4, 4]]), [[1], [1]], max_new_tokens=2, eos_id=2, pad_id=0, greedy=True
    )
    metrics = step_metrics(
        1,
        rollout=rollout,
        rewards=torch.tensor([g.reward for g in grades]),
        grades=grades,
        group_size=2,
        update_sums={},
        n_updates=1,
        eos_id=2,
        clock=(0.0, 1.0, 2.0, 3.0),
    )
    assert metrics["reward/think_format"] == 1.0
    assert metrics["reward/math"] == 0.0  # one gsm8k sample, wrong
