"""Held-out evaluation: greedy accuracy and pass@k, graded by the same verifiers."""

from __future__ import annotations

from collections.abc import Sequence
from math import comb
from typing import Any

import torch

from .data import Example
from .grpo import decode_completions, encode_prompt, generate
from .rewards import RewardSource


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k from ``c`` correct out of ``n`` samples (Chen et al. 2021,
    arXiv:2107.03374 §2.1): ``1 - C(n - c, k) / C(n, k)``."""
    if n - c < k:
        return 1.0
    return 1.0 - comb(n - c, k) / comb(n, k)


def evaluate(
    model: Any,
    tokenizer: Any,
    examples: Sequence[Example],
    rewards: RewardSource,
    *,
    accuracy: str,
    fmt: str | None = None,
    k: int = 8,
    n: int | None = None,
    temperature: float = 1.0,
    max_new_tokens: int = 64,
    batch_size: int = 512,
    seed: int = 0,
) -> dict[str, float]:
    """Greedy accuracy, format rate and pass@k on ``examples``.

    A completion is correct when the ``accuracy`` verdict (e.g. ``"math"``) scores 1;
    ``fmt`` names the format verdict to report. pass@k uses ``n`` (default ``k``)
    samples per prompt at ``temperature``; ``n=0`` measures greedy decoding only (for
    models where sampling ``k`` answers per prompt costs too much).
    """
    n = k if n is None else n
    eos, pad = int(tokenizer.eos_token_id), int(tokenizer.pad_token_id)
    prompts = [encode_prompt(tokenizer, ex.prompt) for ex in examples]
    generator = torch.Generator(device=next(model.parameters()).device).manual_seed(seed)

    def run(rows: list[int], greedy: bool) -> list[Any]:
        grades: list[Any] = []
        for start in range(0, len(rows), batch_size):
            chunk = rows[start : start + batch_size]
            rollout = generate(
                model,
                [prompts[i] for i in chunk],
                max_new_tokens=max_new_tokens,
                eos_id=eos,
                pad_id=pad,
                temperature=temperature,
                greedy=greedy,
                generator=generator,
            )
            texts = decode_completions(tokenizer, rollout)
            grades.extend(
                rewards.grade(
                    [
                        {
                            "prompt": examples[i].prompt,
                            "completion": t,
                            "reference": examples[i].reference,
                            "metadata": examples[i].metadata,
                        }
                        for i, t in zip(chunk, texts, strict=True)
                    ]
                )
            )
        return grades

    was_training = model.training
    model.eval()
    greedy = run(list(range(len(examples))), greedy=True)
    sampled = run([i for i in range(len(examples)) for _ in range(n)], greedy=False)
    model.train(was_training)

    def correct(g: Any) -> bool:
        return float(g.verdicts[accuracy].score) >= 1.0

    result = {"greedy_accuracy": sum(map(correct, greedy)) / len(greedy)}
    if n:
        result[f"pass@{k}"] = sum(
            pass_at_k(n, sum(map(correct, sampled[i * n : (i + 1) * n])), k)
            for i in range(len(examples))
        ) / len(examples)
        result["sample_accuracy"] = sum(map(correct, sampled)) / len(sampled)
    if fmt is not None:
        result["greedy_format"] = sum(float(g.verdicts[fmt].score) for g in greedy) / len(greedy)
    return result
