"""Reading one input line into its prompt's key and its completions (candidates).

A line holds one completion (``{"prompt", "completion", ...}``, as ``verigrade grade``
reads) or several (``{"prompt", "completions": [...], ...}``). A line that cannot be read
at all (not JSON, no prompt) becomes a ``Line`` without a key; a single bad completion in a
good line becomes a ``Candidate`` with a ``problem``, so it still gets its own result.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..core.jsonl import parse_line
from ..core.model import Sample, Text, coerce_sample, size_problem
from .options import SelectOptions


@dataclass(frozen=True, slots=True)
class Candidate:
    """One completion as read: where it came from, the Sample to grade, and what is wrong
    with it before grading (``problem``: it cannot be graded; ``truncated``: it can, but
    the model did not finish it)."""

    line: int
    index: int | None
    id: Any
    sample: Sample | None
    problem: str | None = None
    truncated: str | None = None


@dataclass(frozen=True, slots=True)
class Line:
    """One input line: its prompt's ``key`` (None when the line is unreadable, and then
    ``problem`` says why) and its candidates."""

    number: int
    key: str | None
    prompt: Text
    candidates: list[Candidate]
    problem: str | None = None


def group_key(obj: Mapping[str, Any]) -> str:
    """Which prompt a line belongs to: its ``prompt_id`` when it has one, else its prompt
    (the exact text, or the exact chat messages), as a 128-bit hash.

    Hashing keeps what a run remembers per prompt small; a collision between two of a
    run's prompts has odds of about n²/2¹²⁹.
    """
    prompt_id = obj.get("prompt_id")
    what = ["prompt_id", prompt_id] if prompt_id is not None else ["prompt", obj["prompt"]]
    text = json.dumps(what, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def read_line(item: Any, number: int, options: SelectOptions, max_chars: int) -> Line:
    """Read input line ``number`` (a JSON text, bytes, or an already parsed object)."""
    if isinstance(item, bytes | str):
        obj, problem = parse_line(item)
        if problem is not None:
            return _unreadable(number, problem)
    else:
        obj = item
    if not isinstance(obj, Mapping):
        return _unreadable(number, f"a line must be an object, got {type(obj).__name__}")
    line_id = obj.get("id")
    prompt = obj.get("prompt")
    if prompt is None:
        return _unreadable(
            number, "no 'prompt' field: select groups completions by prompt", line_id
        )
    if not _is_text(prompt):
        kind = type(prompt).__name__
        problem = f"'prompt' must be a string or a list of chat messages, got {kind}"
        return _unreadable(number, problem, line_id)
    try:
        key = group_key(obj)
    except (TypeError, ValueError) as exc:  # a library caller's dict holding non-JSON values
        return _unreadable(number, f"the prompt or prompt_id is not JSON: {exc}", line_id)
    if "completions" in obj:
        return _listed(obj, number, key, prompt, options, max_chars)
    candidate = _candidate(
        obj,
        number,
        None,
        number if line_id is None else line_id,
        obj.get("finish_reason"),
        options,
        max_chars,
    )
    return Line(number, key, prompt, [candidate])


def _listed(
    obj: Mapping[str, Any],
    number: int,
    key: str,
    prompt: Text,
    options: SelectOptions,
    max_chars: int,
) -> Line:
    """A line with ``completions``: a list of strings, chat-message lists, or objects
    ``{"completion", "finish_reason"?, "id"?}``; ``finish_reasons`` may run beside it."""
    completions = obj["completions"]
    line_id = obj.get("id")
    if "completion" in obj:
        return _unreadable(number, "a line has 'completion' or 'completions', not both", line_id)
    if not isinstance(completions, list) or not completions:
        return _unreadable(number, "'completions' must be a non-empty list", line_id)
    reasons = obj.get("finish_reasons")
    if reasons is not None and (not isinstance(reasons, list) or len(reasons) != len(completions)):
        problem = "'finish_reasons' must be a list as long as 'completions'"
        return _unreadable(number, problem, line_id)
    base = {k: v for k, v in obj.items() if k not in ("completions", "finish_reasons", "id")}
    shared_id = number if line_id is None else line_id
    candidates = []
    for index, entry in enumerate(completions):
        finish = reasons[index] if reasons is not None else None
        own_id = shared_id
        if isinstance(entry, Mapping) and "completion" in entry:
            finish = entry.get("finish_reason", finish)
            own_id = entry.get("id", shared_id)
            entry = entry["completion"]
        item = {**base, "completion": entry, "id": own_id}
        candidates.append(_candidate(item, number, index, own_id, finish, options, max_chars))
    return Line(number, key, prompt, candidates)


def _candidate(
    obj: Mapping[str, Any],
    number: int,
    index: int | None,
    candidate_id: Any,
    finish_reason: Any,
    options: SelectOptions,
    max_chars: int,
) -> Candidate:
    where = f"line {number}" if index is None else f"line {number}, completion {index}"
    sample = coerce_sample(obj)
    if isinstance(sample, str):
        return Candidate(number, index, candidate_id, None, f"{where}: {sample}")
    too_long = size_problem(sample, max_chars)
    if too_long is not None:
        return Candidate(number, index, candidate_id, None, f"{where}: {too_long}")
    sample = Sample(
        sample.completion, sample.prompt, sample.reference, sample.metadata, candidate_id
    )
    return Candidate(
        number, index, candidate_id, sample, None, truncation(sample, finish_reason, options)
    )


def truncation(sample: Sample, finish_reason: Any, options: SelectOptions) -> str | None:
    """Why a completion counts as cut off before the model finished it, or None."""
    if options.drop_truncated and finish_reason == "length":
        return "truncated: finish_reason is 'length' (stopped at the token limit)"
    text = sample.completion_text
    if options.eos is not None and not text.rstrip().endswith(options.eos):
        return f"truncated: does not end with the EOS text {options.eos!r}"
    if options.max_length is not None and len(text) > options.max_length:
        return f"truncated: {len(text):,} characters, over max_length {options.max_length:,}"
    return None


def _is_text(value: object) -> bool:
    return isinstance(value, str) or (
        isinstance(value, list) and all(isinstance(m, Mapping) for m in value)
    )


def _unreadable(number: int, problem: str, line_id: Any = None) -> Line:
    reason = f"line {number}: {problem}"
    candidate_id = number if line_id is None else line_id
    return Line(number, None, "", [Candidate(number, None, candidate_id, None, reason)], reason)
