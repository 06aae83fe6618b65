"""Grading a batch against a routed spec: split it by route, grade the parts, join them.

Each route's part goes to the pool as its own job, all submitted at once, so the parts are
graded side by side (no route waits for another), each item keeps its route's per-item
deadline and the batch deadline starts together for all. The join puts every result back at
its item's index: one result per item, in the caller's order.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, InvalidStateError
from typing import Any, Protocol, TypeVar

from ..core.model import Verdict
from ..core.route import RoutedSpec
from ..core.spec import RewardSpec

R = TypeVar("R")
T_co = TypeVar("T_co", covariant=True)


class RouteFinisher(Protocol[T_co]):
    """A finisher for a routed spec: the verdict labels differ per route, so it makes one
    finisher per route (``route`` None: for samples that matched no route, reported
    against ``RoutedSpec.unrouted``)."""

    def for_route(self, route: str | None, spec: RewardSpec) -> Callable[[list[Verdict]], T_co]: ...


def split(items: Sequence[Any], spec: RoutedSpec) -> tuple[dict[str, list[int]], list[int]]:
    """The item indexes of each route (in first-seen order), and those with no route."""
    groups: dict[str, list[int]] = {}
    unrouted: list[int] = []
    choose = spec.choose
    for i, item in enumerate(items):
        route = choose(item)
        if route is None:
            unrouted.append(i)
        else:
            part = groups.get(route)
            if part is None:
                groups[route] = [i]
            else:
                part.append(i)
    return groups, unrouted


def gather(
    size: int, known: dict[int, R], parts: list[tuple[list[int], Future[list[R]]]]
) -> Future[list[R]]:
    """One future for the whole batch: ``known`` results in place, each part's results at
    its indexes. A failed part fails the batch (and cancels the others); cancelling the
    batch cancels every part."""
    result: Future[list[R]] = Future()
    slots: list[Any] = [None] * size
    for i, value in known.items():
        slots[i] = value
    if not parts:
        result.set_result(slots)
        return result
    waiting = len(parts)
    over = False
    # Parts finish on the pool's thread, or on this one when already done: the lock only
    # guards this bookkeeping; futures are settled and cancelled outside it, as their
    # callbacks take other locks.
    lock = threading.Lock()

    def cancel_parts() -> None:
        for _, future in parts:
            future.cancel()

    def on_part(indexes: list[int], done: Future[list[R]]) -> None:
        nonlocal waiting, over
        with lock:
            if over:
                return
            failure = None if done.cancelled() else done.exception()
            if done.cancelled() or failure is not None:
                over = True
            else:
                for i, value in zip(indexes, done.result(), strict=True):
                    slots[i] = value
                waiting -= 1
                over = waiting == 0
                if not over:
                    return
        with contextlib.suppress(InvalidStateError):  # the caller cancelled meanwhile
            if done.cancelled():
                result.cancel()
            elif failure is not None:
                result.set_exception(failure)
            else:
                result.set_result(slots)
        if failure is not None:
            cancel_parts()

    def propagate_cancel(outer: Future[list[R]]) -> None:
        if outer.cancelled():
            cancel_parts()

    result.add_done_callback(propagate_cancel)
    for indexes, future in parts:
        future.add_done_callback(functools.partial(on_part, indexes))
    return result
