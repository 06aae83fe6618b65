"""``GradeBatcher``: many concurrent one-sample grade calls, few HTTP requests.

verl's reward loop awaits ``compute_score`` once per sample, for a whole chunk of a
step's samples at once (thousands). One request per call would cost the server a
round trip per sample; the batcher holds each call for at most ``window`` seconds,
sends everything that arrived meanwhile as one ``AsyncGradeClient.grade`` call (which
splits it into ``batch_size`` requests itself) and hands each caller its own Grade.
"""

from __future__ import annotations

import asyncio
from typing import Any

from verigrade.trainer_client._wire import SampleLike, SpecJSON
from verigrade.trainer_client.client import AsyncGradeClient
from verigrade.verifiers import Grade

_Pending = tuple[SampleLike, "asyncio.Future[Grade]"]


class GradeBatcher:
    """Coalesces ``grade(sample)`` calls made on one event loop into batch requests.

    Args:
        client: the async client the batches go through (bound to this event loop).
        spec: the reward spec every sample is graded with.
        window: seconds the first waiting call holds its batch open for others.
        max_batch: a batch this large is sent at once, without waiting.

    A failed request (a 4xx, the server unreachable after the client's retries) raises
    the same error in every call of its batch; other batches are unaffected.
    """

    def __init__(
        self,
        client: AsyncGradeClient,
        spec: SpecJSON,
        *,
        window: float = 0.05,
        max_batch: int = 1024,
    ) -> None:
        if window < 0:
            raise ValueError(f"window must be >= 0 seconds, got {window}")
        if max_batch < 1:
            raise ValueError(f"max_batch must be >= 1, got {max_batch}")
        self.client = client
        self.spec = spec
        self.window = window
        self.max_batch = max_batch
        self.batches_sent = 0
        """How many batches went to the client so far (each is one or a few requests)."""
        self._pending: list[_Pending] = []
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def grade(self, sample: SampleLike) -> Grade:
        """Grade one sample as part of whichever batch is open."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Grade] = loop.create_future()
        self._pending.append((sample, future))
        if len(self._pending) >= self.max_batch:
            self._flush()
        elif self._timer is None:
            self._timer = loop.call_later(self.window, self._flush)
        return await future

    async def aclose(self) -> None:
        """Send what is waiting, wait for every batch in flight, close the client."""
        self._flush()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.client.aclose()

    def _flush(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._pending = self._pending, []
        if not batch:
            return
        task = asyncio.get_running_loop().create_task(self._send(batch))
        # The loop keeps only weak references to tasks: hold each until it ends.
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, batch: list[_Pending]) -> None:
        self.batches_sent += 1
        waiting = [(s, f) for s, f in batch if not f.cancelled()]
        if not waiting:
            return
        try:
            grades = await self.client.grade([s for s, _ in waiting], self.spec, details=False)
        except asyncio.CancelledError:
            for _, future in waiting:
                future.cancel()
            raise
        except Exception as exc:  # every caller of this batch hears why, none hangs
            for _, future in waiting:
                _settle(future, exc)
            return
        for (_, future), grade in zip(waiting, grades, strict=True):
            _settle(future, grade)


def _settle(future: asyncio.Future[Grade], outcome: Any) -> None:
    if future.done():  # its caller gave up (cancelled) meanwhile
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)
