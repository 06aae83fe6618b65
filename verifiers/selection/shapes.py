"""Rows in the shapes TRL's trainers read (its "dataset formats" guide).

- ``SFTTrainer``, prompt-completion: ``{"prompt": str, "completion": str}``, or the
  conversational form with lists of ``{"role", "content"}`` messages on both sides;
  conversational language modelling: ``{"messages": [...]}``.
- ``DPOTrainer``, preference with an explicit prompt: ``{"prompt", "chosen", "rejected"}``,
  strings or (conversational) message lists.

A string prompt or completion next to a chat one becomes a single message (``user`` for
the prompt, ``assistant`` for a completion), since TRL wants both sides in one form.
Completions are written as they came: an EOS text kept in them stays, and TRL appends its
tokenizer's EOS only to a completion that does not already end with it.
"""

from __future__ import annotations

from typing import Any

from ..core.model import Text
from .options import Format


def as_messages(value: Text, role: str) -> list[dict[str, Any]]:
    """A chat-message list: a string becomes one message with ``role``."""
    if isinstance(value, str):
        return [{"role": role, "content": value}]
    return [dict(message) for message in value]


def sft_row(prompt: Text, completion: Text, fmt: Format) -> dict[str, Any]:
    """One SFT example."""
    if fmt == "messages":
        return {"messages": as_messages(prompt, "user") + as_messages(completion, "assistant")}
    if isinstance(prompt, str) and isinstance(completion, str):
        return {"prompt": prompt, "completion": completion}
    return {
        "prompt": as_messages(prompt, "user"),
        "completion": as_messages(completion, "assistant"),
    }


def pair_row(prompt: Text, chosen: Text, rejected: Text, fmt: Format) -> dict[str, Any]:
    """One preference pair (DPO has no ``messages`` form: chat pairs are conversational
    prompt/chosen/rejected)."""
    if fmt != "messages" and all(isinstance(x, str) for x in (prompt, chosen, rejected)):
        return {"prompt": prompt, "chosen": chosen, "rejected": rejected}
    return {
        "prompt": as_messages(prompt, "user"),
        "chosen": as_messages(chosen, "assistant"),
        "rejected": as_messages(rejected, "assistant"),
    }
