"""``qa``: short-answer QA, exact match or token F1 against one or more golds.

Normalisation is SQuAD's (``evaluate-v1.1.py``): lower case, punctuation removed,
the articles *a*, *an*, *the* removed, whitespace collapsed. One deviation: Unicode
punctuation (curly quotes, dashes) is removed too, not only ASCII's.

The answer is read from the text after the reasoning (``</think>``), by the first rule
in ``extraction`` that finds one:

- ``tag``: the last ``<answer>...</answer>`` (tag name ``answer_tag``);
- ``boxed``: the last ``\\boxed{...}`` (a group of different boxes is a hedge: 0);
- ``final_answer``: the rest of the line after the last "final answer", "the answer is"
  or "Answer:";
- ``last_line``: the last non-empty line.

``exact_match`` scores 1 when the normalised answer equals a normalised gold;
``f1`` scores the best SQuAD token F1 over the golds. F1 is partial credit by nature:
"Paris or Lyon" against "Paris" scores 0.5 there (and 0 under exact match, the default).

Reference: ``"Paris"``, ``["Paris", "Paris, France"]`` or ``{"answers": [...]}``.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from .core.base import Verifier
from .core.model import Sample, Verdict
from .core.options import Opt
from .core.text import answer_text

Rule = Literal["tag", "boxed", "final_answer", "last_line"]
RULES: tuple[Rule, ...] = ("tag", "boxed", "final_answer", "last_line")

MAX_GOLDS = 1000
_ASCII_PUNCT = str.maketrans("", "", string.punctuation)
_ARTICLES = re.compile(r"\b(?:a|an|the)\b")
_FINAL = re.compile(
    r"(?:\bfinal answer|\bthe answer)\s*(?:\*\*)?\s*(?:is|[:\uff1a=])?\s*(?:\*\*)?\s*:?"
    r"|\banswer\s*(?:\*\*)?\s*[:\uff1a]\s*(?:\*\*)?",
    re.IGNORECASE,
)
_WRAPPER = re.compile(r"\\(?:text|textbf|mathrm|mathbf|textit)\s*\{([^{}]*)\}")


def normalize_answer(text: str) -> str:
    """SQuAD's answer normalisation (plus Unicode punctuation).

    >>> normalize_answer("The  Eiffel Tower!")
    'eiffel tower'
    """
    text = text.lower()
    if text.isascii():
        text = text.translate(_ASCII_PUNCT)
    else:
        text = "".join(c for c in text if not unicodedata.category(c).startswith("P"))
        text = text.translate(_ASCII_PUNCT)  # the ASCII symbols ($, +, ^, ...) are not P*
    return " ".join(_ARTICLES.sub(" ", text).split())


def token_f1(prediction: str, gold: str) -> float:
    """SQuAD's token F1 of two normalised strings."""
    pred_tokens, gold_tokens = prediction.split(), gold.split()
    common = Counter(pred_tokens) & Counter(gold_tokens)
    same = sum(common.values())
    if same == 0:
        return 0.0
    precision, recall = same / len(pred_tokens), same / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


@dataclass(frozen=True)
class QAOptions:
    """Options of ``qa``."""

    metric: Annotated[
        Literal["exact_match", "f1"],
        Opt("exact_match: 1 or 0; f1: best SQuAD token F1 over the golds"),
    ] = "exact_match"
    extraction: Annotated[
        tuple[Rule, ...],
        Opt("answer rules, tried in order: tag, boxed, final_answer, last_line", min_length=1),
    ] = RULES
    answer_tag: Annotated[
        str, Opt("tag name of the tag rule (<answer>...</answer>)", min_length=1)
    ] = "answer"
    think_close_tag: Annotated[
        str, Opt("only the text after the last such tag is read", min_length=1)
    ] = "</think>"


class QAVerifier(Verifier[QAOptions]):
    """Short-answer QA: SQuAD exact match or token F1 against the golds."""

    name = "qa"
    description = (
        "Short-answer QA: SQuAD-normalised exact match or token F1 against one or more golds; "
        "answer from <answer>, \\boxed{}, a 'final answer' line or the last line."
    )
    Options = QAOptions
    timeout = 5.0

    def verify(self, sample: Sample) -> Verdict:
        """Exact match (1/0) or the best F1 against the golds.

        Returns ``invalid_input`` for a malformed reference and ``no_answer`` when no
        rule finds a non-empty answer.
        """
        golds = parse_golds(sample.reference)
        if isinstance(golds, str):
            return Verdict.failed("invalid_input", f"reference: {golds}")
        text = answer_text(sample.completion_text, self.options.think_close_tag)
        found = self._extract(text)
        if found is None:
            return Verdict.failed("no_answer", "no answer found", golds=golds[:5])
        rule, answers = found
        normalized = sorted({normalize_answer(a) for a in answers})
        details: dict[str, Any] = {"rule": rule, "answer": answers[-1][:200], "golds": golds[:5]}
        if len(normalized) > 1:
            return Verdict(0.0, "ok", "hedges between several answers", details)
        said = normalized[0]
        normal_golds = [normalize_answer(g) for g in golds]
        if self.options.metric == "exact_match":
            score = float(said in normal_golds)
            reason = "exact match" if score else f"{said!r} matches no gold"
        else:
            score = max(token_f1(said, g) for g in normal_golds)
            reason = f"token F1 {score:.2f}"
        return Verdict(score, "ok", reason, details)

    def _extract(self, text: str) -> tuple[str, list[str]] | None:
        for rule in self.options.extraction:
            answers = _EXTRACT[rule](text, self.options.answer_tag)
            answers = [a for a in answers if normalize_answer(a)]
            if answers:
                return rule, answers
        return None


def parse_golds(reference: object) -> list[str] | str:
    """The gold answers, or why the reference is malformed."""
    if isinstance(reference, Mapping):
        if "answers" not in reference:
            return "expected a string, a list of strings or {'answers': [...]}"
        reference = reference["answers"]
    if isinstance(reference, str):
        reference = [reference]
    if not isinstance(reference, list) or not all(isinstance(g, str) for g in reference):
        return "expected a string, a list of strings or {'answers': [...]}"
    if not reference:
        return "no gold answers"
    if len(reference) > MAX_GOLDS:
        return f"{len(reference)} gold answers, over the limit of {MAX_GOLDS}"
    empty = [g for g in reference if not normalize_answer(g)]
    if empty:
        return f"gold {empty[0]!r} is empty after normalisation"
    return list(reference)


def _tag(text: str, tag: str) -> list[str]:
    open_tag, close_tag = f"<{tag}>", f"</{tag}>"
    end = text.rfind(close_tag)
    if end < 0:
        return []
    start = text.rfind(open_tag, 0, end)
    return [text[start + len(open_tag) : end]] if start >= 0 else []


def _boxed(text: str, _tag: str) -> list[str]:
    if "box" not in text:
        return []
    from .math.extract import extract  # its box grouping; imported at use (sympy-free)

    found = extract(text, ("boxed",))
    return [_WRAPPER.sub(r"\1", a) for a in found.answers] if found else []


def _final_answer(text: str, _tag: str) -> list[str]:
    last = None
    for last in _FINAL.finditer(text):  # noqa: B007 - we want the last match
        pass
    if last is None:
        return []
    return [text[last.end() :].split("\n", 1)[0]]


def _last_line(text: str, _tag: str) -> list[str]:
    for line in reversed(text.splitlines()):
        if line.strip():
            return [line]
    return []


_EXTRACT = {"tag": _tag, "boxed": _boxed, "final_answer": _final_answer, "last_line": _last_line}
