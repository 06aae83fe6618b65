"""What the server holds between requests: the Grader, admission control and metrics."""

from __future__ import annotations

import asyncio
import time

from verigrade.verifiers import Grader

from .errors import ApiError
from .metrics import Metrics
from .settings import Settings


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
        self.broken: str | None = None
        self._was_ready = False
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
            self.metrics.gauge(
                "verigrade_queue_depth",
                "chunks of work waiting for a worker",
                lambda: pool.queue_depth,
            )
            self.metrics.gauge(
                "verigrade_busy_workers", "workers on a chunk", lambda: pool.busy_workers
            )
            self.metrics.gauge("verigrade_workers", "worker processes", lambda: pool.size)
            self.metrics.gauge(
                "verigrade_worker_restarts_total", "workers replaced", lambda: pool.restarts
            )
            self.metrics.gauge(
                "verigrade_item_timeouts_total",
                "items killed at their deadline",
                lambda: pool.timeouts,
            )
            self.metrics.gauge(
                "verigrade_worker_crashes_total", "workers that died mid-item", lambda: pool.crashes
            )
        self.metrics.gauge(
            "verigrade_ready", "1 when /readyz answers 200", lambda: float(self.ready)
        )

    def _items(self) -> float:
        return self.in_flight_items

    def _requests(self) -> float:
        return self.in_flight_requests

    @property
    def ready(self) -> bool:
        """True while the pool is up and the server is not draining."""
        if self.draining or self.broken is not None:
            return False
        pool = self.grader.pool
        if pool is None:
            return True
        # A worker being replaced after a crash does not make the server unready.
        self._was_ready = self._was_ready or pool.ready
        return self._was_ready

    def admit(self, items: int, route: str) -> None:
        """Count a request in, or refuse it with 503 (draining) or 429 (queue full)."""
        retry = {"Retry-After": str(self.settings.retry_after)}
        if self.draining:
            self.metrics.rejected.inc((("reason", "draining"),))
            raise ApiError(503, "the server is shutting down; retry on another replica", retry)
        if self.broken is not None:
            self.metrics.rejected.inc((("reason", "broken"),))
            raise ApiError(503, f"the grading pool is down: {self.broken}", retry)
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

    def release(self, items: int) -> None:
        """Count a finished request out."""
        self.in_flight_items -= items
        self.in_flight_requests -= 1
        if self.in_flight_requests == 0:
            self._idle.set()

    async def drain(self) -> None:
        """Refuse new work and wait (up to ``drain_timeout``) for in-flight requests."""
        self.draining = True
        deadline = time.monotonic() + self.settings.drain_timeout
        while self.in_flight_requests and time.monotonic() < deadline:
            try:
                await asyncio.wait_for(self._idle.wait(), deadline - time.monotonic())
            except TimeoutError:
                break
