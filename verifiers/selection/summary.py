"""The totals of a ``select`` run: every input completion counts in exactly one outcome,
so the outcomes add up to the completions read and nothing leaves the summary unseen."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .choose import OUTCOMES

if TYPE_CHECKING:
    from .run import Selection

FULL_SCORE = 1.0
"""A verifier accepts a completion when its verdict is ``ok`` with at least this score."""

SHOWN = 20
"""Reasons of invalid input kept for the summary; the graded log holds every one."""


class SelectSummary:
    """Running totals over Selections (or, when a run resumes, over the graded log's
    records of the part already done)."""

    def __init__(self, labels: list[str]) -> None:
        self.labels = labels
        self.lines = 0
        self.prompts = 0
        self.prompts_kept = 0
        self.outcomes: Counter[str] = Counter(dict.fromkeys(OUTCOMES, 0))
        self.sft_rows = 0
        self.pairs = 0
        self.accepted = dict.fromkeys(labels, 0)
        self.score_sums = dict.fromkeys(labels, 0.0)
        self.statuses: dict[str, Counter[str]] = {label: Counter() for label in labels}
        self.invalid: list[str] = []
        self.resumed_after = 0

    @property
    def completions(self) -> int:
        """Completions read: the sum of every outcome."""
        return sum(self.outcomes.values())

    def add(self, selection: Selection) -> None:
        """Count one prompt's (or one unreadable line's) result."""
        self._add(
            selection.group,
            [
                (d.outcome, d.reason, ((k, v.score, v.status) for k, v in d.grade.verdicts.items()))
                for d in selection.decisions
            ],
            selection.lines,
            len(selection.sft),
            len(selection.pairs),
        )

    def add_records(
        self, group: str | None, records: Sequence[Mapping[str, Any]], sft: int, pairs: int
    ) -> None:
        """Count one result from its graded-log records (``Decision.to_dict``)."""
        self._add(
            group,
            [
                (
                    r["outcome"],
                    r["reason"],
                    ((k, v["score"], v["status"]) for k, v in r["verdicts"].items()),
                )
                for r in records
            ],
            len({r["line"] for r in records}),
            sft,
            pairs,
        )

    def _add(
        self,
        group: str | None,
        decisions: list[tuple[str, str, Iterable[tuple[str, float, str]]]],
        lines: int,
        sft: int,
        pairs: int,
    ) -> None:
        self.lines += lines
        self.sft_rows += sft
        self.pairs += pairs
        kept = False
        for outcome, reason, verdicts in decisions:
            self.outcomes[outcome] += 1
            kept = kept or outcome == "kept"
            if outcome == "invalid_input" and len(self.invalid) < SHOWN:
                self.invalid.append(reason)
            for label, score, status in verdicts:
                self.score_sums[label] += score
                self.statuses[label][status] += 1
                self.accepted[label] += status == "ok" and score >= FULL_SCORE
        if group is not None:
            self.prompts += 1
            self.prompts_kept += kept

    def to_dict(self, elapsed: float) -> dict[str, Any]:
        """The summary as JSON-ready data."""
        n = max(1, self.completions)
        return {
            "lines": self.lines,
            "completions": self.completions,
            "prompts": self.prompts,
            "prompts_with_kept": self.prompts_kept,
            "kept": self.outcomes["kept"],
            "acceptance_rate": self.outcomes["kept"] / n,
            "outcomes": dict(self.outcomes),
            "sft_rows": self.sft_rows,
            "pairs": self.pairs,
            "verifiers": {
                label: {
                    "accepted": self.accepted[label],
                    "acceptance_rate": self.accepted[label] / n,
                    "mean_score": self.score_sums[label] / n,
                    "statuses": dict(self.statuses[label]),
                }
                for label in self.labels
            },
            "invalid": self.invalid,
            "resumed_after_line": self.resumed_after,
            "seconds": round(elapsed, 3),
        }

    def render(self, elapsed: float) -> str:
        """A few lines for a terminal."""
        data = self.to_dict(elapsed)
        kept, total = data["kept"], data["completions"]
        lines = [
            f"kept {kept:,} of {total:,} completions ({data['acceptance_rate']:.1%}) from "
            f"{self.lines:,} lines in {elapsed:.2f}s; {self.prompts_kept:,} of "
            f"{self.prompts:,} prompts kept at least one",
            "  " + ", ".join(f"{name} {count:,}" for name, count in self.outcomes.items()),
            f"  wrote {self.sft_rows:,} SFT rows and {self.pairs:,} pairs",
        ]
        if self.resumed_after:
            lines.append(f"  (lines 1-{self.resumed_after:,} were done by the run resumed)")
        lines.append(f"  per verifier (accepted: ok with score >= {FULL_SCORE:g}):")
        width = max(len(label) for label in self.labels)
        for label, info in data["verifiers"].items():
            statuses = ", ".join(f"{s} {c:,}" for s, c in sorted(info["statuses"].items()))
            lines.append(
                f"    {label:<{width}}  accepted {info['acceptance_rate']:.1%}  "
                f"mean {info['mean_score']:.4f}  {statuses}"
            )
        invalid = self.outcomes["invalid_input"]
        if invalid:
            lines.append(f"  invalid input ({invalid:,}):")
            lines.extend(f"    {reason}" for reason in self.invalid)
            if invalid > len(self.invalid):
                lines.append(f"    ... and {invalid - len(self.invalid):,} more")
        return "\n".join(lines)
