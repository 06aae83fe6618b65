"""A ``RayGrader``'s cluster seen as one worker pool, for servers and metrics.

``verigrade serve`` reads its Grader's ``pool`` for readiness (``/readyz``), liveness
(``/healthz``) and ``/metrics``. Under ``--ray`` there is no local pool: this view answers the
same questions for the cluster. What lives on the driver (actors known, chunks waiting or in
flight, retries) is exact and current; what lives on the nodes (live workers, restarts,
timeouts, crashes) is each node's pool as its actor last reported it, with its last chunk.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .grader import RayGrader


class ClusterPool:
    """The attributes a server reads from ``Grader.pool``, for a ``RayGrader``."""

    def __init__(self, grader: RayGrader) -> None:
        self._grader = grader

    @property
    def closed(self) -> bool:
        return self._grader._closed

    @property
    def ready(self) -> bool:
        """An actor is known to take work. With none, a look at the cluster starts in the
        background: a server refuses work while not ready, so no batch would look."""
        if self.closed:
            return False
        if self._grader.actors():
            return True
        self._grader.refresh_soon()
        return False

    @property
    def healing(self) -> bool:
        """No actor now, but the grader looks for nodes again with the next batch."""
        return not self.closed and not self.ready

    @property
    def unavailable_for(self) -> float:
        """Seconds since the last actor was lost (0 while one is up)."""
        since = self._grader._no_actor_since
        return 0.0 if since is None else time.monotonic() - since

    @property
    def last_failure(self) -> str | None:
        return self._grader.last_failure

    @property
    def nodes(self) -> int:
        """Nodes with an actor."""
        return len(self._grader.actors())

    def _sum(self, field: int) -> int:
        return sum(c[field] for c in self._grader.counters().values())

    @property
    def live_workers(self) -> int:
        return self._sum(0)

    @property
    def size(self) -> int:
        return self._sum(1)

    @property
    def restarts(self) -> int:
        return self._sum(2)

    @property
    def timeouts(self) -> int:
        return self._sum(3)

    @property
    def crashes(self) -> int:
        return self._sum(4)

    @property
    def start_failures(self) -> int:
        return self._sum(5)

    @property
    def queue_depth(self) -> int:
        """Chunks waiting in this process for a free actor slot."""
        return self._grader.chunks_waiting

    @property
    def chunks_in_flight(self) -> int:
        return sum(self._grader._load.values())

    @property
    def chunk_retries(self) -> int:
        return self._grader.chunk_retries

    @property
    def items_failed(self) -> int:
        return self._grader.items_failed
