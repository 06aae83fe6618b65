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
from dataclasses import dataclass

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
_MATH = re.compile(r"\$\$(.+?)\$\$|\$([^$]+?)\$|\\\((.+?)\\\)|\\\[(.+?)\\\]", re.DOTALL)
_NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?(?:/\d+)?|-?\.\d+")
# The end of a sentence: a period not inside a number, or the end of the line.
_SENTENCE_END = re.compile(r"\.(?!\d)(?:\s|$)|\n")


@dataclass(frozen=True, slots=True)
class Extraction:
    """What a rule found.

    Args:
        rule: the rule that fired (one of ``RULES``).
        answers: the final answer(s), raw text; several only for a group of boxes.
        superseded: earlier boxed answers that a later box corrected.
    """

    rule: str
    answers: tuple[str, ...]
    superseded: tuple[str, ...] = ()


def extract(text: str, priority: Sequence[str] = RULES) -> Extraction | None:
    """The answer of a completion by the first rule in ``priority`` that finds one.

    Args:
        text: the answer part of a completion (reasoning already cut off).
        priority: rule names, tried in order.

    Returns:
        The extraction, or None when no rule finds anything.
    """
    for rule in priority:
        found = _EXTRACTORS[rule](text)
        if found is not None:
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
    return Extraction("boxed", final, earlier)


def _rest_of_sentence(text: str, start: int) -> str:
    rest = text[start : start + 500]
    math = re.match(r"\s*(\$\$.+?\$\$|\$[^$]+\$|\\\(.+?\\\)|\\\[.+?\\\])", rest, re.DOTALL)
    if math:
        return math.group(1)
    end = _SENTENCE_END.search(rest)
    return rest[: end.start()] if end else rest


def _after_last(pattern: re.Pattern[str], rule: str) -> Callable[[str], Extraction | None]:
    def find(text: str) -> Extraction | None:
        last = None
        for last in pattern.finditer(text):  # noqa: B007 - we want the last match
            pass
        if last is None:
            return None
        answer = _rest_of_sentence(text, last.end()).strip()
        return Extraction(rule, (answer,)) if answer else None

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
    math = next(g for g in found[-1] if g).strip()
    # "so x = 2 + 3 = 5": the value is what follows the last equals sign.
    if "=" in math:
        math = math.rsplit("=", 1)[1].strip()
    return Extraction("last_math", (math,)) if math else None


def _last_number(text: str) -> Extraction | None:
    found = _NUMBER.findall(text)
    return Extraction("last_number", (found[-1].rstrip(","),)) if found else None


_EXTRACTORS: dict[str, Callable[[str], Extraction | None]] = {
    "boxed": _boxed,
    "hashes": _hashes,
    "final_answer": _after_last(_FINAL, "final_answer"),
    "answer_colon": _after_last(_ANSWER_COLON, "answer_colon"),
    "bold": _bold,
    "last_math": _last_math,
    "last_number": _last_number,
}
