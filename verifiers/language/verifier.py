"""R1's language-consistency reward: the share of reasoning words in the target language.

DeepSeek-R1 (arXiv:2501.12948, §2.3.3) adds "the proportion of target language
words in the CoT" to the reward to stop language mixing. Detection is by Unicode
script, so it is offline and fast: a Chinese target counts Han words for and Latin
words against. Code spans, math, URLs and numbers are removed first: they count
neither for nor against.

Scripts alone cannot tell French from English: every Latin word would count as
French. So the default backend, ``auto``, counts by script only where that
settles it (the target's scripts write no other language whole: zh, ru-vs-en,
ar-vs-hi, ...), and otherwise classifies each sentence in the target's script
with py3langid (``verigrade[langid]``); without py3langid it says so with an
``error`` verdict instead of a score that means nothing. ``backend="script"``
forces script counting (and says in the reason when the target's script is
shared); ``backend="langid"`` always classifies.

The target comes from the ``target`` option or, when that is unset, from
``metadata["language"]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any, Literal

import regex

from ..core.base import Verifier
from ..core.model import Sample, Verdict
from ..core.options import Opt
from ..core.text import split_think
from .detect import detect_language, langid_available
from .scripts import count_words, scripts_for, shares_script

# Removed before counting: fenced and inline code, display and inline math,
# LaTeX commands, URLs. Order matters: fences before inline backticks.
NEUTRAL = regex.compile(
    r"```.*?(?:```|\Z)"
    r"|`[^`\n]*`"
    r"|\$\$.*?\$\$"
    r"|\$[^$\n]*\$"
    r"|\\\[.*?\\\]"
    r"|\\\(.*?\\\)"
    r"|\\[A-Za-z]+"
    r"|https?://\S+",
    regex.DOTALL,
)
# Sentence ends include the CJK full stop and full-width marks.
SENTENCE = regex.compile(r"[^.!?\u3002\uff01\uff1f\n]+[.!?\u3002\uff01\uff1f]?")


@dataclass(frozen=True)
class LanguageOptions:
    """Options of ``language``."""

    target: Annotated[
        str | None,
        Opt(
            "target language (ISO code like 'en', 'zh', 'ja') or script name; default: metadata.language"
        ),
    ] = None
    scope: Annotated[
        Literal["reasoning", "answer", "completion"],
        Opt(
            "which part to judge; 'reasoning' falls back to the whole completion when there are no tags"
        ),
    ] = "reasoning"
    backend: Annotated[
        Literal["auto", "script", "langid"],
        Opt(
            "'auto': scripts, plus py3langid where the target shares its script (fr vs en); 'script': scripts only; 'langid': always py3langid"
        ),
    ] = "auto"
    empty_score: Annotated[
        float,
        Opt("score when the text holds no words at all (only math, code or numbers)"),
    ] = 1.0
    open_tag: Annotated[str, Opt("tag that opens the reasoning", min_length=1)] = "<think>"
    close_tag: Annotated[str, Opt("tag that closes the reasoning", min_length=1)] = "</think>"


class LanguageVerifier(Verifier[LanguageOptions]):
    """Share of words in the target language (R1's language-consistency reward)."""

    name = "language"
    description = "R1 language-consistency reward: share of reasoning words in the target language."
    Options = LanguageOptions
    timeout = 10.0

    def verify(self, sample: Sample) -> Verdict:
        o = self.options
        target = o.target if o.target is not None else sample.metadata.get("language")
        if not isinstance(target, str) or not target.strip():
            return Verdict.failed(
                "invalid_input", "no target language: set the 'target' option or metadata.language"
            )
        resolved = scripts_for(target)
        if resolved is None:
            return Verdict.failed("invalid_input", f"unknown target language {target!r}")
        code, scripts = resolved
        text, scope = self._text(sample)
        words = count_words(NEUTRAL.sub(" ", text))
        total = sum(words.values())
        details: dict[str, Any] = {
            "target": code,
            "scope": scope,
            "words": total,
            "by_script": words,
        }
        if total == 0:
            return Verdict(
                o.empty_score, "ok", "no words to judge (only math, code or numbers)", details
            )
        in_target = sum(n for script, n in words.items() if script in scripts)
        sharing = shares_script(code)
        use_langid = o.backend == "langid" or (o.backend == "auto" and bool(sharing))
        details["backend"] = "langid" if use_langid else "script"
        if use_langid and in_target:
            if not langid_available():
                return Verdict.failed(
                    "error",
                    f"cannot tell {code} from {', '.join(sharing[:4]) or 'other languages'} "
                    f"by script alone: install py3langid (pip install 'verigrade[langid]') "
                    "or set backend='script' to count scripts only",
                    **details,
                )
            in_target = _langid_target_words(NEUTRAL.sub(" ", text), code, scripts)
        score = in_target / total
        details["target_words"] = in_target
        reason = f"{in_target} of {total} words in {code}"
        if not use_langid and sharing:
            details["shared_script"] = sharing
            reason += f" (by script only: {', '.join(sharing[:4])} words count as {code} too)"
        return Verdict(score, "ok", reason, details)

    def _text(self, sample: Sample) -> tuple[str, str]:
        o = self.options
        text = sample.completion_text
        if o.scope == "completion":
            return text, "completion"
        split = split_think(text, o.open_tag, o.close_tag)
        if o.scope == "answer":
            return split.answer, "answer"
        if split.reasoning is None:
            return text, "completion"
        return split.reasoning, "reasoning"


def _langid_target_words(text: str, code: str, scripts: frozenset[str]) -> int:
    """Words of the target's script that sit in sentences langid assigns to ``code``."""
    kept = 0
    for match in SENTENCE.finditer(text):
        counts = count_words(match.group())
        own = sum(n for script, n in counts.items() if script in scripts)
        if own == 0:
            continue
        # Fragments under 4 words ("OK.", "two plus two") are too short for language ID
        # to be right more often than wrong: give them the benefit.
        # Only the sentence's words in the target's scripts are classified, so a
        # code-switched sentence ("Let's debug करते हैं") is judged on its Latin part.
        if own < 4 or detect_language(_only(match.group(), scripts)) == code:
            kept += own
    return kept


@cache
def _other_scripts(scripts: frozenset[str]) -> regex.Pattern[str]:
    keep = "".join(f"\\p{{{s}}}" for s in sorted(scripts))
    return regex.compile(f"[^{keep}\\p{{Inherited}}'\u2019\\s-]+")


def _only(text: str, scripts: frozenset[str]) -> str:
    """``text`` with everything outside ``scripts`` blanked out."""
    blanked: str = _other_scripts(scripts).sub(" ", text)
    return blanked
