"""The end-of-run summary of a grading job: count, mean reward, per-verifier means, statuses."""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..core.model import Grade


class Summary:
    """Running totals over Grades."""

    def __init__(self, labels: list[str]) -> None:
        self.labels = labels
        self.lines = 0
        self.skipped = 0
        self.count = 0
        self.reward_sum = 0.0
        self.score_sums = dict.fromkeys(labels, 0.0)
        self.statuses: dict[str, Counter[str]] = {label: Counter() for label in labels}

    def add(self, grade: Grade) -> None:
        """Count one Grade."""
        self.count += 1
        self.reward_sum += grade.reward
        for label, verdict in grade.verdicts.items():
            self.score_sums[label] += verdict.score
            self.statuses[label][verdict.status] += 1

    def to_dict(self, elapsed: float) -> dict[str, Any]:
        """The summary as JSON-ready data."""
        n = max(1, self.count)
        return {
            "count": self.count,
            "skipped": self.skipped,
            "seconds": round(elapsed, 3),
            "mean_reward": self.reward_sum / n,
            "verifiers": {
                label: {
                    "mean_score": self.score_sums[label] / n,
                    "statuses": dict(self.statuses[label]),
                }
                for label in self.labels
            },
        }

    def render(self, elapsed: float) -> str:
        """A few lines for a terminal."""
        data = self.to_dict(elapsed)
        rate = self.count / elapsed if elapsed > 0 else 0.0
        lines = [f"graded {self.count:,} samples in {elapsed:.2f}s ({rate:,.0f}/s)"]
        if self.skipped:
            lines.append(f"skipped {self.skipped:,} already graded (--resume)")
        lines.append(f"mean reward {data['mean_reward']:.4f}")
        width = max(len(label) for label in self.labels)
        for label, info in data["verifiers"].items():
            statuses = ", ".join(f"{s} {c:,}" for s, c in sorted(info["statuses"].items()))
            lines.append(f"  {label:<{width}}  mean {info['mean_score']:.4f}  {statuses}")
        return "\n".join(lines)
