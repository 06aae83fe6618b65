"""Rejection sampling and best-of-n: keep the completions the verifiers accept.

``select`` (in ``run``) reads several completions per prompt, grades them, groups them by
prompt and yields, per prompt, what ``choose`` keeps as SFT rows and preference pairs in
TRL's shapes (``shapes``); ``candidates`` reads a line, ``options`` holds what to keep,
``summary`` adds up a run. ``verigrade select`` is this on JSONL files; docs/select.md
says what each option does.
"""

from __future__ import annotations

from .choose import OUTCOMES, Decision, Outcome
from .options import SelectOptions, SelectOptionsError
from .run import GradeBackend, Selection, select
from .summary import SelectSummary

__all__ = [
    "OUTCOMES",
    "Decision",
    "GradeBackend",
    "Outcome",
    "SelectOptions",
    "SelectOptionsError",
    "SelectSummary",
    "Selection",
    "select",
]
