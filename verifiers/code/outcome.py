"""How one test went."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class TestOutcome:
    """One test's result: passed or not, a status word, why, and a partial score if any."""

    passed: bool
    status: str  # passed | partial | failed | compile_error | timeout | skipped
    reason: str
    partial: float = 0.0
    """The score of a test that did not pass: a checker's or interactor's partial score."""

    __test__ = False  # not a pytest test class, whatever its name says

    @property
    def score(self) -> float:
        """1 for a passed test, else its partial score (0 unless a checker gave points)."""
        return 1.0 if self.passed else self.partial

    def to_dict(self, index: int) -> dict[str, Any]:
        return {
            "index": index,
            "passed": self.passed,
            "status": self.status,
            "reason": self.reason,
            "score": self.score,
        }
