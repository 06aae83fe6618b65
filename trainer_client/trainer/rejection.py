"""Rejection sampling, R1's third stage: sample several completions per prompt from a
policy, grade them, keep what ``verigrade select`` keeps, and return SFT pairs.

The choosing is ``verigrade.verifiers.select`` itself (not a copy of its rules): this
module only turns model samples into the lines ``select`` reads, with a
``finish_reason`` per completion so that truncated ones (no EOS within the budget) are
dropped by ``select``'s own truncation rule.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from verigrade.verifiers import SelectOptions, SpecLike, select

from .data import Example
from .grpo import decode_completions, encode_prompt, generate


@dataclass(frozen=True)
class RejectionResult:
    """What a rejection-sampling pass kept, and how every completion fared."""

    pairs: list[tuple[str, str]]
    """``(prompt, completion)`` SFT pairs, prompts in input order, best first."""
    outcomes: dict[str, int] = field(default_factory=dict)
    """``select``'s outcome counts (kept, below_min_reward, duplicate, truncated, ...)."""
    completions: int = 0
    """Completions sampled (the outcomes add up to this)."""
    prompts: int = 0
    """Prompts sampled."""
    prompts_kept: int = 0
    """Prompts with at least one completion kept."""


def sample_lines(
    model: Any,
    tokenizer: Any,
    examples: Sequence[Example],
    *,
    n: int,
    max_new_tokens: int,
    temperature: float = 1.0,
    batch_size: int = 512,
    seed: int = 0,
    use_chat_template: bool = False,
) -> Iterator[dict[str, Any]]:
    """``n`` sampled completions per example, one ``select`` input line per example
    (``{"prompt", "reference", "metadata", "completions", "finish_reasons"}``).

    ``finish_reason`` is ``"stop"`` when the completion ended with EOS and ``"length"``
    when it ran out of tokens, as vLLM and OpenAI write it.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    eos, pad = int(tokenizer.eos_token_id), int(tokenizer.pad_token_id)
    generator = torch.Generator(device=next(model.parameters()).device).manual_seed(seed)
    per_batch = max(1, batch_size // n)  # whole groups per batch, so a line is never split
    was_training = model.training
    model.eval()
    try:
        for start in range(0, len(examples), per_batch):
            chunk = examples[start : start + per_batch]
            prompts = [
                encode_prompt(tokenizer, ex.prompt, use_chat_template)
                for ex in chunk
                for _ in range(n)
            ]
            rollout = generate(
                model,
                prompts,
                max_new_tokens=max_new_tokens,
                eos_id=eos,
                pad_id=pad,
                temperature=temperature,
                generator=generator,
            )
            texts = decode_completions(tokenizer, rollout)
            lengths = rollout.completion_mask.sum(1).long()
            ended = [
                int(n_tok) > 0 and int(row[int(n_tok) - 1]) == eos
                for row, n_tok in zip(rollout.completions, lengths, strict=True)
            ]
            for j, ex in enumerate(chunk):
                rows = range(j * n, (j + 1) * n)
                yield {
                    "prompt": ex.prompt,
                    "reference": ex.reference,
                    "metadata": ex.metadata,
                    "completions": [texts[i] for i in rows],
                    "finish_reasons": ["stop" if ended[i] else "length" for i in rows],
                }
    finally:
        model.train(was_training)


def rejection_sample(
    model: Any,
    tokenizer: Any,
    examples: Sequence[Example],
    spec: SpecLike,
    options: SelectOptions,
    *,
    n: int,
    max_new_tokens: int,
    temperature: float = 1.0,
    seed: int = 0,
    grader: Any = None,
    use_chat_template: bool = False,
) -> RejectionResult:
    """Sample ``n`` completions per example and keep what ``select`` keeps.

    Args:
        grader: where ``select`` grades: ``None`` grades in this process (the engine);
            ``verigrade.trainer_client.ServerGrader(url)`` grades on a server.

    Raises:
        ValueError: a kept SFT row is not a plain prompt/completion pair of strings.
    """
    lines = sample_lines(
        model,
        tokenizer,
        examples,
        n=n,
        max_new_tokens=max_new_tokens,
        temperature=temperature,
        seed=seed,
        use_chat_template=use_chat_template,
    )
    pairs: list[tuple[str, str]] = []
    outcomes: Counter[str] = Counter()
    prompts = prompts_kept = 0
    for selection in select(lines, spec, options, grader=grader, workers=0):
        prompts += 1
        outcomes.update(d.outcome for d in selection.decisions)
        prompts_kept += bool(selection.sft)
        for row in selection.sft:
            prompt, completion = row.get("prompt"), row.get("completion")
            if not isinstance(prompt, str) or not isinstance(completion, str):
                raise ValueError(f"select wrote a row that is not prompt/completion text: {row}")
            pairs.append((prompt, completion))
    return RejectionResult(
        pairs=pairs,
        outcomes=dict(outcomes),
        completions=sum(outcomes.values()),
        prompts=prompts,
        prompts_kept=prompts_kept,
    )
