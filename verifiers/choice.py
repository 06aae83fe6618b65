"""``choice``: is the completion's multiple-choice answer the gold option?

The answer is read from the text after the reasoning (``</think>``), by the first rule
that finds one:

- ``boxed``: the last ``\\boxed{B}`` (``\\boxed{\\text{(B)}}``, ``\\boxed{B) 42}``); boxes
  close together with no correction between them form one group, as in ``math``.
- ``phrase``: "the answer is B", "the correct option is (B)", "Answer: B",
  "**Final answer:** B)"; statements close together form one group the same way.
- ``line``: the last non-empty line is a lone letter (``B``, ``(B)``, ``B.``).

Each rule accepts a letter ``A``-``J`` (upper case only: "the answer is a prime" names no
option), or, when the reference lists the options and ``match_text`` is on, an option's
text (compared after SQuAD-style normalisation: case, punctuation, articles, spaces).

Strict by design, since a policy under RL games any lenient reward: a hedge ("B or C",
``\\boxed{A, B, C, D}``, "the answer is B. The answer is C.") scores 0, a letter
whose following text is another option's text ("(B) 17" when 17 is option C) scores 0,
and a letter past the listed options scores 0.

Reference: ``"B"``, or ``{"answer": "B" | 1, "options": ["...", ...] | {"A": "...", ...}}``
(an integer answer is a 0-based index, as in MMLU/ARC data).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from .core.base import Verifier
from .core.model import Sample, Verdict
from .core.options import Opt
from .core.text import answer_text
from .qa import normalize_answer

LETTERS = "ABCDEFGHIJ"
GROUP_WINDOW = 150
"""Answer statements at most this many characters apart, with no correction between, form
one group (the same window ``math`` uses for boxes)."""

_WRAPPER = re.compile(r"\\(?:text|textbf|mathrm|mathbf|textit)\s*\{([^{}]*)\}")
# A letter standing alone at the start of a fragment: "B", "(B)", "[B]", "B)", "B.", "B:",
# "**B**", "option B". A letter followed by more letters is a word ("Because").
_LEAD = re.compile(
    r"^[\s*$_`'\"]*(?:(?:option|choice)\s+)?[(\[]?([A-J])(?![A-Za-z0-9])[)\]]?[.:]?[\s*$_`'\"]*",
    re.IGNORECASE,
)
_EITHER = re.compile(r"^\s*(?:either|both)\s+", re.IGNORECASE)
# A second letter joined to the first: "B or C", "B, C", "B and/or D", "(B) or maybe (C)".
_ALSO = re.compile(
    r"^[\s,;/&*)\].]*(?:,|/|&|\bor\b|\band\b|\bnor\b|\bvs\.?)"
    r"(?:\s*(?:or|and|maybe|perhaps|possibly|also|even|option|choice)\b)*"
    r"[\s*$(\[]*(?-i:[A-J])(?![A-Za-z0-9])",
    re.IGNORECASE,
)
_PHRASE = re.compile(
    r"(?:\b(?:final|correct|best|right)\s+(?:answer|option|choice)|\bthe\s+answer|\banswer)"
    r"\s*(?:\*\*)?\s*(?:is|would\s+be|should\s+be|must\s+be|[:\uff1a=])\s*(?:\*\*)?\s*:?",
    re.IGNORECASE,
)
_CORRECTION = re.compile(
    r"\b(?:wait|actually|correction|mistake|incorrect|wrong|oops|instead|re-?consider\w*|"
    r"re-?evaluat\w*|double[- ]check\w*)\b",
    re.IGNORECASE,
)
_BARE_LINE = re.compile(r"^[\s*$_`(\[]*([A-J])[)\]]?[.\s*$_`]*$")


@dataclass(frozen=True)
class ChoiceOptions:
    """Options of ``choice``."""

    match_text: Annotated[
        bool, Opt("accept an option's text as the answer when the reference lists the options")
    ] = True
    think_close_tag: Annotated[
        str, Opt("only the text after the last such tag is read", min_length=1)
    ] = "</think>"


@dataclass(frozen=True, slots=True)
class _Pick:
    """What one fragment of the completion chose."""

    letter: str | None
    problem: str | None = None  # a hedge or a contradiction: scores 0


class ChoiceVerifier(Verifier[ChoiceOptions]):
    """Multiple-choice accuracy: the chosen letter (or option text) against the gold."""

    name = "choice"
    description = (
        "Multiple choice: the chosen option letter (A-J, (B), 'Answer: B', \\boxed{B}) or the "
        "option's text; a hedge between options scores 0."
    )
    Options = ChoiceOptions
    timeout = 5.0

    def verify(self, sample: Sample) -> Verdict:
        """Score 1.0 when the one chosen option is the gold, else 0.0.

        Returns ``invalid_input`` for a malformed reference and ``no_answer`` when no
        rule finds a choice.
        """
        parsed = parse_reference(sample.reference)
        if isinstance(parsed, str):
            return Verdict.failed("invalid_input", f"reference: {parsed}")
        gold, options = parsed
        text = answer_text(sample.completion_text, self.options.think_close_tag)
        texts = options if self.options.match_text else None
        for rule, fragments in _candidates(text):
            picks = [_pick(f, texts) for f in fragments]
            picks = [p for p in picks if p.letter is not None or p.problem is not None]
            if not picks:
                continue
            details: dict[str, Any] = {"rule": rule, "gold": gold}
            problem = next((p.problem for p in picks if p.problem), None)
            letters = sorted({p.letter for p in picks if p.letter})
            if problem is None and len(letters) > 1:
                problem = f"hedges between {' and '.join(letters)}"
            if problem is not None:
                return Verdict(0.0, "ok", problem, {**details, "chosen": letters})
            chosen = letters[0]
            details["chosen"] = chosen
            if options is not None and LETTERS.index(chosen) >= len(options):
                return Verdict(0.0, "ok", f"{chosen} is not one of the options", details)
            right = chosen == gold
            reason = f"chose {chosen}, gold {gold}" + ("" if right else " (wrong)")
            return Verdict(float(right), "ok", reason, details)
        return Verdict.failed("no_answer", "no option chosen", gold=gold)


def parse_reference(reference: object) -> tuple[str, list[str] | None] | str:
    """The gold letter and the option texts (or None), or why the reference is malformed."""
    options: list[str] | None = None
    answer = reference
    if isinstance(reference, Mapping):
        if "answer" not in reference:
            return "expected {'answer': ..., 'options': ...}; no 'answer'"
        answer = reference["answer"]
        raw = reference.get("options")
        if raw is not None:
            if isinstance(raw, Mapping):
                keys = [str(k).strip().upper() for k in raw]
                if keys != list(LETTERS[: len(keys)]):
                    return "options given as an object must be keyed A, B, C, ... in order"
                raw = list(raw.values())
            if not isinstance(raw, list) or not all(isinstance(o, str) for o in raw):
                return "'options' must be a list of strings or an object of strings"
            if not 2 <= len(raw) <= len(LETTERS):
                return f"between 2 and {len(LETTERS)} options are supported, got {len(raw)}"
            options = raw
    if isinstance(answer, int) and not isinstance(answer, bool):
        limit = len(options) if options is not None else len(LETTERS)
        if not 0 <= answer < limit:
            return f"answer index {answer} is out of range"
        return LETTERS[answer], options
    if not isinstance(answer, str):
        return f"the answer must be a letter A-J or a 0-based index, got {type(answer).__name__}"
    letter = answer.strip().strip("()[]. ").upper()
    if len(letter) != 1 or letter not in LETTERS:
        return f"the answer must be a letter A-J, got {answer!r}"
    if options is not None and LETTERS.index(letter) >= len(options):
        return f"the answer {letter} is past the {len(options)} options"
    return letter, options


def _candidates(text: str) -> list[tuple[str, list[str]]]:
    """Fragments of the final answer, rule by rule, each rule's final group only."""
    from .math.extract import extract  # its box grouping; imported at use (sympy-free)

    out: list[tuple[str, list[str]]] = []
    boxed = extract(text, ("boxed",))
    if boxed is not None:
        out.append(("boxed", list(boxed.answers)))
    phrases = [(m.start(), m.end()) for m in _PHRASE.finditer(text)]
    if phrases:
        out.append(("phrase", _phrase_group(text, phrases)))
    lines = [line for line in text.splitlines() if line.strip()]
    if lines:
        out.append(("line", [lines[-1]] if _BARE_LINE.match(lines[-1]) else []))
    return out


