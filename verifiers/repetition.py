"""N-gram repetition penalty.

The share of repeated n-grams, scaled to ``max_penalty`` (as in "Demystifying Long
CoT", arXiv:2502.03373, and open-r1's repetition penalty)::

    score = max_penalty * (1 - distinct_ngrams / total_ngrams)

so a completion with no repeated n-gram scores 0 and one that repeats a single
n-gram forever approaches ``max_penalty``. Words are lower-cased whitespace tokens;
``unit="chars"`` uses characters instead, for text written without spaces.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from .core.base import Verifier
from .core.model import Sample, Verdict
from .core.options import Opt
from .core.text import split_think


@dataclass(frozen=True)
class RepetitionOptions:
    """Options of ``repetition``."""

    ngram_size: Annotated[int, Opt("n of the n-grams", ge=1, le=64)] = 3
    max_penalty: Annotated[float, Opt("score of endless repetition (<= 0)", le=0)] = -1.0
    unit: Annotated[Literal["words", "chars"], Opt("n-grams of words or of characters")] = "words"
    scope: Annotated[
        Literal["completion", "reasoning", "answer"],
        Opt("which part of the completion to judge"),
    ] = "completion"


class RepetitionVerifier(Verifier[RepetitionOptions]):
    """Penalty for repeated n-grams."""

    name = "repetition"
    description = "N-gram repetition penalty in [max_penalty, 0]."
    Options = RepetitionOptions
    timeout = 10.0

    def verify(self, sample: Sample) -> Verdict:
        o = self.options
        text = sample.completion_text
        if o.scope != "completion":
            split = split_think(text)
            text = split.answer if o.scope == "answer" else (split.reasoning or "")
        tokens: list[str] | str = text.lower().split() if o.unit == "words" else text
        total = len(tokens) - o.ngram_size + 1
        if total <= 0:
            return Verdict(0.0, "ok", f"shorter than one {o.ngram_size}-gram", {"ngrams": 0})
        distinct = len({tuple(tokens[i : i + o.ngram_size]) for i in range(total)})
        repeated = 1 - distinct / total
        details = {"ngrams": total, "distinct": distinct, "repeated_share": repeated}
        # `or 0.0` turns -0.0 into 0.0 so clean text prints as 0.
        return Verdict(
            (o.max_penalty * repeated) or 0.0,
            "ok",
            f"{repeated:.1%} of {o.ngram_size}-grams repeated",
            details,
        )
