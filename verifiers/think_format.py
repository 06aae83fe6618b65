"""R1's format reward: reasoning inside ``<think>...</think>``, then a non-empty answer.

DeepSeek-R1 (arXiv:2501.12948, §2.2.2) rewards completions that follow the template
``<think> reasoning </think> answer``. Two modes:

- ``strict``: the completion starts with the opening tag (or the prompt ends with
  it, as chat templates that pre-fill ``<think>`` do), each tag appears exactly once,
  the reasoning and the answer are both non-empty, and with ``newlines`` the tags sit
  on their own lines (``<think>\\n...\\n</think>\\n``).
- ``lenient``: text before the opening tag and extra whitespace are allowed; the
  tags still must appear once each, in order, around non-empty reasoning, with a
  non-empty answer after them.

With ``partial_credit`` each of four checks is worth 0.25 (opening tag once,
closing tag once, in order with non-empty reasoning, non-empty answer), in the
spirit of open-r1's tag-count reward; otherwise the score is all or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from .core.base import Verifier
from .core.model import Sample, Verdict
from .core.options import Opt


@dataclass(frozen=True)
class ThinkFormatOptions:
    """Options of ``think_format``."""

    mode: Annotated[
        Literal["strict", "lenient"],
        Opt("strict: R1's exact template; lenient: tags once each, in order"),
    ] = "strict"
    open_tag: Annotated[str, Opt("tag that opens the reasoning", min_length=1)] = "<think>"
    close_tag: Annotated[str, Opt("tag that closes the reasoning", min_length=1)] = "</think>"
    partial_credit: Annotated[bool, Opt("0.25 per satisfied check instead of all-or-nothing")] = (
        False
    )
    newlines: Annotated[bool, Opt("strict mode also wants the tags on their own lines")] = False
    answer_tag: Annotated[
        str | None,
        Opt("if set (e.g. 'answer'), the answer must be wrapped in <answer>...</answer>"),
    ] = None


class ThinkFormatVerifier(Verifier[ThinkFormatOptions]):
    """Checks R1's ``<think>reasoning</think> answer`` template."""

    name = "think_format"
    description = "R1 format reward: reasoning inside <think>...</think>, then a non-empty answer."
    Options = ThinkFormatOptions
    timeout = 5.0

    def verify(self, sample: Sample) -> Verdict:
        o = self.options
        text = sample.completion_text
        prefilled = sample.prompt_text.rstrip().endswith(o.open_tag)
        opens, closes = text.count(o.open_tag), text.count(o.close_tag)
        open_at, close_at = text.find(o.open_tag), text.find(o.close_tag)
        start = open_at + len(o.open_tag) if open_at >= 0 else 0
        reasoning = text[start:close_at] if close_at >= start else ""
        answer = text[close_at + len(o.close_tag) :] if close_at >= 0 else ""
        problems = [
            self._check_open(text, opens, open_at, prefilled),
            self._check_close(closes, reasoning, answer),
            self._check_reasoning(open_at, close_at, reasoning),
            self._check_answer(answer),
        ]
        failed = [p for p in problems if p is not None]
        all_or_nothing = 0.0 if failed else 1.0
        score = 0.25 * (len(problems) - len(failed)) if o.partial_credit else all_or_nothing
        details = {
            "mode": o.mode,
            "open_tags": opens,
            "close_tags": closes,
            "prefilled_open_tag": prefilled,
            "reasoning_chars": len(reasoning),
            "answer_chars": len(answer.strip()),
            "problems": failed,
        }
        return Verdict(score, "ok", "; ".join(failed) or "follows the template", details)

    def _check_open(self, text: str, opens: int, open_at: int, prefilled: bool) -> str | None:
        o = self.options
        # A pre-filled opening tag in the prompt stands for the one the completion lacks.
        if prefilled and opens == 0:
            return None
        if opens != 1:
            return f"{o.open_tag} appears {opens} times, expected once"
        if o.mode == "strict" and open_at > 0:
            return f"text before {o.open_tag}"
        return None

    def _check_close(self, closes: int, reasoning: str, answer: str) -> str | None:
        o = self.options
        if closes != 1:
            return f"{o.close_tag} appears {closes} times, expected once"
        if (
            o.mode == "strict"
            and o.newlines
            and not (
                reasoning.startswith("\n") and reasoning.endswith("\n") and answer.startswith("\n")
            )
        ):
            return "tags are not on their own lines"
        return None

    def _check_reasoning(self, open_at: int, close_at: int, reasoning: str) -> str | None:
        if close_at < 0:
            return "no reasoning block"
        if open_at > close_at:
            return "the tags are out of order"
        if not reasoning.strip():
            return "the reasoning is empty"
        return None

    def _check_answer(self, answer: str) -> str | None:
        o = self.options
        if not answer.strip():
            return f"nothing after {o.close_tag}"
        if o.open_tag in answer:
            return f"{o.open_tag} appears again in the answer"
        if o.answer_tag is None:
            return None
        open_a, close_a = f"<{o.answer_tag}>", f"</{o.answer_tag}>"
        body = answer.strip()
        if not (body.startswith(open_a) and body.endswith(close_a)):
            return f"the answer is not wrapped in {open_a}...{close_a}"
        inner = body[len(open_a) : -len(close_a)]
        if not inner.strip() or open_a in inner or close_a in inner:
            return f"{open_a}...{close_a} must hold one non-empty answer"
        return None
