"""Grading a stream: items go to a grader in batches, one batch graded while the next is
read, so workers do not idle between batches and memory holds two batches at most."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from typing import TypeVar

from ..core.model import Grade, Sample

T = TypeVar("T")

Submit = Callable[[list[Sample]], "Future[list[Grade]]"]
"""Starts grading a batch of samples: ``lambda batch: grader.submit(batch, spec)``."""


def stream_grades(
    items: Iterable[T],
    sample_of: Callable[[T], Sample | None],
    submit: Submit,
    batch_size: int,
) -> Iterator[list[tuple[T, Grade | None]]]:
    """Grade ``items`` in batches of ``batch_size``, in order.

    Yields each batch as ``(item, grade)`` pairs; an item whose ``sample_of`` is None (a
    line that could not be read) is not sent and comes back with ``None``. Items count
    towards a batch either way, so a run of bad items cannot pile up in memory.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    in_flight: deque[tuple[list[tuple[T, Sample | None]], Future[list[Grade]]]] = deque()
    batch: list[tuple[T, Sample | None]] = []

    def send() -> None:
        in_flight.append((batch, submit([s for _, s in batch if s is not None])))

    for item in items:
        batch.append((item, sample_of(item)))
        if len(batch) >= batch_size:
            send()
            batch = []
            while len(in_flight) > 1:
                yield _joined(*in_flight.popleft())
    if batch:
        send()
    while in_flight:
        yield _joined(*in_flight.popleft())


def _joined(
    batch: list[tuple[T, Sample | None]], future: Future[list[Grade]]
) -> list[tuple[T, Grade | None]]:
    graded = iter(future.result())
    return [(item, None if sample is None else next(graded)) for item, sample in batch]
