"""``reasoning_gym``: scores an answer with reasoning-gym's own ``score_answer``.

reasoning-gym (``pip install 'verigrade[reasoning_gym]'``) generates procedural tasks,
each dataset with its own scorer. The reference is the dataset entry itself,
``{"question", "answer", "metadata": {"source_dataset": ..., ...}}``, as
``reasoning_gym.create_dataset(...)`` yields it; the scorer is that of
``metadata.source_dataset`` (so composite datasets work too). The answer is the last
``<answer>...</answer>`` after the reasoning (``</think>``), read with reasoning-gym's
``extract_answer``, as its prompts ask.

The score is the scorer's, clamped to [0, 1]: many datasets give partial credit, and
some accept any valid solution (their entries' ``answer`` is None). A scorer that raises
on a garbled answer (``prime_factorization`` on non-numbers) scores 0 with the error in
``details``.

One scorer is replaced, because it pays for anything: ``game_of_life_halting`` compares
``bool(answer) == bool(entry["answer"])``, and ``bool("False")`` is True, so every
non-empty answer scored 1 in reasoning-gym 0.1.25. verigrade requires ``True``/``False``
equal to the gold (case-insensitive); ``details["scorer"]`` says when this applies.

reasoning-gym is imported on first use, not with verigrade; building the verifier
without it installed is a clear ``InvalidConfigError``.
"""

from __future__ import annotations

import importlib.util
import math
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from .core.base import Verifier
from .core.errors import InvalidConfigError
from .core.model import Sample, Verdict
from .core.options import Opt
from .core.text import answer_text

ScoreFn = Callable[[str | None, Mapping[str, Any]], float]
INSTALL_HINT = (
    "the reasoning_gym verifier needs reasoning-gym: pip install 'verigrade[reasoning_gym]'"
)


@dataclass(frozen=True)
class ReasoningGymOptions:
    """Options of ``reasoning_gym``."""

    answer_tag: Annotated[
        str, Opt("tag holding the answer (<answer>...</answer>)", min_length=1)
    ] = "answer"
    think_close_tag: Annotated[
        str, Opt("only the text after the last such tag is read", min_length=1)
    ] = "</think>"


class ReasoningGymVerifier(Verifier[ReasoningGymOptions]):
    """reasoning-gym's own scorer for the dataset the reference entry came from."""

    name = "reasoning_gym"
    description = (
        "reasoning-gym tasks: the <answer> scored by reasoning-gym's own score_answer for the "
        "entry's dataset (optional extra: verigrade[reasoning_gym])."
    )
    Options = ReasoningGymOptions
    timeout = 10.0

    def __init__(self, options: ReasoningGymOptions | None = None) -> None:
        if importlib.util.find_spec("reasoning_gym") is None:
            raise InvalidConfigError(INSTALL_HINT)
        super().__init__(options)

    def verify(self, sample: Sample) -> Verdict:
        """The scorer's score in [0, 1]; ``no_answer`` without an answer tag."""
        entry = sample.reference
        dataset = _dataset_of(entry)
        if dataset.startswith("!"):
            return Verdict.failed("invalid_input", f"reference: {dataset[1:]}")
        assert isinstance(entry, Mapping)
        scorer, how = _scorer(dataset)
        if scorer is None:
            return Verdict.failed("invalid_input", f"reference: {how}")
        from reasoning_gym.utils import extract_answer

        text = answer_text(sample.completion_text, self.options.think_close_tag)
        answer = extract_answer(text, tag_name=self.options.answer_tag)
        details: dict[str, Any] = {"dataset": dataset, "scorer": how}
        if answer is None:
            return Verdict.failed("no_answer", f"no <{self.options.answer_tag}> tag", **details)
        details["answer"] = answer[:200]
        try:
            raw = scorer(answer, entry)
            score = float(raw)
        except Exception as exc:  # a third-party scorer on model output: any failure is a 0
            details["scorer_error"] = f"{type(exc).__name__}: {exc}"[:300]
            return Verdict(0.0, "ok", "the scorer rejected the answer", details)
        if not math.isfinite(score):
            score = 0.0
        score = min(1.0, max(0.0, score))
        return Verdict(score, "ok", f"{dataset}: {score:g}", details)


def _dataset_of(entry: object) -> str:
    """The entry's dataset name, or ``"!why"`` when the entry is malformed."""
    if not isinstance(entry, Mapping):
        return "!expected a reasoning-gym entry {'question', 'answer', 'metadata'}"
    metadata = entry.get("metadata")
    if not isinstance(metadata, Mapping) or not isinstance(metadata.get("source_dataset"), str):
        return "!the entry has no metadata.source_dataset"
    if "answer" not in entry:
        return "!the entry has no 'answer' (None is allowed)"
    return str(metadata["source_dataset"])


_lock = threading.Lock()
_scorers: dict[str, tuple[ScoreFn | None, str]] = {}


def _scorer(dataset: str) -> tuple[ScoreFn | None, str]:
    """The score function of a dataset and where it comes from (or None and why)."""
    with _lock:
        if dataset in _scorers:
            return _scorers[dataset]
    # get_score_answer_fn builds a dataset object each call: keep one per name.
    import reasoning_gym

    found: tuple[ScoreFn | None, str]
    if dataset in _OVERRIDES:
        found = (_OVERRIDES[dataset], "verigrade (reasoning-gym's scorer accepts any answer)")
    else:
        try:
            found = (reasoning_gym.get_score_answer_fn(dataset), "reasoning-gym")
        except ValueError:
            found = (None, f"reasoning-gym has no dataset {dataset!r}")
    with _lock:
        _scorers[dataset] = found
    return found


def _game_of_life_halting(answer: str | None, entry: Mapping[str, Any]) -> float:
    gold = str(entry.get("answer")).strip().lower()
    said = (answer or "").strip().lower()
    return float(said in ("true", "false") and said == gold)


_OVERRIDES: dict[str, ScoreFn] = {"game_of_life_halting": _game_of_life_halting}
