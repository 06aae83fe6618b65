"""OpenRLHF's side of ``/v1/openrlhf``: turning its ``query`` strings (prompt + response,
special tokens kept) back into the response the model wrote, and building the answer it
reads (``rewards``, ``scores``, ``extra_logs``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from verigrade.verifiers import Grade

# End-of-turn and padding tokens of common chat templates (Qwen, Llama 2/3, Mistral,
# Phi, Gemma, DeepSeek). OpenRLHF decodes without skipping special tokens, so these
# trail (and pad tokens may lead) the text.
SPECIAL_TOKENS = (
    "<|im_end|>",
    "<|endoftext|>",
    "<|eot_id|>",
    "<|end_of_text|>",
    "</s>",
    "<|end|>",
    "<eos>",
    "<end_of_turn>",
    "<|end▁of▁sentence|>",
    "<\uff5cend\u2581of\u2581sentence\uff5c>",  # DeepSeek (full-width bars)
    "<pad>",
    "<|pad|>",
)


def split_response(query: str, prompt: str | None) -> str:
    """The response part of ``query``: the text after ``prompt`` (wherever left padding
    put it), with trailing special tokens and whitespace removed. Without a prompt, or
    when the prompt is not found, the whole query is graded."""
    response = query
    if prompt:
        at = query.find(prompt)
        if at >= 0:
            response = query[at + len(prompt) :]
    return strip_trailing_tokens(response)


def strip_trailing_tokens(text: str) -> str:
    """``text`` without trailing end-of-turn/padding tokens."""
    text = text.rstrip()
    stripped = True
    while stripped:
        stripped = False
        for token in SPECIAL_TOKENS:
            if text.endswith(token):
                text = text[: -len(token)].rstrip()
                stripped = True
    return text


UNGRADABLE = ("invalid_input", "timeout", "error")
"""Statuses that mean a sample was not judged at all (``no_answer`` is a judgement: the
model gave none)."""

REFUSED = ("invalid_input", "error")
"""Statuses ``VERIGRADE_OPENRLHF_STRICT`` turns into a failed request: bad data (a label
the verifier cannot read) or a broken verifier, which a 0.0 reward would hide."""


def status_logs(grades: Sequence[Grade]) -> dict[str, list[float]]:
    """Per-sample 1.0/0.0 columns for ``extra_logs``: ``status/<status>`` for each status
    other than ok (any verifier of the sample), and ``status/ungradable`` for samples
    not judged at all. OpenRLHF logs each column's mean, so an ungradable share shows up
    beside the reward instead of hiding in it as zeros."""
    columns: dict[str, list[float]] = {
        f"status/{status}": [] for status in ("invalid_input", "no_answer", "timeout", "error")
    }
    ungradable: list[float] = []
    for grade in grades:
        seen = {verdict.status for verdict in grade.verdicts.values()}
        for status, column in columns.items():
            column.append(1.0 if status.removeprefix("status/") in seen else 0.0)
        ungradable.append(1.0 if seen.intersection(UNGRADABLE) else 0.0)
    columns["status/ungradable"] = ungradable
    return columns


def refused(grades: Sequence[Grade], limit: int = 3) -> str | None:
    """Why a strict server refuses these grades (the first ``limit`` bad samples with
    their reasons), or None when every sample was judged."""
    bad = [
        f"sample {i}: {label} {verdict.status}: {verdict.reason}"
        for i, grade in enumerate(grades)
        for label, verdict in grade.verdicts.items()
        if verdict.status in REFUSED
    ]
    if not bad:
        return None
    more = f" (and {len(bad) - limit} more)" if len(bad) > limit else ""
    return (
        f"{len(bad)} verdicts could not be given (VERIGRADE_OPENRLHF_STRICT is on): "
        + "; ".join(bad[:limit])
        + more
    )


def openrlhf_answer(
    results: Sequence[dict[str, Any]], grades: Sequence[Grade], labels: Sequence[str]
) -> dict[str, Any]:
    """The body OpenRLHF reads: ``rewards`` = ``scores`` (never null), and ``extra_logs``
    with each label's score per sample (0.0 where a sample's spec has no such label) and
    the status columns."""
    rewards = [r["reward"] for r in results]
    extra: dict[str, list[float]] = {
        label: [r["verdicts"][label]["score"] if label in r["verdicts"] else 0.0 for r in results]
        for label in labels
    }
    extra.update(status_logs(grades))
    return {"rewards": rewards, "scores": rewards, "extra_logs": extra}
