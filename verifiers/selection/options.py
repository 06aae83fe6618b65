"""What ``select`` keeps: the options, as one frozen dataclass."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any, Literal

from ..core.errors import VerigradeError

Format = Literal["prompt-completion", "messages"]
FORMATS: tuple[Format, ...] = ("prompt-completion", "messages")


class SelectOptionsError(VerigradeError, ValueError):
    """Selection options that cannot work together (a negative ``best_k``, ...)."""


@dataclass(frozen=True)
class SelectOptions:
    """Which completions of each prompt ``select`` keeps, and what it writes.

    The steps run in this order on each prompt's completions (docs/select.md):
    unreadable or ungraded ones out, truncated ones out, duplicates out, then
    ``min_reward``, then ``best_k``; pairs come from what is left.
    """

    min_reward: float | None = None
    """Keep only completions whose reward is at least this (None: no threshold)."""
    best_k: int | None = None
    """Keep at most this many per prompt, the highest rewards first, ties in input order
    (1 is best-of-n; None: no limit)."""
    dedup: bool = True
    """Drop a completion whose normalised text (Unicode NFC, runs of whitespace as one
    space, ends stripped) equals a better-ranked one's."""
    drop_truncated: bool = True
    """Drop completions whose ``finish_reason`` is ``"length"``: vLLM and OpenAI write it
    when generation stopped at the token limit rather than at EOS."""
    eos: str | None = None
    """Drop a completion that does not end with this text (trailing whitespace aside): it
    was cut off (for outputs decoded with special tokens kept; None: no check)."""
    max_length: int | None = None
    """Drop a completion longer than this many characters as truncated (None: no limit)."""
    pairs_per_prompt: int = 0
    """Preference pairs to make per prompt (0: none)."""
    min_margin: float = 0.0
    """A pair's chosen reward must beat its rejected reward by at least this (and by more
    than nothing)."""
    format: Format = "prompt-completion"
    """SFT rows as ``prompt``/``completion`` (strings, or chat messages when the input has
    them) or as ``messages`` (one chat); pairs are ``prompt``/``chosen``/``rejected``."""
    unsorted: bool = False
    """Hold every prompt open until the input ends, so a prompt's completions may be
    anywhere in it (memory grows with the input); by default a prompt's completions must
    be on consecutive lines and a prompt that comes back later is an error on that line."""

    def __post_init__(self) -> None:
        problems = []
        if self.min_reward is not None and not math.isfinite(self.min_reward):
            problems.append(f"min_reward must be a finite number, got {self.min_reward}")
        if self.best_k is not None and self.best_k < 1:
            problems.append(f"best_k must be >= 1, got {self.best_k}")
        if self.max_length is not None and self.max_length < 1:
            problems.append(f"max_length must be >= 1, got {self.max_length}")
        if self.eos is not None and not self.eos.strip():
            problems.append("eos must be a non-blank text such as '<|im_end|>'")
        if self.pairs_per_prompt < 0:
            problems.append(f"pairs_per_prompt must be >= 0, got {self.pairs_per_prompt}")
        if not (math.isfinite(self.min_margin) and self.min_margin >= 0):
            problems.append(f"min_margin must be a number >= 0, got {self.min_margin}")
        if self.format not in FORMATS:
            problems.append(f"format must be one of {', '.join(FORMATS)}, got {self.format!r}")
        if problems:
            raise SelectOptionsError("; ".join(problems))

    def fingerprint(self, spec: Any) -> str:
        """A hash of these options and a JSON spec: a resumed run must use the same."""
        payload = {"spec": spec, "options": dataclasses.asdict(self)}
        text = json.dumps(payload, sort_keys=True, ensure_ascii=True, default=repr)
        return hashlib.sha256(text.encode()).hexdigest()
