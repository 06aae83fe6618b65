"""What the server holds between requests: the Grader, admission control and metrics."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from verigrade.verifiers import Grader

from .errors import ApiError
from .metrics import Metrics
from .settings import Settings

_POOL_GAUGES = [
    ("verigrade_queue_depth", "chunks of work waiting for a worker", "queue_depth"),
    ("verigrade_busy_workers", "workers on a chunk", "busy_workers"),
    ("verigrade_workers", "worker processes running and ready now", "live_workers"),
    ("verigrade_workers_configured", "worker processes wanted", "size"),
    (
        "verigrade_worker_start_failures_total",
        "workers that died or were killed before they started",
        "start_failures",
    ),
    (
        "verigrade_pool_unavailable_seconds",
        "seconds since the pool last had a ready worker (0 while it has one)",
        "unavailable_for",
    ),
    ("verigrade_worker_restarts_total", "workers replaced", "restarts"),
    ("verigrade_item_timeouts_total", "items killed at their deadline", "timeouts"),
    ("verigrade_worker_crashes_total", "workers that died mid-item", "crashes"),
    ("verigrade_ray_nodes", "Ray nodes with a grading actor", "nodes"),
    ("verigrade_ray_chunks_in_flight", "chunks out on the Ray actors", "chunks_in_flight"),
    (
        "verigrade_ray_chunk_retries_total",
        "chunks sent again after their actor or task failed",
        "chunk_retries",
    ),
    (
        "verigrade_ray_items_failed_total",
        "items the cluster did not grade (no actor left, retries used up, deadline)",
        "items_failed",
    ),
]


def _reader(pool: object, attr: str) -> Callable[[], float]:
    return lambda: float(getattr(pool, attr))


class ServerState:
    """The running server: its Grader (worker pool), in-flight accounting and metrics.

    Admission is counted in items, not requests: one 4096-sample batch loads the pool
    like sixteen 256-sample ones. Everything here runs on the event loop thread.
    """

    def __init__(self, settings: Settings, grader: Grader) -> None:
        self.settings = settings
        self.grader = grader
        self.metrics = Metrics()
        self.in_flight_items = 0
        self.in_flight_requests = 0
        self.draining = False
        #: When the shutdown signal came (monotonic): the drain deadline counts from here.
        self.drain_started: float | None = None
        self._idle = asyncio.Event()
        self._idle.set()
        pool = grader.pool
        self.metrics.gauge(
            "verigrade_in_flight_items", "samples admitted and not yet answered", self._items
        )
        self.metrics.gauge(
            "verigrade_in_flight_requests", "grading requests being served", self._requests
        )
        if pool is not None:
            # A local pool has every one of these; a Ray cluster's view (verifiers.ray.view)
            # has all but busy_workers, plus the cluster's own.
            for name, doc, attr in _POOL_GAUGES:
                if hasattr(pool, attr):
                    self.metrics.gauge(name, doc, _reader(pool, attr))
        self.metrics.gauge(
            "verigrade_ready", "1 when /readyz answers 200", lambda: float(self.ready)
        )
        self.metrics.gauge(
            "verigrade_healthy", "1 when /healthz answers 200", lambda: float(self.problem is None)
        )

    def _items(self) -> float:
        return self.in_flight_items

    def _requests(self) -> float:
        return self.in_flight_requests

    @property
    def ready(self) -> bool:
        """True while a worker is up to take work and the server is not draining: the
        pool as it is now (a pool that heals turns ready again by itself)."""
        if self.draining:
            return False
        pool = self.grader.pool
        return pool is None or pool.ready

    @property
    def problem(self) -> str | None:
        """Why the process should be restarted (``/healthz`` answers 503), or None.

        The pool restarts crashed workers by itself, so only two things warrant it: the
        pool broke for good (its dispatcher failed), or it has had no ready worker for
        longer than ``heal_timeout`` (start-up included) while trying.
        """
        pool = self.grader.pool
        if pool is None:
            return None
        if pool.closed and not self.draining:
            return "the worker pool stopped and cannot restart"
        down = pool.unavailable_for
        if down > self.settings.heal_timeout:
            cause = f" (the last start: {pool.last_failure})" if pool.last_failure else ""
            return (
                f"no grading worker has been ready for {down:.0f}s{cause}, over "
                f"VERIGRADE_HEAL_TIMEOUT={self.settings.heal_timeout:g}s"
            )
        return None

    def admit(self, items: int, route: str) -> None:
        """Count a request in, or refuse it with 503 (draining) or 429 (queue full)."""
        retry = {"Retry-After": str(self.settings.retry_after)}
        if self.draining:
            self.metrics.rejected.inc((("reason", "draining"),))
            raise ApiError(503, "the server is shutting down; retry on another replica", retry)
        down = self._down()
        if down is not None:
            self.metrics.rejected.inc((("reason", "pool_down"),))
            raise ApiError(503, f"the grading pool is down: {down}", retry)
        limit = self.settings.max_queued_items
        # An idle server takes any batch the batch limit allows, so none is unservable.
        if self.in_flight_items and self.in_flight_items + items > limit:
            self.metrics.rejected.inc((("reason", "queue_full"),))
            raise ApiError(
                429,
                f"the grading queue is full ({self.in_flight_items:,} samples in flight, "
                f"limit {limit:,}); retry after {self.settings.retry_after}s",
                retry,
            )
        self.in_flight_items += items
        self.in_flight_requests += 1
        self._idle.clear()

    def _down(self) -> str | None:
        """Why the pool cannot take work now, or None. A pool between workers (one just
        replaced) takes work and queues it; one whose workers keep dying as they start
        refuses it, so clients retry elsewhere instead of waiting out their deadline."""
        pool = self.grader.pool
        if pool is None or pool.ready:
            return None
        if pool.closed:
            return "the worker pool is closed"
        if pool.healing:
            return f"no worker is running; restarting them (the last died: {pool.last_failure})"
        return None

    def release(self, items: int) -> None:
        """Count a finished request out."""
        self.in_flight_items -= items
        self.in_flight_requests -= 1
        if self.in_flight_requests == 0:
            self._idle.set()

    def start_draining(self) -> None:
        """Refuse new work from now on; the drain deadline counts from the first call."""
        self.draining = True
        if self.drain_started is None:
            self.drain_started = time.monotonic()

    async def drain(self) -> None:
        """Refuse new work and wait for in-flight requests, up to ``drain_timeout`` after
        the shutdown signal (not after this call: uvicorn has already spent part of it)."""
        self.start_draining()
        assert self.drain_started is not None
        deadline = self.drain_started + self.settings.drain_timeout
        while self.in_flight_requests and time.monotonic() < deadline:
            try:
                await asyncio.wait_for(self._idle.wait(), deadline - time.monotonic())
            except TimeoutError:
                break
