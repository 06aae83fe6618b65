"""The grading engine: samples + spec -> Grades, in order, one per sample."""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, TypeVar

from ..core.base import Verifier
from ..core.model import Grade, Sample, Verdict, coerce_sample, size_problem, weighted_reward
from ..core.route import ParsedSpec, RoutedSpec
from ..core.spec import RewardSpec, SpecLike, parse_spec
from .affinity import usable_cpus
from .pool import Outcome, WorkerPool
from .routing import RouteFinisher, gather, split
from .worker import run_verifier

T = TypeVar("T")
B = TypeVar("B", bound="Batches")
R = TypeVar("R")

DEFAULT_MAX_CHARS = 2_000_000
"""Longest completion graded by default (~500k tokens); longer ones get ``invalid_input``."""


def default_workers() -> int:
    """Worker processes used when the caller does not say: one per core."""
    return max(1, len(usable_cpus()) or os.cpu_count() or 1)


class Batches:
    """``grade``, ``grade_async`` and the context manager, made of a grader's ``submit``
    and ``close``: one definition for ``Grader`` and ``RayGrader``, so the two surfaces
    cannot drift apart."""

    def submit(
        self,
        samples: Iterable[Any],
        spec: SpecLike,
        *,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> Future[list[Grade]]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def grade(
        self,
        samples: Iterable[Any],
        spec: SpecLike,
        *,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> list[Grade]:
        """Grade samples and wait for the result (see ``submit``)."""
        return self.submit(samples, spec, timeout=timeout, deadline=deadline).result()

    async def grade_async(
        self,
        samples: Iterable[Any],
        spec: SpecLike,
        *,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> list[Grade]:
        """``grade`` for asyncio code: waits without blocking the event loop."""
        import asyncio  # here, not at the top: ~30 ms that sync users never need

        future = self.submit(samples, spec, timeout=timeout, deadline=deadline)
        return await asyncio.wrap_future(future)

    def __enter__(self: B) -> B:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Grader(Batches):
    """Grades batches of samples against reward specs.

    Args:
        workers: worker processes; 0 grades in the calling thread (no deadlines are
            enforced then, so use it only for trusted, cheap verifiers).
        timeout: per-item deadline in seconds for every verifier; by default each
            verifier's own ``timeout``.
        max_chars: completions longer than this get ``invalid_input``.
        pin_workers: keep each worker (and the programs it runs) on a core of its own: True,
            False, or None (default) to pin only with one worker per core and no CPU quota.

    Example:
        >>> with Grader(workers=2) as grader:
        ...     grades = grader.grade([{"completion": "<think>hm</think> 4"}], "think_format")
    """

    def __init__(
        self,
        workers: int | None = None,
        *,
        timeout: float | None = None,
        max_chars: int = DEFAULT_MAX_CHARS,
        pin_workers: bool | None = None,
    ) -> None:
        self.workers = default_workers() if workers is None else workers
        if self.workers < 0:
            raise ValueError(f"workers must be >= 0, got {self.workers}")
        _check_timeout(timeout)
        self.timeout = timeout
        self.max_chars = max_chars
        self.pool: WorkerPool | None = (
            WorkerPool(self.workers, pin=pin_workers) if self.workers else None
        )

    def submit(
        self,
        samples: Iterable[Any],
        spec: SpecLike,
        *,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> Future[list[Grade]]:
        """Start grading; the future holds one Grade per sample, in order.

        ``deadline`` (seconds) bounds the whole batch: items not verified by then get
        ``status="timeout"`` and the rest keep their verdicts. Needs worker processes.

        Workers that crash, hit a deadline or stop answering are replaced, and workers that
        die as they start are restarted with backoff, so the Grader heals by itself. If no
        worker can start for a minute (a broken install), the future fails with
        ``PoolUnavailableError`` instead of waiting forever; later calls are served again
        once a worker starts.

        A routed spec grades each sample with its route's spec; the Grades say which route
        (``Grade.route``), and a sample that matches no route gets ``invalid_input``.

        Raises:
            SpecError: the spec is malformed (raised here, before any work starts).
        """
        parsed = parse_spec(spec)
        if isinstance(parsed, RoutedSpec):

            def start(
                route: str, part: RewardSpec, items: list[Any], indexes: list[int]
            ) -> Future[list[Grade]]:
                def build(spec: RewardSpec, batch: _Batch, outcome: Outcome) -> list[Grade]:
                    return _assemble(spec, batch, outcome, route)

                return self._submit(items, part, timeout, deadline, None, build, indexes)

            def unrouted(item: Any, index: int, reason: str) -> Grade:
                return invalid_grade(parsed, _sample_id(item, index), reason)

            return self._submit_routed(list(samples), parsed, timeout, deadline, start, unrouted)
        return self._submit(samples, parsed, timeout, deadline, None, _assemble)

    def submit_finished(
        self,
        samples: Iterable[Any],
        spec: SpecLike,
        finish: Callable[[list[Verdict]], T],
        *,
        timeout: float | None = None,
        deadline: float | None = None,
        indexes: Sequence[int] | None = None,
    ) -> Future[list[tuple[Any, T]]]:
        """Like ``submit``, but each sample comes back as ``(id, finish(verdicts))``.

        ``finish`` gets the sample's verdicts in spec order and runs in the worker process
        that graded the sample (in this process for what a worker could not finish: a
        timeout, a crash, an invalid sample), so per-sample output work such as a server
        serialising its response is spread over the workers. It must be picklable (a
        module-level function or an instance of a module-level class).

        For a routed spec, ``finish`` must also be a ``RouteFinisher``: each route's samples
        are finished by ``finish.for_route(route, route_spec)``, and samples that match no
        route by ``finish.for_route(None, spec.unrouted)``.

        ``indexes``: each sample's place in a bigger batch that the caller cut into pieces
        (``RayGrader`` does; a ``range`` for a contiguous piece): reasons and default ids
        then count as they would if the whole batch had been graded at once.
        """
        items = list(samples)
        raw = self.pool is not None and all(type(x) is dict or type(x) is Sample for x in items)
        parsed = parse_spec(spec)
        if indexes is not None and len(indexes) != len(items):
            raise ValueError(f"{len(indexes)} indexes for {len(items)} samples")
        if not isinstance(parsed, RoutedSpec):
            if raw:
                return self._submit_raw(items, parsed, timeout, deadline, finish, indexes)
            return self._submit(
                items, parsed, timeout, deadline, finish, _finisher_build(finish), indexes
            )
        if indexes is not None:
            raise ValueError("indexes are for plain specs: split a routed batch by route first")
        if not callable(getattr(finish, "for_route", None)):
            raise TypeError(
                "a routed spec needs a finisher with a for_route(route, spec) method "
                "(RouteFinisher): each route has its own verdict labels"
            )
        by_route: RouteFinisher[T] = finish  # type: ignore[assignment]

        def start(
            route: str, part: RewardSpec, chosen: list[Any], indexes: list[int]
        ) -> Future[list[tuple[Any, T]]]:
            own = by_route.for_route(route, part)
            if raw:
                return self._submit_raw(chosen, part, timeout, deadline, own, indexes)
            return self._submit(chosen, part, timeout, deadline, own, _finisher_build(own), indexes)

        lost = by_route.for_route(None, parsed.unrouted)
        width = len(parsed.labels)

        def unrouted(item: Any, index: int, reason: str) -> tuple[Any, T]:
            return _sample_id(item, index), lost([Verdict.failed("invalid_input", reason)] * width)

        return self._submit_routed(items, parsed, timeout, deadline, start, unrouted)

    def _submit_raw(
        self,
        items: list[Any],
        spec: RewardSpec,
        timeout: float | None,
        deadline: float | None,
        finish: Callable[[list[Verdict]], T],
        indexes: Sequence[int] | None = None,
    ) -> Future[list[tuple[Any, T]]]:
        """``submit_finished`` with workers: the raw items go to the workers, which check
        them too (``_Prepare``), so this thread only ships them and reads ids. Only plain
        dicts and Samples go this way: anything else is checked here, as ``submit`` does.
        ``indexes``: each item's index in the caller's batch (for a route's part of it)."""
        assert self.pool is not None
        _, verifiers, timeouts = self._plan(spec, timeout, deadline)
        # A part of a batch ships (index, item) pairs: reasons must name the caller's index.
        # A contiguous part (a range) needs only its first index.
        shipped: list[Any] = items
        prepare = _Prepare(self.max_chars)
        if isinstance(indexes, range) and indexes.step == 1:
            prepare = _Prepare(self.max_chars, first_index=indexes.start)
        elif indexes is not None:
            shipped = list(zip(indexes, items, strict=True))
            prepare = _Prepare(self.max_chars, indexed=True)
        inner = self.pool.submit(
            shipped, verifiers, timeouts, deadline=deadline, finish=finish, prepare=prepare
        )
        result: Future[list[tuple[Any, T]]] = Future()
        at = range(len(items)) if indexes is None else indexes

        def complete(outcome: Outcome) -> list[tuple[Any, T]]:
            finished, rows = outcome.finished, outcome.verdicts
            out: list[tuple[Any, T]] = []
            for i, item in enumerate(items):
                value = finished[i] if i in finished else finish(rows[i])
                out.append((_sample_id(item, at[i]), value))
            return out

        _relay(inner, result, complete)
        return result

    def _submit_routed(
        self,
        items: list[Any],
        spec: RoutedSpec,
        timeout: float | None,
        deadline: float | None,
        start: Callable[[str, RewardSpec, list[Any], list[int]], Future[list[R]]],
        unrouted: Callable[[Any, int, str], R],
    ) -> Future[list[R]]:
        """Grade each route's items as one job (``start(route, spec, items, indexes)``), all
        jobs submitted before any is waited on; ``unrouted(item, index, reason)`` is the
        result of an item that matched no route."""
        _check_arguments(timeout, deadline, self.pool is not None)
        groups, lost = split(items, spec)
        known = {i: unrouted(items[i], i, self._unrouted_reason(spec, items[i], i)) for i in lost}
        parts: list[tuple[list[int], Future[list[R]]]] = []
        try:
            for route, indexes in groups.items():
                chosen = [items[i] for i in indexes]
                parts.append((indexes, start(route, spec.spec_of(route), chosen, indexes)))
        except BaseException:
            for _, future in parts:  # e.g. the pool closed midway: no half-graded batch
                future.cancel()
            raise
        return gather(len(items), known, parts)

    def _unrouted_reason(self, spec: RoutedSpec, item: Any, index: int) -> str:
        return unrouted_reason(spec, item, index, self.max_chars)

    def _plan(
        self, spec: SpecLike, timeout: float | None, deadline: float | None
    ) -> tuple[RewardSpec, list[Verifier[Any]], list[float]]:
        """The parsed spec, its verifiers and each one's per-item deadline; checks the
        arguments before any work starts."""
        parsed = parse_spec(spec)
        if isinstance(parsed, RoutedSpec):
            raise TypeError("a routed spec is graded part by part (_submit_routed)")
        _check_arguments(timeout, deadline, self.pool is not None)
        verifiers = [e.verifier for e in parsed.entries]
        limit = timeout if timeout is not None else self.timeout
        return parsed, verifiers, [limit if limit is not None else v.timeout for v in verifiers]

    def _submit(
        self,
        samples: Iterable[Any],
        spec: SpecLike,
        timeout: float | None,
        deadline: float | None,
        finish: Callable[[list[Verdict]], Any] | None,
        build: Callable[[RewardSpec, _Batch, Outcome], R],
        indexes: Sequence[int] | None = None,
    ) -> Future[R]:
        parsed, verifiers, timeouts = self._plan(spec, timeout, deadline)
        batch = _Batch.check(list(samples), self.max_chars, indexes)
        result: Future[R] = Future()

        def complete(outcome: Outcome) -> R:
            return build(parsed, batch, outcome)

        if self.pool is None:
            table = [[run_verifier(v, s) for v in verifiers] for s in batch.valid]
            _settle(result, complete, Outcome(table, {}))
            return result
        inner = self.pool.submit(batch.valid, verifiers, timeouts, deadline=deadline, finish=finish)
        _relay(inner, result, complete)
        return result

    def close(self) -> None:
        """Stop the worker processes."""
        if self.pool is not None:
            self.pool.close()


def _checked(obj: object, index: int, max_chars: int) -> Sample | str:
    """The Sample to grade, or why item ``index`` cannot be one."""
    sample = coerce_sample(obj)
    if isinstance(sample, Sample):
        problem = size_problem(sample, max_chars)
        if problem is None:
            return sample
        sample = problem
    return f"sample {index}: {sample}"


@dataclass(frozen=True)
class _Batch:
    """A caller's items, each checked once: what the result builders work from."""

    #: The items as the caller passed them (their ids come from here).
    items: list[Any]
    #: Item i as the Sample to grade, or why it cannot be one.
    prepared: list[Sample | str]
    #: The Samples to grade, in order (what the pool sees).
    valid: list[Sample]
    #: Item index -> its row in ``valid`` (and in the pool's outcome).
    row_of: dict[int, int]
    #: Item i's index in the caller's batch (i itself unless this is a route's part).
    at: Sequence[int]

    @classmethod
    def check(cls, items: list[Any], max_chars: int, at: Sequence[int] | None = None) -> _Batch:
        at = range(len(items)) if at is None else at
        prepared = [_checked(obj, at[i], max_chars) for i, obj in enumerate(items)]
        indexes = [i for i, p in enumerate(prepared) if isinstance(p, Sample)]
        valid = [p for p in prepared if isinstance(p, Sample)]
        return cls(items, prepared, valid, {i: n for n, i in enumerate(indexes)}, at)

    def sample_id(self, i: int) -> Any:
        """The id of item i's Grade."""
        return _sample_id(self.items[i], self.at[i])


def _settle(result: Future[R], complete: Callable[[Outcome], R], outcome: Outcome) -> None:
    """``result`` gets what ``complete`` makes of the outcome, or what it raised."""
    try:
        value = complete(outcome)
    except Exception as exc:  # a finisher's bug reaches the caller, not a log
        result.set_exception(exc)
    else:
        result.set_result(value)


def _relay(inner: Future[Outcome], result: Future[R], complete: Callable[[Outcome], R]) -> None:
    """Complete ``result`` from the pool's future; cancelling ``result`` cancels the work."""

    def relay(done: Future[Outcome]) -> None:
        if result.cancelled():
            return
        if done.cancelled():
            result.cancel()
        elif (exc := done.exception()) is not None:
            result.set_exception(exc)
        else:
            _settle(result, complete, done.result())

    def propagate_cancel(outer: Future[R]) -> None:
        if outer.cancelled():
            inner.cancel()

    result.add_done_callback(propagate_cancel)
    inner.add_done_callback(relay)


@dataclass(frozen=True)
class _Prepare:
    """What ``_Batch.check`` does to each item, run in the worker (picklable). ``indexed``:
    items come as ``(index in the caller's batch, item)`` pairs."""

    max_chars: int
    indexed: bool = False
    first_index: int = 0

    def __call__(self, obj: Any, index: int) -> Sample | Verdict:
        if self.indexed:
            index, obj = obj
        else:
            index += self.first_index
        sample = _checked(obj, index, self.max_chars)
        return sample if isinstance(sample, Sample) else Verdict.failed("invalid_input", sample)


def _sample_id(obj: object, index: int) -> Any:
    """The id the Grade of item ``index`` carries: the item's own ``id``, or its index."""
    if type(obj) is dict:  # every server and CLI item: skip the slower checks
        own = obj.get("id")
    elif isinstance(obj, Sample):
        own = obj.id
    elif isinstance(obj, Mapping):
        own = obj.get("id")
    else:
        own = None
    return index if own is None else own


def _check_timeout(timeout: float | None) -> None:
    if timeout is not None and not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")


def _check_arguments(timeout: float | None, deadline: float | None, workers: bool) -> None:
    _check_timeout(timeout)
    _check_timeout(deadline)
    if deadline is not None and not workers:
        # In this thread nothing can interrupt a verifier, so a deadline would be a lie.
        raise ValueError("a batch deadline needs worker processes (workers >= 1)")


def _assemble(
    spec: RewardSpec, batch: _Batch, outcome: Outcome, route: str | None = None
) -> list[Grade]:
    rows, labels, weights = outcome.verdicts, spec.labels, spec.weights
    grades: list[Grade] = []
    for i, item in enumerate(batch.prepared):
        sample_id = batch.sample_id(i)
        if isinstance(item, str):
            grades.append(invalid_grade(spec, sample_id, item, route))
            continue
        verdicts = dict(zip(labels, rows[batch.row_of[i]], strict=True))
        grades.append(Grade(sample_id, weighted_reward(weights, verdicts), verdicts, route))
    return grades


def _finisher_build(
    finish: Callable[[list[Verdict]], T],
) -> Callable[[RewardSpec, _Batch, Outcome], list[tuple[Any, T]]]:
    """The result builder of ``submit_finished`` for items checked in this thread."""

    def build(spec: RewardSpec, batch: _Batch, outcome: Outcome) -> list[tuple[Any, T]]:
        finished, rows = outcome.finished, outcome.verdicts
        out: list[tuple[Any, T]] = []
        for i, item in enumerate(batch.prepared):
            if isinstance(item, str):
                value = finish([Verdict.failed("invalid_input", item)] * len(spec.labels))
            else:
                n = batch.row_of[i]
                value = finished[n] if n in finished else finish(rows[n])
            out.append((batch.sample_id(i), value))
        return out

    return build


def unrouted_reason(spec: RoutedSpec, item: Any, index: int, max_chars: int) -> str:
    """Why item ``index`` has no route; a sample that is malformed anyway says that."""
    checked = _checked(item, index, max_chars)
    if isinstance(checked, str):
        return checked
    return f"sample {index}: {spec.unrouted_reason(item)}"


def invalid_grade(spec: ParsedSpec, sample_id: Any, reason: str, route: str | None = None) -> Grade:
    """The Grade of an item that could not be graded: every verdict ``invalid_input`` (for
    a routed spec, every label of every route, unless ``route`` says whose labels)."""
    bad = Verdict.failed("invalid_input", reason)
    labels = spec.labels
    if route is not None and isinstance(spec, RoutedSpec):
        labels = spec.spec_of(route).labels
    return Grade(sample_id, 0.0, dict.fromkeys(labels, bad), route)


# -- the shared graders behind the module-level `grade` -------------------------------

_shared: dict[int, Grader] = {}
_shared_lock = threading.Lock()


def shared_grader(workers: int | None = None) -> Grader:
    """The process-wide Grader with ``workers`` workers, started on first use, and again
    if someone closed it (any holder of it can: ``grade()`` must not fail for everyone
    else with ``PoolClosedError`` afterwards)."""
    count = default_workers() if workers is None else workers
    with _shared_lock:
        grader = _shared.get(count)
        if grader is None or (grader.pool is not None and grader.pool.closed):
            grader = _shared[count] = Grader(count)
        return grader


@atexit.register
def _close_shared() -> None:
    with _shared_lock:
        graders = list(_shared.values())
        _shared.clear()
    for grader in graders:
        grader.close()


def grade(
    samples: Iterable[Any],
    spec: SpecLike,
    *,
    workers: int | None = None,
    timeout: float | None = None,
) -> list[Grade]:
    """Grade samples against a reward spec: one Grade per sample, in order.

    Args:
        samples: Sample objects or dicts with ``completion`` and optionally ``id``,
            ``prompt``, ``reference``, ``metadata``.
        spec: a verifier name, a list of names, or a mapping (see ``parse_spec``).
        workers: worker processes (default: one per core; 0 grades in this thread
            without deadlines). Pools are kept and reused across calls.
        timeout: per-item deadline in seconds (default: each verifier's own).

    Returns:
        One Grade per sample. Bad samples get ``invalid_input`` verdicts, never an error.

    Raises:
        SpecError: the spec is malformed or names an unknown verifier.

    Example:
        >>> grade([{"completion": "<think>2+2=4</think> 4"}], "think_format", workers=0)[0].reward
        1.0
    """
    return shared_grader(workers).grade(samples, spec, timeout=timeout)
