"""Finding the answer in a completion.

Rules, each named so options can order them and verdicts can say which one fired:

- ``boxed``: the last ``\\boxed{...}``/``\\fbox{...}`` (nested braces). Boxes close
  together with no correction between them form one final group: several answers
  ("the roots are \\boxed{1} and \\boxed{2}") or a hedge ("\\boxed{3} or maybe
  \\boxed{5}"); the verifier decides which, knowing the gold. A box after a
  correction ("wait", "actually", "mistake", ...) or after a long stretch of text
  supersedes the earlier ones.
- ``hashes``: GSM8K's ``#### 18``.
- ``final_answer``: "final answer is ...", "the answer is ...".
- ``answer_colon``: "Answer: ...".
- ``bold``: a markdown-bold span in the last paragraph.
- ``last_math``: the last ``$...$``/``\\(...\\)``/``\\[...\\]`` of the last paragraph
  (its right-hand side when it is an equation).
- ``last_number``: the last number anywhere.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .normalize import matching_brace

RULES = ("boxed", "hashes", "final_answer", "answer_colon", "bold", "last_math", "last_number")

HEDGE_WINDOW = 150
"""Boxes at most this many characters apart, with no correction between, form one group."""

MAX_BOXES = 2000

_BOX = re.compile(r"\\(?:boxed|fbox)(?![a-zA-Z])\s*")
_CORRECTION = re.compile(
    r"\b(?:wait|actually|correct(?:ion|ed|ing)|mistake|error|incorrect|wrong|oops|hmm|"
    r"re-?(?:evaluat|check|consider|calculat|comput|examin|visit)\w*|double[- ]check\w*|"
    r"instead|revis\w*|let me (?:re|check|verify))\b",
    re.IGNORECASE,
)
_HASHES = re.compile(r"####\s*([^\n]+)")
_FINAL = re.compile(r"(?:final answer|the answer)\s*(?:is|:|=)?\s*:?\s*", re.IGNORECASE)
_ANSWER_COLON = re.compile(r"\banswer\s*[:\uff1a]\s*", re.IGNORECASE)  # ASCII or full-width colon
_BOLD = re.compile(r"\*\*([^*\n]+?)\*\*")
# A dollar sign escaped as ``\\$`` is a currency sign inside the math, not its end.
_MATH = re.compile(
    r"(?<!\\)\$\$(.+?)(?<!\\)\$\$|(?<!\\)\$((?:[^$\\]|\\.)+?)(?<!\\)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]",
    re.DOTALL,
)
# The last number: a fraction command (``\\frac{10}{9}``, ``\\tfrac83``) is one number,
# and digits after a letter are part of a word or a command (``AZYUK2A``, ``x2``), not
# a number; letters after a number are a unit (``1,000.99m``). Thousands groups may be separated by a comma or one space (``1 000``).
_NUMBER = re.compile(
    r"-?\\[dtc]?frac\s*(?:\{[^{}]*\}|\d)\s*(?:\{[^{}]*\}|\d)"
    r"|(?<![A-Za-z\d.\\])-?(?:\d{1,3}(?: \d{3})+(?!\d)|\d[\d,]*)(?:\.\d+)?(?:/\d+)?"
    r"|(?<![A-Za-z\d\\])-?\.\d+"
)
# The end of a sentence: a period not inside a number, or the end of the line.
_SENTENCE_END = re.compile(r"\.(?!\d)(?:\s|$)|\n")


@dataclass(frozen=True, slots=True)
class Extraction:
    """What a rule found.

    Args:
        rule: the rule that fired (one of ``RULES``).
        answers: the final answer(s), raw text; several only for a group of boxes.
        superseded: earlier boxed answers that a later box corrected.
        start: where the statement of the answer begins (the last box's start).
    """

    rule: str
    answers: tuple[str, ...]
    superseded: tuple[str, ...] = ()
    start: int = field(default=-1, compare=False)
    """Where the statement begins in the text (-1: not recorded)."""


def extract(text: str, priority: Sequence[str] = RULES) -> Extraction | None:
    """The answer of a completion by the first rule in ``priority`` that finds one.

    Args:
        text: the answer part of a completion (reasoning already cut off).
        priority: rule names, tried in order.

    Returns:
        The extraction, or None when no rule finds anything.
    """
    for i, rule in enumerate(priority):
        found = _EXTRACTORS[rule](text)
        if found is None:
            continue
        if rule == "boxed":
            stated = _stated_after(text, found.start, priority[i + 1 :])
            if stated is not None:
                return Extraction(stated.rule, stated.answers, found.answers + found.superseded)
        return found
    return None


_CHECKABLE = re.compile(r"[\d\\]")
_FINAL_ONLY = re.compile(r"final answer\s*(?:is|:|=)?\s*:?\s*", re.IGNORECASE)


def _stated_after(text: str, box_at: int, later: Sequence[str]) -> Extraction | None:
    """A "final answer is ..." written after the last box: it outranks the box.

    A box in the working ("... so $\\boxed{255}$ dollars more") followed by "The final
    answer is $10,455$" was an intermediate result. Only the words "final answer"
    count: "the answer is 44" or "check our answer: ..." after a box is usually the
    box being verified. The statement must be a number or
    some math, not prose: "the answer is correct" or "the answer is consistent with
    the 3 conditions" states nothing.
    """
    if "final_answer" not in later:
        return None
    if "inal" not in text[box_at:]:  # the common case, without a regex pass
        return None
    found = _final_only(text[box_at:])
    if found is None:
        return None
    answer = found.answers[0]
    if _CHECKABLE.search(answer) and not _PROSE.search(_MATH.sub(" ", answer)):
        return found
    return None


@dataclass(frozen=True, slots=True)
class _Box:
    start: int
    end: int
    content: str


def find_boxes(text: str) -> list[_Box]:
    """Every outermost ``\\boxed``/``\\fbox`` in order; a box that never closes ends the search."""
    boxes: list[_Box] = []
    pos = 0
    while len(boxes) < MAX_BOXES:
        m = _BOX.search(text, pos)
        if m is None:
            break
        at = m.end()
        if at < len(text) and text[at] == "{":
            close = matching_brace(text, at)
            if close < 0:
                break  # unbalanced: scanning further would be quadratic on hostile input
            if text[at + 1 : close].strip():  # an empty box is no answer
                boxes.append(_Box(m.start(), close + 1, text[at + 1 : close]))
            pos = close + 1
        else:
            token = re.match(r"[^\s$]+", text[at : at + 200])
            if token:
                boxes.append(_Box(m.start(), at + token.end(), token.group().rstrip(".,")))
            pos = at + 1
    return boxes


def _boxed(text: str) -> Extraction | None:
    boxes = find_boxes(text)
    if not boxes:
        return None
    first = len(boxes) - 1
    while first > 0:
        gap = text[boxes[first - 1].end : boxes[first].start]
        if len(gap) > HEDGE_WINDOW or _CORRECTION.search(gap):
            break
        first -= 1
    final = tuple(b.content for b in boxes[first:])
    earlier = tuple(b.content for b in boxes[:first])
    return Extraction("boxed", final, earlier, start=boxes[-1].start)


def _rest_of_sentence(text: str, start: int) -> str:
    rest = text[start : start + 500]
    math = re.match(r"\s*(\$\$.+?\$\$|\$[^$]+\$|\\\(.+?\\\)|\\\[.+?\\\])", rest, re.DOTALL)
    if math:
        return math.group(1)
    end = _SENTENCE_END.search(rest)
    return rest[: end.start()] if end else rest


# "The largest $n$ is 34": in a sentence, the answer follows its last verb of being.
_COPULA = re.compile(r"\b(?:is|are|was|were|equals|be)\b\s*:?\s*", re.IGNORECASE)
# Prose: two words of two letters or more outside any math span.
_PROSE = re.compile(r"[A-Za-z]{2,}\s+[A-Za-z]{2,}")


def answer_in_sentence(sentence: str) -> str:
    """The answer a sentence states: the sentence itself unless it is prose around one.

    "The largest $n$ is 34" gives ``34``; "$\\frac{3}{4}$" and "28 percent" stay whole.
    """
    outside = _MATH.sub(" ", sentence)
    if not _PROSE.search(outside):
        return sentence
    last = None
    for last in _COPULA.finditer(sentence):  # noqa: B007 - we want the last match
        pass
    if last is not None and not _inside_math(sentence, last.start()):
        return answer_in_sentence(_rest_of_sentence(sentence, last.end()).strip())
    spans: list[tuple[str, ...]] = _MATH.findall(sentence)
    if spans:
        return next(g for g in spans[-1] if g).strip()
    return sentence


def _inside_math(text: str, at: int) -> bool:
    return any(m.start() < at < m.end() for m in _MATH.finditer(text))


def _after_last(pattern: re.Pattern[str], rule: str) -> Callable[[str], Extraction | None]:
    def find(text: str) -> Extraction | None:
        last = None
        for last in pattern.finditer(text):  # noqa: B007 - we want the last match
            pass
        if last is None:
            return None
        answer = answer_in_sentence(_rest_of_sentence(text, last.end()).strip())
        return Extraction(rule, (answer,), start=last.start()) if answer else None

    return find


def _hashes(text: str) -> Extraction | None:
    found = _HASHES.findall(text)
    return Extraction("hashes", (found[-1].strip(),)) if found else None


TAIL_CHARS = 4000
"""The paragraph rules read at most this much of the end: their regexes would turn
quadratic on a hostile megabyte of unclosed ``\\(``, and a final answer is short."""


def _last_paragraph(text: str) -> str:
    text = text[-TAIL_CHARS:].rstrip()
    cut = text.rfind("\n\n")
    return text[cut + 2 :] if cut >= 0 else text


def _bold(text: str) -> Extraction | None:
    found = _BOLD.findall(_last_paragraph(text))
    return Extraction("bold", (found[-1].strip(),)) if found else None


def _last_math(text: str) -> Extraction | None:
    found = _MATH.findall(_last_paragraph(text))
    if not found:
        return None
    # The whole span, equation and all: cutting at "=" here would lose the left side
    # of "x^2 + y^2 = 25", split "\\sum_{k=0}" and "x <= 2". Whether "x = 5" stands
    # for 5 is decided when comparing, knowing the gold (equivalence._value_side).
    math = next(g for g in found[-1] if g).strip()
    return Extraction("last_math", (math,)) if math else None


def _last_number(text: str) -> Extraction | None:
    found = _NUMBER.findall(text)
    return Extraction("last_number", (found[-1].rstrip(","),)) if found else None


_final_only = _after_last(_FINAL_ONLY, "final_answer")

_EXTRACTORS: dict[str, Callable[[str], Extraction | None]] = {
    "boxed": _boxed,
    "hashes": _hashes,
    "final_answer": _after_last(_FINAL, "final_answer"),
    "answer_colon": _after_last(_ANSWER_COLON, "answer_colon"),
    "bold": _bold,
    "last_math": _last_math,
    "last_number": _last_number,
}
