"""One prompt's graded completions in, what to keep and which pairs to make out.

No I/O and no grading here: ``choose`` is the whole selection rule, so docs/select.md can
describe it from this file alone.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any, Literal, get_args

from ..core.model import Grade
from .candidates import Candidate
from .options import SelectOptions

Outcome = Literal[
    "kept",
    "below_min_reward",
    "beyond_best_k",
    "duplicate",
    "truncated",
    "not_graded",
    "invalid_input",
]
"""What happened to one completion; every completion gets exactly one."""

OUTCOMES: tuple[Outcome, ...] = get_args(Outcome)

# A verdict with one of these statuses is no judgement: the completion is neither kept nor
# used as a pair's rejected side, since its reward says nothing about its quality.
NOT_JUDGED = frozenset({"timeout", "error"})


@dataclass(frozen=True, slots=True)
class Decision:
    """What ``select`` did with one input completion, and why."""

    line: int
    index: int | None
    id: Any
    group: str | None
    grade: Grade
    outcome: Outcome
    reason: str

    @property
    def kept(self) -> bool:
        """True when the completion went into the SFT data."""
        return self.outcome == "kept"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record: where it came from, the outcome, the reward and verdicts."""
        return {
            "line": self.line,
            "index": self.index,
            "id": self.id,
            "group": self.group,
            "outcome": self.outcome,
            "reason": self.reason,
            "reward": self.grade.reward,
            "verdicts": {name: v.to_dict() for name, v in self.grade.verdicts.items()},
        }


@dataclass(frozen=True, slots=True)
class Choice:
    """A prompt's decisions (input order), the kept candidates (best first) and the
    pairs as ``(chosen, rejected)``."""

    decisions: list[Decision]
    kept: list[Candidate]
    pairs: list[tuple[Candidate, Candidate]]


def choose(
    group: str | None,
    members: list[tuple[Candidate, Grade]],
    options: SelectOptions,
) -> Choice:
    """Apply the selection rule to one prompt's completions (in input order).

    1. A completion that could not be graded, or whose grade holds a ``timeout`` or
       ``error`` verdict, is out (``invalid_input``, ``not_graded``).
    2. A truncated one is out (``truncated``).
    3. The rest are ranked by reward, highest first, ties in input order.
    4. Walking that ranking, a completion whose normalised text equals a better one's is
       out (``duplicate``), then one under ``min_reward`` (``below_min_reward``), then one
       past the first ``best_k`` kept (``beyond_best_k``); the others are ``kept``.
    5. Pairs: each kept completion (best first) against each ranked, distinct completion
       (lowest reward first, kept or not) that it beats by more than zero and by at least
       ``min_margin``, taken by diagonals (chosen rank + rejected rank = 0, 1, 2, ...), so
       the first pair is best against worst; the first ``pairs_per_prompt`` are made.
    """
    outcome: dict[int, tuple[Outcome, str]] = {}
    ranked: list[int] = []
    for i, (candidate, grade) in enumerate(members):
        if candidate.problem is not None:
            outcome[i] = ("invalid_input", candidate.problem)
        elif (bad := _not_judged(grade)) is not None:
            outcome[i] = bad
        elif candidate.truncated is not None:
            outcome[i] = ("truncated", candidate.truncated)
        else:
            ranked.append(i)
    ranked.sort(key=lambda i: -members[i][1].reward)  # stable: ties stay in input order

    seen: dict[str, int] = {}
    kept: list[int] = []
    distinct: list[int] = []
    for i in ranked:
        candidate, grade = members[i]
        assert candidate.sample is not None  # only graded candidates are ranked
        text = normalised(candidate.sample.completion_text)
        if options.dedup and text in seen:
            first = members[seen[text]][0]
            outcome[i] = ("duplicate", f"same text as {_where(first)} (after normalising)")
            continue
        seen.setdefault(text, i)
        distinct.append(i)
        reward = grade.reward
        if options.min_reward is not None and reward < options.min_reward:
            outcome[i] = (
                "below_min_reward",
                f"reward {reward:g} is below min_reward {options.min_reward:g}",
            )
        elif options.best_k is not None and len(kept) >= options.best_k:
            outcome[i] = (
                "beyond_best_k",
                f"reward {reward:g}, but the best_k ({options.best_k}) ranked above it were kept",
            )
        else:
            kept.append(i)
            outcome[i] = ("kept", f"reward {reward:g}, rank {len(kept)} of {len(ranked)}")

    decisions = [
        Decision(c.line, c.index, c.id, group, grade, *outcome[i])
        for i, (c, grade) in enumerate(members)
    ]
    pairs = _pairs(members, kept, distinct, options)
    return Choice(decisions, [members[i][0] for i in kept], pairs)


def _pairs(
    members: list[tuple[Candidate, Grade]],
    kept: list[int],
    distinct: list[int],
    options: SelectOptions,
) -> list[tuple[Candidate, Candidate]]:
    if options.pairs_per_prompt == 0 or not kept:
        return []
    # Worst first; `distinct` is in rank order, so a stable sort keeps input order on ties.
    rejected = sorted(distinct, key=lambda i: members[i][1].reward)
    pairs: list[tuple[Candidate, Candidate]] = []
    # Diagonals c + r = 0, 1, 2, ...: best against worst first, then both sides move on,
    # so a few pairs already cover several chosen and several rejected completions.
    for diagonal in range(len(kept) + len(rejected) - 1):
        for c in range(max(0, diagonal - len(rejected) + 1), min(len(kept), diagonal + 1)):
            chosen, loser = kept[c], rejected[diagonal - c]
            margin = members[chosen][1].reward - members[loser][1].reward
            if margin > 0 and margin >= options.min_margin:
                pairs.append((members[chosen][0], members[loser][0]))
                if len(pairs) == options.pairs_per_prompt:
                    return pairs
    return pairs


def normalised(text: str) -> str:
    """The text two completions are compared by for de-duplication: Unicode NFC, runs of
    whitespace as one space, no leading or trailing whitespace."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def _not_judged(grade: Grade) -> tuple[Outcome, str] | None:
    for label, verdict in grade.verdicts.items():
        if verdict.status == "invalid_input":
            return "invalid_input", f"{label}: {verdict.reason}"
        if verdict.status in NOT_JUDGED:
            return "not_graded", f"{label}: {verdict.status} ({verdict.reason})"
    return None


def _where(candidate: Candidate) -> str:
    if candidate.index is None:
        return f"line {candidate.line}"
    return f"line {candidate.line}, completion {candidate.index}"
