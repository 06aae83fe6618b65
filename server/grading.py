"""The one path every grading route takes: admit, submit, wait (or notice the client
leaving), record metrics, release."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any, TypeVar

from fastapi import Request
from verigrade.verifiers import (
    Grade,
    ParsedSpec,
    PoolClosedError,
    PoolUnavailableError,
    SpecError,
    parse_spec,
)

from .errors import ApiError, spec_error
from .state import ServerState

R = TypeVar("R")


def parse(spec: Any) -> ParsedSpec:
    """The parsed spec (plain or routed), or 422 saying what is wrong with it."""
    try:
        return parse_spec(spec)
    except SpecError as exc:
        raise spec_error(exc) from None


async def _disconnected(request: Request) -> None:
    # The body has been read, so the next ASGI message is the client going away
    # (or the server finishing the response, by which time this task is cancelled).
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return


async def grade_batch(
    state: ServerState,
    request: Request,
    samples: Sequence[Any],
    spec: ParsedSpec,
    *,
    route: str,
    timeout: float | None,
    deadline: float | None,
) -> list[Grade] | None:
    """Grade a batch into Grades; None when the client disconnected first (its work is
    cancelled)."""

    def start(timeout: float | None, deadline: float | None) -> Future[list[Grade]]:
        return state.grader.submit(samples, spec, timeout=timeout, deadline=deadline)

    return await run_batch(
        state, request, len(samples), spec, start, route=route, timeout=timeout, deadline=deadline
    )


async def run_batch(
    state: ServerState,
    request: Request,
    count: int,
    spec: ParsedSpec,
    start: Callable[[float | None, float | None], Future[R]],
    *,
    route: str,
    timeout: float | None,
    deadline: float | None,
) -> R | None:
    """Admit ``count`` items, ``start(timeout, deadline)`` their grading and wait for it
    (or for the client to leave: then None, and the work is cancelled)."""
    state.admit(count, route)
    started = time.perf_counter()
    try:
        try:
            future = start(
                timeout if timeout is not None else state.settings.item_timeout,
                deadline if deadline is not None else state.settings.request_timeout,
            )
        except PoolClosedError as exc:
            # Not remembered: /readyz and /healthz read the pool itself, which heals.
            raise ApiError(503, f"the grading pool is down: {exc}", {"Retry-After": "5"}) from None
        waiting = asyncio.wrap_future(future)
        watcher = asyncio.ensure_future(_disconnected(request))
        racers: set[asyncio.Future[Any]] = {waiting, watcher}
        try:
            await asyncio.wait(racers, return_when=asyncio.FIRST_COMPLETED)
        finally:
            watcher.cancel()
        if not waiting.done():
            # Cancelling drops the batch's queued chunks, so a departed client costs little.
            future.cancel()
            waiting.cancel()
            state.metrics.disconnects.inc()
            return None
        try:
            result = waiting.result()
        except PoolClosedError as exc:
            raise ApiError(503, f"the grading pool stopped: {exc}", {"Retry-After": "5"}) from None
        except PoolUnavailableError as exc:
            raise ApiError(503, f"the grading pool is down: {exc}", {"Retry-After": "5"}) from None
    finally:
        state.release(count)
    elapsed = time.perf_counter() - started
    for name in set(spec.names.values()):
        state.metrics.grade_seconds.observe(elapsed, (("verifier", name),))
    state.metrics.items.inc((("route", route),), count)
    return result
