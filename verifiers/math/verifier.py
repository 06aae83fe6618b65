"""``math``: is the completion's final answer equal to the gold answer?

Stages (each a module beside this one): extract the answer from the text after the
reasoning (``</think>``), normalize its LaTeX, parse it into numbers, expressions,
sets, tuples, intervals, relations or matrices, and compare with the gold:

- exact by default: integers of any size, fractions, mixed numbers, decimals,
  scientific notation and thousands separators compare as exact rationals, so
  ``1000000007`` is not ``1000000008`` and ``1/2^99`` is not ``1/2^98``;
- the float rule: a decimal equals a closed form (``0.333333`` for ``\\frac13``,
  ``1.414214`` for ``\\sqrt2``) when it has at least ``float_min_digits``
  significant digits and is within one unit of its last digit, so ``3.14`` is
  not ``\\pi``;
- expressions go to sympy (through latex2sympy2_extended), only when the fast
  paths cannot decide, behind guards that reject tower exponents, huge factorials
  and deep nesting as ``invalid_input`` before sympy could hang.

Several different final answers ("\\boxed{3} or maybe \\boxed{5}") score 0 unless
the gold itself has several answers; a box after a correction ("wait, ...")
replaces the earlier ones.

Example:
    >>> from verigrade.verifiers import Sample
    >>> v = MathVerifier()
    >>> v.verify(Sample(completion="so the answer is $\\\\boxed{\\\\frac{1}{2}}$", reference="0.5")).score
    1.0
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Annotated, Any, Literal

from ..core.base import Verifier
from ..core.model import Sample, Verdict
from ..core.options import Opt
from ..core.text import answer_text
from .equivalence import Decision, Rules, canonical, equivalent
from .extract import RULES, Extraction, extract, find_boxes
from .normalize import strip_delimiters
from .parse import Node, Rejected, Seq, parse_answer

SYMPY_FAILURES = (
    ArithmeticError,
    ValueError,
    TypeError,
    AttributeError,
    IndexError,
    KeyError,
    NotImplementedError,
    RecursionError,
)

Rule = Literal[
    "boxed", "hashes", "final_answer", "answer_colon", "bold", "last_math", "last_number"
]


@dataclass(frozen=True)
class MathOptions:
    """Options of ``math``."""

    extraction: Annotated[
        tuple[Rule, ...],
        Opt("extraction rules, tried in this order", min_length=1),
    ] = RULES  # type: ignore[assignment]
    float_min_digits: Annotated[
        int,
        Opt("significant digits a decimal needs to match a closed form", ge=1, le=40),
    ] = 6
    percent: Annotated[bool, Opt("'50%' also equals '50' and '0.5'")] = True
    equation_value: Annotated[bool, Opt("'x = 5' equals '5' (a lone variable on one side)")] = True
    hedge: Annotated[
        Literal["zero", "last"],
        Opt(
            "several different final boxes close together: 'zero' scores 0 unless each equals the gold; 'last' grades the last one only (Math-Verify's way)"
        ),
    ] = "zero"
    close_tag: Annotated[
        str, Opt("tag that ends the reasoning; the answer follows it", min_length=1)
    ] = "</think>"


class MathVerifier(Verifier[MathOptions]):
    """Checks a final math answer against the gold (``reference``)."""

    name = "math"
    description = (
        "Math answer equivalence: boxed/final-answer extraction; exact numbers, "
        "expressions, sets, intervals, tuples, equations (reference: the gold answer)."
    )
    Options = MathOptions
    timeout = 5.0

    def verify(self, sample: Sample) -> Verdict:
        """Grade one sample; ``reference`` is the gold answer (str, number or ``{"answer": ...}``).

        Returns:
            score 1.0 or 0.0 with status ``ok``; ``no_answer`` when nothing can be
            extracted; ``invalid_input`` for a missing gold or an answer too big to judge.
        """
        gold_text = gold_of(sample.reference)
        if gold_text is None:
            return Verdict.failed(
                "invalid_input",
                "reference must be the gold answer: a string, a number or {'answer': ...}",
            )
        try:
            gold = parse_gold(gold_text)
        except Rejected as exc:
            return Verdict.failed("invalid_input", f"gold: {exc}", gold=_clip(gold_text))
        text = answer_text(sample.completion_text, self.options.close_tag)
        found = extract(text, self.options.extraction)
        if found is None:
            return Verdict.failed(
                "no_answer", "no answer found in the completion", gold=_clip(gold_text)
            )
        details: dict[str, Any] = {
            "gold": _clip(gold_text),
            "gold_answers": [_clip(a) for a in gold_answers(gold_text)],
            "extracted": [_clip(a) for a in found.answers],
            "extraction_rule": found.rule,
        }
        if found.superseded:
            details["superseded"] = [_clip(a) for a in found.superseded]
        try:
            decision = self._judge(gold, found)
        except Rejected as exc:
            return Verdict.failed("invalid_input", f"answer: {exc}", **details)
        except SYMPY_FAILURES as exc:
            # sympy and mpmath raise these on values they cannot evaluate (an
            # overflowing exponential, a division by zero inside simplify): the
            # answer cannot be judged, which is the answer's problem, not ours.
            reason = f"answer could not be evaluated: {type(exc).__name__}: {exc}"[:300]
            return Verdict.failed("invalid_input", reason, **details)
        details["rule"] = decision.rule
        verdict = "equal" if decision.equal else "not equal"
        return Verdict(float(decision.equal), "ok", f"{verdict}: {decision.rule}", details)

    @property
    def _rules(self) -> Rules:
        o = self.options
        return Rules(o.float_min_digits, o.percent, o.equation_value)

    def _judge(self, gold: Node, found: Extraction) -> Decision:
        answers = [parse_answer(a) for a in found.answers]
        rules = self._rules
        if len(answers) == 1:
            return decide(gold, answers[0], rules)
        if isinstance(gold, Seq) and gold.kind != "tuple" and len(gold.items) > 1:
            return decide(gold, Seq("list", tuple(answers)), rules)
        distinct = {canonical(a) for a in found.answers}
        if len(distinct) == 1 or self.options.hedge == "last":
            return decide(gold, answers[-1], rules)
        decisions = [decide(gold, a, rules) for a in answers]
        if all(d.equal for d in decisions):
            return Decision(True, f"{len(answers)} final answers, each equal to the gold")
        shown = " | ".join(found.answers)[:200]
        return Decision(False, f"hedged between different final answers: {shown}")


DETAIL_CHARS = 300
"""Answers are echoed in ``details`` up to this length: a 1 MB box must not come back whole."""


def _clip(text: str) -> str:
    return text if len(text) <= DETAIL_CHARS else text[:DETAIL_CHARS] + "…"


def gold_of(reference: object) -> str | None:
    """The gold answer text of a reference, or None when it has none."""
    if isinstance(reference, Mapping):
        reference = reference.get("answer")
    if isinstance(reference, bool) or reference is None:
        return None
    if isinstance(reference, int | Fraction):
        return str(reference)
    if isinstance(reference, float):
        return repr(reference) if reference == reference else None
    if isinstance(reference, str) and reference.strip():
        return reference
    return None


GOLD_RULES = ("final_answer", "answer_colon", "last_math", "last_number")
"""How the answer is read from a gold that is a written solution rather than an answer."""


@lru_cache(maxsize=8192)
def gold_answers(text: str) -> tuple[str, ...]:
    """The answer(s) a gold holds: its boxes' contents (each once), or its stated answer.

    A gold that repeats its box ("\\boxed{004} ... so \\boxed{004}") has one answer. A
    gold that is a reference solution in prose ("... loses $28\\%$ of its value. Final
    Answer: ...") is read like a completion, by ``GOLD_RULES``; a gold that is just an
    answer, however long, is taken whole.
    """
    boxes = find_boxes(text) if "box" in text else []
    if boxes:
        return tuple(dict.fromkeys(b.content.strip() for b in boxes))
    if _is_solution(text):
        found = extract(text, GOLD_RULES)
        if found is not None:
            return found.answers
    return (text,)


_PROSE = re.compile(r"[A-Za-z]{2,}\s+[A-Za-z]{2,}\s+[A-Za-z]{2,}")
_INLINE_MATH = re.compile(r"(?<!\\)\$|\\\(")


def _is_solution(text: str) -> bool:
    # Prose with math spans inside it: three words in a row outside the math, and a
    # "$" or "\(" left once the delimiters round the whole text are gone.
    inner = strip_delimiters(text)
    return bool(_INLINE_MATH.search(inner)) and bool(_PROSE.search(_MATH_SPAN.sub(" ", inner)))


_MATH_SPAN = re.compile(r"(?<!\\)\$[^$]*(?<!\\)\$|\\\(.*?\\\)", re.DOTALL)


@lru_cache(maxsize=8192)
def parse_gold(text: str) -> Node:
    """The parsed gold; a gold with several different boxes is a list of their answers.

    Raises:
        Rejected: the gold's answer is too big or too deep to judge.
    """
    answers = gold_answers(text)
    if len(answers) > 1:
        return Seq("list", tuple(parse_answer(a) for a in answers))
    return parse_answer(answers[0])


@lru_cache(maxsize=65536)
def decide(gold: Node, pred: Node, rules: Rules) -> Decision:
    """``equivalent`` with a cache: a GRPO group repeats the same answers."""
    return equivalent(gold, pred, rules)
