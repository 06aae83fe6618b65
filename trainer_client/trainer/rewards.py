"""Where the trainer's rewards come from.

A reward source turns sample dicts into one ``Grade`` per sample, in order. Three
kinds exist, all with the same two methods:

- ``HttpRewards``: the grading server over HTTP, through ``GradeClient`` (the
  production path: one grader fleet, many trainers);
- ``LocalRewards``: the same verifiers in this process, through ``Grader``;
- ``FunctionRewards``: a plain Python function, for benchmarks and tests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from verigrade.verifiers import Grade, Grader, SpecLike, Verdict, parse_spec


class RewardSource(Protocol):
    """Grades sample dicts (``prompt``, ``completion``, ``reference``, ``metadata``)."""

    def grade(self, samples: list[dict[str, Any]]) -> Sequence[Any]:
        """One Grade-like object (``.reward``, ``.verdicts[name].score``) per sample."""
        ...

    def close(self) -> None:
        """Release connections or worker processes."""
        ...


class LocalRewards:
    """Grades in this process with ``Grader`` (``workers=0`` runs in the calling thread)."""

    def __init__(self, spec: SpecLike, *, workers: int = 0) -> None:
        self.spec = parse_spec(spec)
        self.grader = Grader(workers=workers)

    def grade(self, samples: list[dict[str, Any]]) -> list[Grade]:
        """Grade against the spec."""
        grades: list[Grade] = self.grader.grade(samples, self.spec)
        return grades

    def close(self) -> None:
        """Stop the grader's workers."""
        self.grader.close()


class HttpRewards:
    """Grades through a running ``verigrade serve`` with ``GradeClient``."""

    def __init__(
        self,
        spec: str | Sequence[str] | Mapping[str, Any],
        base_url: str,
        *,
        api_key: str | None = None,
        timeout: float = 60.0,
    ) -> None:
        # Validate the spec here so a typo fails before the first rollout, not after it.
        parse_spec(spec)
        self.spec = spec
        from ..client import GradeClient

        self.client = GradeClient(base_url, api_key=api_key, timeout=timeout)

    def grade(self, samples: list[dict[str, Any]]) -> Sequence[Any]:
        """Grade against the spec on the server."""
        grades: Sequence[Any] = self.client.grade(samples, self.spec)
        return grades

    def close(self) -> None:
        """Close the HTTP connection pool."""
        self.client.close()


RewardFunction = Callable[[list[dict[str, Any]]], Sequence[float] | Sequence[Mapping[str, float]]]


class FunctionRewards:
    """Wraps ``fn(samples) -> rewards`` (floats, or ``{name: score}`` dicts whose sum is
    the reward) as a reward source."""

    def __init__(self, fn: RewardFunction, name: str = "reward") -> None:
        self.fn, self.name = fn, name

    def grade(self, samples: list[dict[str, Any]]) -> list[Grade]:
        """Call the function and wrap its numbers as Grades."""
        grades = []
        values: Sequence[float | Mapping[str, float]] = self.fn(samples)
        for i, value in enumerate(values):
            parts: Mapping[str, float] = (
                value if isinstance(value, Mapping) else {self.name: float(value)}
            )
            verdicts = {k: Verdict(float(v)) for k, v in parts.items()}
            grades.append(Grade(i, sum(v.score for v in verdicts.values()), verdicts))
        return grades

    def close(self) -> None:
        """Nothing to release."""
