"""The per-node side of ``RayGrader``: an actor that owns a local ``Grader``.

Each node gets one ``NodeGrader``; its Grader's worker processes run on that node's cores,
so per-item deadlines, the sandbox and worker replacement work exactly as they do without
Ray. The actor is async so that several chunks can be in flight on it at once (the driver
bounds how many); each chunk waits on the local pool without holding a thread.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Sequence
from typing import Any

from ..core.model import Verdict
from ..engine import Grader

_PROTOCOL = pickle.HIGHEST_PROTOCOL
PoolCounters = tuple[int, int, int, int, int, int]
"""live workers, configured workers, restarts, item timeouts, crashes, start failures."""


def pack(verdicts: list[Verdict]) -> bytes:
    """A sample's verdicts as one pickled tuple of plain tuples, made in the worker that
    graded it.

    Pickled there, the result crosses the actor as opaque bytes: the actor neither
    unpickles what its pool's workers send nor pickles it again for Ray (that was ~10 us of
    the actor's CPU per item, on the node's cores); only the driver unpickles it, once,
    and rebuilds the Grade.
    """
    return pickle.dumps(
        tuple((v.score, v.status, v.reason, v.details) for v in verdicts), _PROTOCOL
    )


class NodeGrader:
    """Grades chunks on one node. Created through ``ray.remote`` by ``RayGrader``."""

    def __init__(self, workers: int, timeout: float | None, max_chars: int) -> None:
        self.grader = Grader(workers, timeout=timeout, max_chars=max_chars)

    async def ready(self) -> PoolCounters:
        """The pool's counters once its workers are up, or after a minute if some are not
        (the driver waits on this, so a new node counts only when it can grade)."""
        import asyncio

        pool = self.grader.pool
        for _ in range(600):
            if pool is None or pool.live_workers >= pool.size:
                break
            await asyncio.sleep(0.1)
        return self.counters()

    async def grade(
        self,
        items: list[Any],
        spec: Any,
        finish: Callable[[list[Verdict]], Any] | None,
        timeout: float | None,
        deadline: float | None,
        indexes: Sequence[int] | None = None,
    ) -> list[Any]:
        """One chunk: ``finish(verdicts)`` per item, ``finish`` defaulting to ``pack``;
        ``indexes`` are the items' places in their batch (reasons and ids count by them)."""
        import asyncio

        future = self.grader.submit_finished(
            items, spec, finish or pack, timeout=timeout, deadline=deadline,
            indexes=indexes,
        )  # fmt: skip
        done: list[tuple[Any, Any]] = await asyncio.wrap_future(future)
        # The driver knows each item's id; only the values go back.
        return [self.counters(), [value for _, value in done]]

    def counters(self) -> PoolCounters:
        """The node pool's state, sent back with every chunk (the driver's metrics)."""
        pool = self.grader.pool
        if pool is None:
            return (0, 0, 0, 0, 0, 0)
        return (
            pool.live_workers, pool.size, pool.restarts, pool.timeouts, pool.crashes,
            pool.start_failures,
        )  # fmt: skip

    def close(self) -> None:
        self.grader.close()
