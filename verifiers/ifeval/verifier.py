"""IFEval's instruction-following reward: the share of verifiable instructions followed.

Zhou et al. 2023 (arXiv:2311.07911) define 25 instructions a program can check
(keywords, language, length, content, format, combination, start/end, case,
punctuation). The reference lists which ones a prompt asked for, with their kwargs
(see ``reference``); the score is the fraction followed, or 1/0 with
``scoring="all_or_nothing"`` (the paper's prompt-level accuracy).

``variant`` is the paper's: ``strict`` checks the response as it is; ``loose``
also accepts an instruction when it holds for the response with markdown ``*``
removed, its first line removed, its last line removed, or both (8 versions), which
forgives "Sure, here is..." preambles and bold titles.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from ..core.base import Verifier
from ..core.model import Sample, Verdict
from ..core.options import Opt
from ..core.text import split_think
from .instructions import INSTRUCTIONS
from .reference import parse_reference


@dataclass(frozen=True)
class IFEvalOptions:
    """Options of ``ifeval``."""

    variant: Annotated[
        Literal["strict", "loose"],
        Opt("strict: the response as is; loose: also without '*', first or last line (IFEval)"),
    ] = "strict"
    scoring: Annotated[
        Literal["fraction", "all_or_nothing"],
        Opt("fraction of instructions followed, or 1 only when all are (prompt-level)"),
    ] = "fraction"
    answer_only: Annotated[
        bool,
        Opt("judge only the text after the reasoning's closing tag when there is one"),
    ] = True
    open_tag: Annotated[str, Opt("tag that opens the reasoning", min_length=1)] = "<think>"
    close_tag: Annotated[str, Opt("tag that closes the reasoning", min_length=1)] = "</think>"


def loose_versions(response: str) -> list[str]:
    """The paper's loose transformations of a response (the response itself first)."""
    lines = response.split("\n")
    first = "\n".join(lines[1:]).strip()
    last = "\n".join(lines[:-1]).strip()
    both = "\n".join(lines[1:-1]).strip()
    versions = [response, first, last, both]
    return versions + [v.replace("*", "") for v in versions]


class IFEvalVerifier(Verifier[IFEvalOptions]):
    """IFEval: the share of the prompt's verifiable instructions the response follows."""

    name = "ifeval"
    description = (
        "IFEval instruction following: share of the 25 verifiable instruction types "
        "(keywords, length, format, case, ...) the response follows; strict or loose."
    )
    Options = IFEvalOptions
    timeout = 10.0

    def verify(self, sample: Sample) -> Verdict:
        o = self.options
        constraints = parse_reference(sample.reference)
        if isinstance(constraints, str):
            return Verdict.failed("invalid_input", constraints)
        text = sample.completion_text
        if o.answer_only:
            split = split_think(text, o.open_tag, o.close_tag)
            if split.reasoning is None and o.open_tag in text:
                return Verdict.failed("no_answer", f"reasoning never closed with {o.close_tag}")
            text = split.answer
        if not text.strip():
            return Verdict.failed("no_answer", "empty response")
        versions = loose_versions(text) if o.variant == "loose" else [text]
        results: list[dict[str, Any]] = []
        for instruction_id, kwargs in constraints:
            result = self._check(instruction_id, kwargs, versions)
            if isinstance(result, str):
                return Verdict.failed("error", result)
            results.append(result)
        followed = sum(r["followed"] for r in results)
        if o.scoring == "all_or_nothing":
            score = float(followed == len(results))
        else:
            score = followed / len(results)
        details = {"variant": o.variant, "followed": followed, "instructions": results}
        broken = [r["id"] for r in results if not r["followed"]]
        reason = f"{followed} of {len(results)} instructions followed"
        if broken:
            reason += f"; not: {', '.join(broken)}"
        return Verdict(score, "ok", reason, details)

    @staticmethod
    def _check(
        instruction_id: str, kwargs: dict[str, Any], versions: list[str]
    ) -> dict[str, Any] | str:
        instruction = INSTRUCTIONS[instruction_id]
        note = ""
        for version in versions:
            if not version.strip():
                continue
            try:
                followed, note = instruction.check(version, kwargs)
            except ImportError:
                return (
                    f"{instruction_id} detects languages with py3langid: "
                    "pip install 'verigrade[langid]'"
                )
            if followed:
                return {"id": instruction_id, "followed": True, "note": note}
        return {"id": instruction_id, "followed": False, "note": note}
