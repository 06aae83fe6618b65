"""The per-node side of ``RayGrader``: an actor that owns a local ``Grader``.

Each node gets one ``NodeGrader``; its Grader's worker processes run on that node's cores,
so per-item deadlines, the sandbox and worker replacement work exactly as they do without
Ray. The actor is async so that several chunks can be in flight on it at once (the driver
bounds how many); each chunk waits on the local pool without holding a thread.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..core.model import Verdict
from ..engine import Grader


def pack(verdicts: list[Verdict]) -> tuple[tuple[float, str, str, Any], ...]:
    """A sample's verdicts as plain tuples, made in the worker that graded it.

    Plain tuples pickle about twice as fast as Grade objects, and on Ray every result is
    pickled twice (worker -> actor, actor -> driver); the driver rebuilds the Grades.
    """
    return tuple((v.score, v.status, v.reason, v.details) for v in verdicts)


class NodeGrader:
    """Grades chunks on one node. Created through ``ray.remote`` by ``RayGrader``."""

    def __init__(self, workers: int, timeout: float | None, max_chars: int) -> None:
        self.grader = Grader(workers, timeout=timeout, max_chars=max_chars)

    def ready(self) -> int:
        """The worker count, once the actor is up (the driver waits on this)."""
        return self.grader.workers

    async def grade(
        self,
        items: list[Any],
        spec: Any,
        finish: Callable[[list[Verdict]], Any] | None,
        timeout: float | None,
        deadline: float | None,
        first_index: int = 0,
    ) -> list[Any]:
        """One chunk: ``(id, finish(verdicts))`` per item, ``finish`` defaulting to ``pack``;
        ``first_index`` is the chunk's place in its batch (reasons count from it)."""
        import asyncio

        future = self.grader.submit_finished(
            items, spec, finish or pack, timeout=timeout, deadline=deadline,
            first_index=first_index,
        )  # fmt: skip
        done: list[Any] = await asyncio.wrap_future(future)
        return done

    def close(self) -> None:
        self.grader.close()
