"""Cold-start supervised fine-tuning: R1's short SFT on formatted examples before RL.

The loss is the usual next-token cross-entropy on the completion (and its EOS) only;
prompt tokens are context, not targets.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import torch

IGNORE = -100
"""Label that ``CrossEntropyLoss`` skips (Hugging Face's convention)."""


def sft(
    model: Any,
    tokenizer: Any,
    pairs: Sequence[tuple[str, str]],
    *,
    steps: int,
    batch_size: int = 32,
    learning_rate: float = 1e-3,
    warmup: int = 20,
    seed: int = 0,
) -> list[float]:
    """Train on ``(prompt, completion)`` pairs for ``steps`` updates; returns the losses.

    Batches are drawn with a seeded shuffle, right-padded, and the learning rate warms
    up linearly over ``warmup`` steps then decays on a cosine to 10%.

    Raises:
        ValueError: ``pairs`` is empty.
    """
    if not pairs:
        raise ValueError("sft needs at least one (prompt, completion) pair")
    device = next(model.parameters()).device
    eos = int(tokenizer.eos_token_id)
    pad = int(tokenizer.pad_token_id)
    encoded = []
    for prompt, completion in pairs:
        p = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        c = tokenizer(completion, add_special_tokens=False)["input_ids"] + [eos]
        encoded.append((list(p), list(c)))
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=0.0)

    def lr_at(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, steps - warmup)
        return 0.1 + 0.9 * 0.5 * (1 + torch.cos(torch.tensor(progress * torch.pi)).item())

    rng = random.Random(seed)
    order: list[int] = []
    losses: list[float] = []
    model.train()
    for step in range(steps):
        while len(order) < batch_size:  # several epochs when the data is under a batch
            fresh = list(range(len(encoded)))
            rng.shuffle(fresh)
            order.extend(fresh)
        batch = [encoded[order.pop()] for _ in range(batch_size)]
        width = max(len(p) + len(c) for p, c in batch)
        ids = torch.full((batch_size, width), pad, dtype=torch.long)
        labels = torch.full((batch_size, width), IGNORE, dtype=torch.long)
        attn = torch.zeros((batch_size, width), dtype=torch.long)
        for i, (p, c) in enumerate(batch):
            n = len(p) + len(c)
            ids[i, :n] = torch.tensor(p + c)
            labels[i, len(p) : n] = torch.tensor(c)
            attn[i, :n] = 1
        for group in optimizer.param_groups:
            group["lr"] = learning_rate * lr_at(step)
        out = model(
            input_ids=ids.to(device), attention_mask=attn.to(device), labels=labels.to(device)
        )
        optimizer.zero_grad(set_to_none=True)
        out.loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        losses.append(float(out.loss.detach()))
    model.eval()
    return losses
