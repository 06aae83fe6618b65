"""Length shaping rewards R1-style runs use.

- ``dapo``: DAPO's soft overlong punishment (Yu et al. 2025, arXiv:2503.14476, eq. 13).
  With L the length, ``max_length`` = L_max and ``cache_length`` = L_cache::

      0                                  if L <= L_max - L_cache
      ((L_max - L_cache) - L) / L_cache  if L_max - L_cache < L <= L_max
      -1                                 if L > L_max

- ``cosine``: cosine-scaled length reward (Yeo et al. 2025, "Demystifying Long
  Chain-of-Thought Reasoning in LLMs", arXiv:2502.03373)::

      r(L) = r_end + (r_start - r_end) * (1 + cos(pi * L / L_max)) / 2

  going from ``r_start`` at L = 0 to ``r_end`` at L = L_max (and ``exceed_value``
  past it). Given a ``correctness`` verifier (e.g. ``"math"``), correct answers use
  the ``correct_*`` pair (shorter is better) and wrong ones the ``wrong_*`` pair
  (longer is better: keep thinking); without one every sample uses the correct pair.

Length is counted in ``unit``: ``tokens`` reads ``metadata.completion_tokens`` (a
trainer knows it) and falls back to characters / 4 when it is absent (said so in
``details``); ``chars`` and ``words`` count the completion text.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Any, Literal

from .core.base import Verifier
from .core.model import Sample, Verdict
from .core.options import Opt


@dataclass(frozen=True)
class LengthOptions:
    """Options of ``length``."""

    mode: Annotated[
        Literal["dapo", "cosine"],
        Opt("dapo: soft overlong penalty; cosine: cosine-scaled"),
    ] = "dapo"
    unit: Annotated[Literal["tokens", "chars", "words"], Opt("what length counts")] = "tokens"
    max_length: Annotated[int, Opt("L_max: the length budget", gt=0)] = 4096
    cache_length: Annotated[int, Opt("dapo: L_cache, the soft-penalty band below L_max", ge=0)] = (
        1024
    )
    correctness: Annotated[
        str | None,
        Opt("cosine: verifier whose score >= 0.5 means correct (e.g. 'math')"),
    ] = None
    correct_start: Annotated[float, Opt("cosine: reward of a correct answer at length 0")] = 1.0
    correct_end: Annotated[float, Opt("cosine: reward of a correct answer at L_max")] = 0.5
    wrong_start: Annotated[float, Opt("cosine: reward of a wrong answer at length 0")] = -0.5
    wrong_end: Annotated[float, Opt("cosine: reward of a wrong answer at L_max")] = 0.0
    exceed_value: Annotated[float, Opt("cosine: reward past L_max")] = -1.0

    def __post_init__(self) -> None:
        # Runs for validated and directly built options alike.
        if self.cache_length >= self.max_length and self.mode == "dapo":
            raise ValueError("cache_length must be smaller than max_length")


class LengthVerifier(Verifier[LengthOptions]):
    """DAPO overlong penalty or cosine-scaled length reward."""

    name = "length"
    description = "Length shaping: DAPO soft overlong penalty or cosine-scaled length reward."
    Options = LengthOptions
    timeout = 10.0

    @cached_property
    def _judge(self) -> Verifier[Any] | None:
        if self.options.correctness is None:
            return None
        from .core.registry import get_verifier  # at use: the registry imports verifiers lazily

        return get_verifier(self.options.correctness)()

    def verify(self, sample: Sample) -> Verdict:
        length, source = self._length(sample)
        details: dict[str, Any] = {"length": length, "unit": self.options.unit, "source": source}
        if self.options.mode == "dapo":
            return Verdict(
                self._dapo(length), "ok", f"length {length} {self.options.unit}", details
            )
        correct = True
        if self._judge is not None:
            judged = self._judge.verify(sample)
            if judged.status != "ok":
                return Verdict.failed(
                    judged.status, f"correctness ({self._judge.name}): {judged.reason}", **details
                )
            correct = judged.score >= 0.5
            details["correct"] = correct
        return Verdict(
            self._cosine(length, correct), "ok", f"length {length} {self.options.unit}", details
        )

    def _length(self, sample: Sample) -> tuple[int, str]:
        unit = self.options.unit
        text = sample.completion_text
        if unit == "chars":
            return len(text), "text"
        if unit == "words":
            return len(text.split()), "text"
        tokens = sample.metadata.get("completion_tokens")
        if isinstance(tokens, int) and not isinstance(tokens, bool) and tokens >= 0:
            return tokens, "metadata.completion_tokens"
        return math.ceil(len(text) / 4), "estimate: characters / 4 (no metadata.completion_tokens)"

    def _dapo(self, length: int) -> float:
        o = self.options
        safe = o.max_length - o.cache_length
        if length <= safe:
            return 0.0
        if length <= o.max_length:
            return (safe - length) / o.cache_length
        return -1.0

    def _cosine(self, length: int, correct: bool) -> float:
        o = self.options
        if length > o.max_length:
            return o.exceed_value
        start, end = (o.correct_start, o.correct_end) if correct else (o.wrong_start, o.wrong_end)
        return end + (start - end) * (1 + math.cos(math.pi * length / o.max_length)) / 2