def _phrase_group(text: str, phrases: list[tuple[int, int]]) -> list[str]:
    """The answer statements that end the text, keeping only those that choose something."""
    spans = [_sentence(text, end) for _, end in phrases]
    chosen = [i for i, span in enumerate(spans) if _letter_at(_EITHER.sub("", span))]
    if not chosen:
        # No statement names a letter; the last one may still name an option's text.
        return [spans[-1]]
    group = [chosen[-1]]
    for i in reversed(chosen[:-1]):
        gap = text[phrases[i][1] : phrases[group[-1]][0]]
        if len(gap) > GROUP_WINDOW + len(spans[i]) or _CORRECTION.search(gap):
            break
        group.append(i)
    return [spans[i] for i in reversed(group)]


def _sentence(text: str, start: int) -> str:
    rest = text[start : start + 300]
    end = re.search(r"\n|\.(?:\s|$)|;", rest)
    return rest[: end.start()] if end else rest


def _pick(fragment: str, options: list[str] | None) -> _Pick:
    """The option one fragment chooses: a letter, an option's text, or a hedge."""
    fragment = _EITHER.sub("", _WRAPPER.sub(r"\1", fragment))
    lead = _letter_at(fragment)
    if lead is not None:
        letter, rest = lead
        if _ALSO.match(rest):
            return _Pick(None, "hedges between several options")
        if options is not None and rest.strip():
            said = _text_choice(rest, options)
            if said is not None and said != letter:
                return _Pick(None, f"says {letter} but gives the text of option {said}")
        return _Pick(letter)
    if options is not None:
        said = _text_choice(fragment, options)
        if said is not None:
            return _Pick(said)
    return _Pick(None)


def _letter_at(fragment: str) -> tuple[str, str] | None:
    """The upper-case letter that starts ``fragment`` and the text after it."""
    lead = _LEAD.match(fragment)
    if lead is None or not lead.group(1).isupper():
        return None
    return lead.group(1), fragment[lead.end() :]


def _text_choice(fragment: str, options: list[str]) -> str | None:
    said = normalize_answer(fragment)
    if not said:
        return None
    matches = [LETTERS[i] for i, o in enumerate(options) if normalize_answer(o) == said]
    return matches[0] if len(matches) == 1 else None
