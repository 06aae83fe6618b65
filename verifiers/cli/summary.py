"""The end-of-run summary of a grading job: count, mean reward, per-verifier means, statuses,
and for a routed spec the count and mean reward of each route."""

from __future__ import annotations

from collections import Counter
from typing import Any

from ..core.model import Grade
from ..core.route import ParsedSpec, RoutedSpec

NO_ROUTE = "(no route)"
"""How the terminal summary names samples that matched no route (the JSON has ``unrouted``)."""


class Summary:
    """Running totals over Grades.

    A label's mean score is over the samples graded with it: with a routed spec, the
    samples of the routes that have it.
    """

    def __init__(self, labels: list[str], *, routes: list[str] | None = None) -> None:
        self.labels = labels
        self.lines = 0
        self.skipped = 0
        self.count = 0
        self.reward_sum = 0.0
        self.score_sums = dict.fromkeys(labels, 0.0)
        self.label_counts = dict.fromkeys(labels, 0)
        self.statuses: dict[str, Counter[str]] = {label: Counter() for label in labels}
        #: Route name -> [samples, reward sum]; None for a plain spec.
        self.routes: dict[str, list[float]] | None = (
            None if routes is None else {name: [0, 0.0] for name in routes}
        )
        self.route_field: str | None = None
        self.unrouted = 0

    @classmethod
    def for_spec(cls, spec: ParsedSpec) -> Summary:
        """A Summary with the spec's labels and, for a routed spec, its routes."""
        if not isinstance(spec, RoutedSpec):
            return cls(spec.labels)
        summary = cls(spec.labels, routes=[name for name, _ in spec.parts])
        summary.route_field = spec.field
        return summary

    def add(self, grade: Grade) -> None:
        """Count one Grade."""
        self.count += 1
        self.reward_sum += grade.reward
        for label, verdict in grade.verdicts.items():
            self.score_sums[label] += verdict.score
            self.label_counts[label] += 1
            self.statuses[label][verdict.status] += 1
        if self.routes is not None:
            if grade.route is None:
                self.unrouted += 1
            else:
                totals = self.routes[grade.route]
                totals[0] += 1
                totals[1] += grade.reward

    def to_dict(self, elapsed: float) -> dict[str, Any]:
        """The summary as JSON-ready data."""
        n = max(1, self.count)
        data: dict[str, Any] = {
            "count": self.count,
            "skipped": self.skipped,
            "seconds": round(elapsed, 3),
            "mean_reward": self.reward_sum / n,
            "verifiers": {
                label: {
                    "mean_score": self.score_sums[label] / max(1, self.label_counts[label]),
                    "statuses": dict(self.statuses[label]),
                }
                for label in self.labels
            },
        }
        if self.routes is not None:
            data["route_field"] = self.route_field
            data["routes"] = {
                name: {"count": int(count), "mean_reward": total / count if count else None}
                for name, (count, total) in self.routes.items()
            }
            data["unrouted"] = self.unrouted
        return data

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
        if self.routes is not None:
            lines.append(f"by route (metadata[{self.route_field!r}]):")
            rows = [
                (name, info["count"], info["mean_reward"]) for name, info in data["routes"].items()
            ]
            if self.unrouted:
                rows.append((NO_ROUTE, self.unrouted, None))
            width = max(len(name) for name, _, _ in rows)
            for name, count, mean in rows:
                shown = "-" if mean is None else f"{mean:.4f}"
                if name == NO_ROUTE:
                    shown += "  (invalid_input: no route matched)"
                noun = "sample " if count == 1 else "samples"
                lines.append(f"  {name:<{width}}  {count:>6,} {noun}  mean reward {shown}")
        return "\n".join(lines)
