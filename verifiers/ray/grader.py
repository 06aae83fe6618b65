"""``RayGrader``: the ``Grader`` surface, graded by one actor per node of a Ray cluster.

The driver (this module) cuts a batch into chunks and hands each to the least-loaded node
actor (``actor.NodeGrader``), never more than ``max_in_flight`` chunks per actor: the rest
wait here as plain lists, so a slow cluster slows the caller instead of filling Ray's
queues. A chunk whose actor or node dies is sent again to a survivor, at most
``max_attempts`` times in all; grading is pure, so running a chunk twice is harmless, and
each chunk's result is kept once, in its slot, so no item is lost, doubled or reordered.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pickle import HIGHEST_PROTOCOL, loads
from typing import Any, TypeVar

import ray
from ray import cloudpickle
from ray.exceptions import ActorUnavailableError, GetTimeoutError, RayActorError
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from ..core.model import Grade, Verdict
from ..core.route import RoutedSpec
from ..core.spec import SpecLike, parse_spec
from ..engine import (
    DEFAULT_MAX_CHARS,
    Batches,
    gather,
    invalid_grade,
    sample_id,
    split,
    unrouted_reason,
)
from .actor import NodeGrader, Packer, PoolCounters
from .view import ClusterPool

T = TypeVar("T")

_ACTOR_GONE = (RayActorError, ActorUnavailableError)
_POLL = 0.5
"""Seconds between looks at the cluster while chunks are in flight."""
_NAMESPACE = "verigrade"
_WIRE = 3
"""What ``NodeGrader.grade`` takes and gives back: 3 = pickled items in, pickled values
out, a Grade's verdicts as plain fields (2 pickled Verdicts; 1 sent lists both ways)."""
_ACTOR_CONCURRENCY = 256
_REST = 5.0
"""Seconds a node whose actor died or did not answer waits before it gets one again."""
_LOOKS = 40
"""Times a batch with no actor left looks for one (about 0.2 s apart, plus each look's
wait) before its items get ``status="error"``."""


@dataclass
class _Chunk:
    index: int
    start: int
    items: list[Any]
    attempts: int = 0
    #: The items pickled, once (a chunk sent again reuses them).
    blob: bytes | None = None

    def packed(self) -> bytes:
        # cloudpickle, as Ray itself would use: items may hold objects of classes defined
        # in the caller's __main__, which plain pickle sends by a name the actor lacks.
        if self.blob is None:
            self.blob = cloudpickle.dumps(self.items, protocol=HIGHEST_PROTOCOL)  # type: ignore[no-untyped-call]
        return self.blob


@dataclass
class _Job:
    """One batch on its way through the cluster."""

    items: list[Any]
    spec: SpecLike
    labels: list[str]
    weights: dict[str, float]
    finish: Callable[[list[Verdict]], Any] | None
    timeout: float | None
    deadline: float | None
    result: Future[Any]
    #: Each item's place in the caller's batch, when this job is one route's part of it.
    indexes: list[int] | None = None
    #: The route of a routed spec this job grades (its Grades say so).
    route: str | None = None
    #: What the node actors run on each sample: ``finish``, or a ``Packer`` for Grades.
    finisher: Callable[[list[Verdict]], Any] = field(init=False)

    def __post_init__(self) -> None:
        self.finisher = Packer(self.labels, self.weights) if self.finish is None else self.finish

    def places(self, start: int, count: int) -> Sequence[int]:
        """Where items ``start`` to ``start + count`` sit in the caller's batch."""
        if self.indexes is None:
            return range(start, start + count)
        return self.indexes[start : start + count]


class RayGrader(Batches):
    """Grades batches on a Ray cluster: one actor per node, each with a local ``Grader``.

    Same surface as ``Grader``: ``submit``, ``submit_finished``, ``grade``, ``grade_async``,
    ``close`` and the context manager, with the same Grades, order and statuses.

    Args:
        address: the cluster: ``"auto"``, ``"HOST:PORT"`` or ``"ray://..."``; None connects
            to ``RAY_ADDRESS`` if set, else starts a local Ray (dashboard off). If this
            process is already connected (inside a verl job, say), that connection is used.
        workers_per_node: worker processes in each node's Grader; by default the node's
            ``CPU`` resource.
        timeout: per-item deadline in seconds, as in ``Grader``.
        max_chars: completions longer than this get ``invalid_input``.
        chunk_size: items per Ray task; by default one chunk per actor (16 to 1,024
            items; see ``_even_chunks``). Every item crosses one more process than with a
            local Grader (driver -> actor -> worker), so bigger chunks pay Ray's per-call
            cost (2-6 ms of CPU) less often; smaller ones balance nodes better.
        max_in_flight: chunks in flight per actor at most (backpressure).
        max_attempts: times a chunk is sent before its items get ``status="error"``.
        actor_cpus: CPUs each actor reserves in Ray's accounting (0: it shares the node
            with what the cluster already runs, such as a trainer's own actors).
        init_options: more keyword arguments for ``ray.init`` when this connects.

    Example:
        >>> with RayGrader("auto") as grader:  # doctest: +SKIP
        ...     grades = grader.grade(samples, {"math": 1.0, "think_format": 0.2})
    """

    def __init__(
        self,
        address: str | None = None,
        *,
        workers_per_node: int | None = None,
        timeout: float | None = None,
        max_chars: int = DEFAULT_MAX_CHARS,
        chunk_size: int | None = None,
        max_in_flight: int = 4,
        max_attempts: int = 3,
        actor_cpus: float = 0.0,
        init_options: dict[str, Any] | None = None,
    ) -> None:
        if (chunk_size is not None and chunk_size < 1) or max_in_flight < 1 or max_attempts < 1:
            raise ValueError("chunk_size, max_in_flight and max_attempts must be >= 1")
        self.timeout = timeout
        self.max_chars = max_chars
        self.chunk_size = chunk_size
        self.max_in_flight = max_in_flight
        self.max_attempts = max_attempts
        self.workers_per_node = workers_per_node
        self.actor_cpus = actor_cpus
        self._owns_ray = False
        if not ray.is_initialized():
            options = dict(init_options or {})
            if address is None and "RAY_ADDRESS" not in os.environ:
                options.setdefault("include_dashboard", False)
            ray.init(address=address, **options)
            self._owns_ray = True
        self._lock = threading.Lock()
        self._actors: dict[str, Any] = {}  # node id -> NodeGrader handle
        self._load: Counter[str] = Counter()  # node id -> chunks in flight, all batches
        self._created: set[Any] = set()  # the actors this grader started (close stops them)
        self._counters: dict[str, PoolCounters] = {}  # node id -> its pool, as last reported
        self._closed = False
        self._no_actor_since: float | None = time.monotonic()
        self.last_failure: str | None = None
        """Why an actor was last lost, for ``/readyz`` and logs."""
        self.chunks_waiting = 0
        """Chunks of all batches waiting in this process for a free actor slot."""
        self.chunk_retries = 0
        """Chunks sent again because their actor or task failed."""
        self.items_failed = 0
        """Items the cluster did not grade (no actor left, retries used up, deadline)."""
        self.pool = ClusterPool(self)
        """The cluster seen as one pool: what servers read for readiness and metrics."""
        self._last_refresh = 0.0
        self._refreshing = False
        self._starting: set[str] = set()  # nodes whose actor is being asked for `ready`
        self._alive: set[str] = set()  # the nodes with CPUs at the last look
        self._resting: dict[str, float] = {}  # node id -> when it may get an actor again
        self.refresh(wait=True)
        if not self._actors:
            raise RuntimeError("the Ray cluster has no node with CPUs to grade on")

    # -- the cluster ----------------------------------------------------------------

    def refresh(self, *, wait: bool = False, ready_timeout: float = 120.0) -> dict[str, Any]:
        """Give every live node an actor and forget those of dead nodes; returns
        node id -> actor. Runs by itself during batches, so nodes that join get used.

        An actor is used only once it has answered ``ready``: a node that has just died
        still looks alive to the cluster for a while, and a handle to its actor would take
        chunks only to fail them. ``wait``: answer after the new actors have (up to
        ``ready_timeout`` s); otherwise they join in the background.
        """
        alive = {
            node["NodeID"]: node["Resources"].get("CPU", 0)
            for node in ray.nodes()  # type: ignore[no-untyped-call]
            if node.get("Alive") and node["Resources"].get("CPU", 0) > 0
        }
        started = []
        with self._lock:
            now = self._last_refresh = time.monotonic()
            self._alive = set(alive)
            for node_id in list(self._actors):
                if node_id not in alive:
                    del self._actors[node_id]
                    self._counters.pop(node_id, None)
                    self.last_failure = f"node {node_id[:12]} left the cluster"
            for node_id, cpus in alive.items():
                if (
                    self._closed
                    or node_id in self._actors
                    or node_id in self._starting
                    or self._resting.get(node_id, 0.0) > now
                ):
                    continue
                self._starting.add(node_id)
                started.append((node_id, self._start_actor(node_id, cpus)))
            self._note_actors()
        if started and wait:
            self._admit(started, ready_timeout)
        elif started:
            threading.Thread(target=self._admit, args=(started, ready_timeout), daemon=True).start()
        return self.actors()

    def _admit(self, started: list[tuple[str, Any]], timeout: float) -> None:
        """Add each started (or found) actor once it answers; rest the node if it does not."""
        for node_id, handle in started:
            try:
                counters = ray.get(handle.ready.remote(), timeout=timeout)
            except (*_ACTOR_GONE, GetTimeoutError, ray.exceptions.RayError) as exc:
                with self._lock:
                    self._starting.discard(node_id)
                    self._resting[node_id] = time.monotonic() + _REST
                    self.last_failure = (
                        f"node {node_id[:12]}: its actor did not answer ({type(exc).__name__})"
                    )
                continue
            with self._lock:
                self._starting.discard(node_id)
                if not self._closed:
                    self._actors[node_id] = handle
                    self._counters[node_id] = counters
                    self._note_actors()

    def refresh_soon(self) -> None:
        """``refresh`` in a background thread, unless one runs or one ran in the last 2 s."""
        with self._lock:
            if self._refreshing or self._closed or time.monotonic() - self._last_refresh < 2.0:
                return
            self._refreshing = True

        def run() -> None:
            try:
                self.refresh(wait=True)
            except Exception as exc:  # the cluster may be unreachable: say so, try later
                with self._lock:
                    self.last_failure = f"looking for nodes failed: {exc}"
            finally:
                with self._lock:
                    self._refreshing = False

        threading.Thread(target=run, daemon=True, name="raygrader-refresh").start()

    def _resting_node(self) -> bool:
        """A live node waits out its rest (its actor died): it gets a new one after it."""
        now = time.monotonic()
        with self._lock:
            return any(until > now and node in self._alive for node, until in self._resting.items())

    def _note_actors(self) -> None:
        """Keep the time since the last actor was lost (caller holds the lock)."""
        if self._actors:
            self._no_actor_since = None
        elif self._no_actor_since is None:
            self._no_actor_since = time.monotonic()

    def _start_actor(self, node_id: str, cpus: float) -> Any:
        """The node's actor: the one another RayGrader of the same settings already
        started there (several HTTP workers of ``serve --ray`` share it), or a new one."""
        workers = self.workers_per_node or max(1, int(cpus))
        # The name carries what the actor's Grader was built with, so graders with other
        # settings never share it, and the chunk protocol's version, so a driver never
        # reaches an actor that an older verigrade started and speaks to differently; the
        # namespace keeps it apart from the job's own actors.
        name = f"verigrade-p{_WIRE}-{node_id[:16]}-{workers}-{self.timeout}-{self.max_chars}"
        try:
            return ray.get_actor(name, namespace=_NAMESPACE)
        except ValueError:  # none yet: this grader starts it, and stops it on close
            pass
        remote = ray.remote(NodeGrader).options(
            name=name,
            namespace=_NAMESPACE,
            get_if_exists=True,
            num_cpus=self.actor_cpus,
            scheduling_strategy=NodeAffinitySchedulingStrategy(node_id, soft=False),
            max_restarts=0,
            # Every sharing grader may have max_in_flight chunks on it; each waits on the
            # node's pool without holding a thread, so a high bound costs nothing.
            max_concurrency=_ACTOR_CONCURRENCY,
        )
        started = remote.remote(workers, self.timeout, self.max_chars)
        self._created.add(started)
        return started

    def _forget(self, node_id: str, handle: Any, why: str) -> None:
        with self._lock:
            if self._actors.get(node_id) is handle:
                del self._actors[node_id]
                self._counters.pop(node_id, None)
                self._resting[node_id] = time.monotonic() + _REST
                self.last_failure = f"node {node_id[:12]}: {why}"
                self._note_actors()

    def counters(self) -> dict[str, PoolCounters]:
        """Node id -> (live workers, workers, restarts, timeouts, crashes, start failures)
        of that node's pool, as its actor last reported them (with each chunk)."""
        with self._lock:
            return dict(self._counters)

    def actors(self) -> dict[str, Any]:
        """Node id -> that node's actor handle, as this grader sees the cluster now."""
        with self._lock:
            return dict(self._actors)

    # -- the Grader surface ---------------------------------------------------------

    def submit(
        self,
        samples: Iterable[Any],
        spec: SpecLike,
        *,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> Future[list[Grade]]:
        """Start grading; the future holds one Grade per sample, in order (see ``Grader``).

        Raises:
            SpecError: the spec is malformed (raised here, before any work starts).
        """
        return self._start(list(samples), spec, None, timeout, deadline)

    def submit_finished(
        self,
        samples: Iterable[Any],
        spec: SpecLike,
        finish: Callable[[list[Verdict]], T],
        *,
        timeout: float | None = None,
        deadline: float | None = None,
    ) -> Future[list[tuple[Any, T]]]:
        """Like ``Grader.submit_finished``: ``(id, finish(verdicts))`` per sample, in
        order; ``finish`` runs on the node that graded the sample."""
        return self._start(list(samples), spec, finish, timeout, deadline)

    def close(self) -> None:
        """Stop the node actors this grader started (and Ray itself, if it started it).

        Actors it found already running, started by another grader with the same settings,
        are left to their owner; one that its owner stops under a running batch is a dead
        actor like any other: its chunks go to the survivors, or to a fresh actor.
        """
        with self._lock:
            self._closed = True
            actors = [h for h in self._actors.values() if h in self._created]
            self._actors.clear()
            self._created.clear()
        for handle in actors:
            ray.kill(handle)
        if self._owns_ray and ray.is_initialized():
            ray.shutdown()

    # -- one batch ------------------------------------------------------------------

    def _start(
        self,
        items: list[Any],
        spec: SpecLike,
        finish: Callable[[list[Verdict]], Any] | None,
        timeout: float | None,
        deadline: float | None,
    ) -> Future[Any]:
        parsed = parse_spec(spec)  # a bad spec raises here, before any work
        for value in (timeout, deadline):
            if value is not None and not value > 0:
                raise ValueError(f"timeout must be a positive number of seconds, got {value!r}")
        if self._closed:
            from ..core.errors import PoolClosedError

            raise PoolClosedError("this RayGrader is closed")
        if isinstance(parsed, RoutedSpec):
            return self._start_routed(items, parsed, finish, timeout, deadline)
        result: Future[Any] = Future()
        job = _Job(items, spec, parsed.labels, parsed.weights, finish, timeout, deadline, result)
        threading.Thread(target=self._run, args=(job,), daemon=True, name="raygrader").start()
        return result

    def _start_routed(
        self,
        items: list[Any],
        spec: RoutedSpec,
        finish: Any,
        timeout: float | None,
        deadline: float | None,
    ) -> Future[Any]:
        """A routed batch as one job per route, all started at once (each is an ordinary
        batch of its route's spec to the actors), gathered back into the caller's order."""
        if finish is not None and not callable(getattr(finish, "for_route", None)):
            raise TypeError(
                "a routed spec needs a finisher with a for_route(route, spec) method "
                "(RouteFinisher): each route has its own verdict labels"
            )
        groups, lost = split(items, spec)
        known: dict[int, Any] = {}
        for i in lost:
            reason = unrouted_reason(spec, items[i], i, self.max_chars)
            own = sample_id(items[i], i)
            if finish is None:
                known[i] = invalid_grade(spec, own, reason)
            else:
                failed = [Verdict.failed("invalid_input", reason)] * len(spec.labels)
                known[i] = (own, finish.for_route(None, spec.unrouted)(failed))
        parts: list[tuple[list[int], Future[list[Any]]]] = []
        for route, indexes in groups.items():
            part = spec.spec_of(route)
            own = None if finish is None else finish.for_route(route, part)
            job = _Job(
                [items[i] for i in indexes], part, part.labels, part.weights, own, timeout,
                deadline, Future(), indexes, route,
            )  # fmt: skip
            threading.Thread(target=self._run, args=(job,), daemon=True, name="raygrader").start()
            parts.append((indexes, job.result))
        return gather(len(items), known, parts)

    def _run(self, job: _Job) -> None:
        try:
            values = self._dispatch(job)
        except BaseException as exc:  # a bug here must reach the caller, not hang it
            if not job.result.cancelled():
                job.result.set_exception(exc)
            return
        if not job.result.cancelled():
            job.result.set_result(values)

    def _dispatch(self, job: _Job) -> list[Any]:
        started = time.monotonic()
        end = None if job.deadline is None else started + job.deadline
        size = self.chunk_size or _even_chunks(len(job.items), len(self.actors()))
        pending = deque(
            _Chunk(n, start, job.items[start : start + size])
            for n, start in enumerate(range(0, len(job.items), size))
        )
        done: list[list[Any] | None] = [None] * len(pending)
        in_flight: dict[Any, tuple[_Chunk, str, Any]] = {}  # ref -> chunk, node, actor
        looks = 0  # times the cluster was searched for an actor and none answered

        def give_up(chunk: _Chunk, status: str, reason: str) -> None:
            failed = [self._failed(job, status, reason)] * len(chunk.items)
            done[chunk.index] = self._build(job, chunk, failed)
            with self._lock:
                self.items_failed += len(chunk.items)

        self._waiting(len(pending))

        while pending or in_flight:
            now = time.monotonic()
            if job.result.cancelled() or (end is not None and now >= end):
                break
            if now - self._last_refresh > 5.0:
                self.refresh()
            while pending and (slot := self._free_actor()) is not None:
                node_id, actor = slot
                chunk = pending.popleft()
                self._waiting(-1)
                chunk.attempts += 1
                left = None if end is None else end - time.monotonic()
                ref = actor.grade.remote(
                    chunk.packed(), job.spec, job.finisher, job.timeout,
                    None if left is None else max(0.05, left - min(0.5, left / 10)),
                    job.places(chunk.start, len(chunk.items)),
                )  # fmt: skip
                in_flight[ref] = (chunk, node_id, actor)
            if not in_flight:
                # Ask the cluster only when no actor is known: asking on every 5 ms turn
                # while other batches fill the actors would flood the GCS.
                if self.actors():
                    time.sleep(0.005)  # every actor is full with other batches
                    continue
                left = None if end is None else end - time.monotonic()
                if self.refresh(wait=True, ready_timeout=min(30.0, left or 30.0)):
                    continue
                looks += 1
                if looks < _LOOKS and self._resting_node():  # its rest ends soon: look again
                    time.sleep(0.2)
                    continue
                for chunk in pending:  # none left: say so
                    give_up(chunk, "error", "no Ray actor is left to grade on")
                self._waiting(-len(pending))
                pending.clear()
                continue
            wait = _POLL if end is None else max(0.0, min(_POLL, end - time.monotonic()))
            ready, _ = ray.wait(list(in_flight), num_returns=1, timeout=wait)
            for ref in ready:
                chunk, node_id, actor = in_flight.pop(ref)
                with self._lock:
                    self._load[node_id] -= 1
                try:
                    counters, blob = ray.get(ref)
                    values = loads(blob)
                except _ACTOR_GONE as exc:
                    why = f"its Ray actor died ({type(exc).__name__})"
                    self._forget(node_id, actor, why)
                    self._retry(chunk, pending, give_up, why)
                except ray.exceptions.RayError as exc:
                    self._retry(chunk, pending, give_up, f"Ray task failed: {exc}")
                else:
                    with self._lock:
                        self._counters[node_id] = counters
                    done[chunk.index] = self._build(job, chunk, values)

        # What is left ran out of time (or was cancelled): say so per item.
        for ref, (chunk, node_id, _) in in_flight.items():
            with self._lock:
                self._load[node_id] -= 1
            ray.cancel(ref)
            give_up(chunk, "timeout", f"batch deadline ({job.deadline} s) passed on the cluster")
        for chunk in pending:
            give_up(
                chunk, "timeout", f"batch deadline ({job.deadline} s) passed before it was sent"
            )
        self._waiting(-len(pending))
        if any(results is None for results in done):  # every path above fills each slot
            raise RuntimeError("RayGrader lost a chunk: a bug, please report it")
        return [result for results in done if results is not None for result in results]

    def _waiting(self, change: int) -> None:
        with self._lock:
            self.chunks_waiting += change

    def _retry(
        self,
        chunk: _Chunk,
        pending: deque[_Chunk],
        give_up: Callable[[_Chunk, str, str], None],
        why: str,
    ) -> None:
        if chunk.attempts >= self.max_attempts:
            give_up(chunk, "error", f"{why}; gave up after {chunk.attempts} attempts")
        else:
            pending.appendleft(chunk)
            self._waiting(1)
            with self._lock:
                self.chunk_retries += 1

    def _free_actor(self) -> tuple[str, Any] | None:
        """The least-loaded actor with room for another chunk (its load counted), or None."""
        with self._lock:
            free = [n for n in self._actors if self._load[n] < self.max_in_flight]
            if not free:
                return None
            node_id = min(free, key=lambda n: self._load[n])
            self._load[node_id] += 1
            return node_id, self._actors[node_id]

    def _failed(self, job: _Job, status: str, reason: str) -> Any:
        """What an item that the cluster did not grade becomes (its id is set later)."""
        verdict = Verdict.failed(status, reason)  # type: ignore[arg-type]
        return job.finisher([verdict] * len(job.labels))

    @staticmethod
    def _build(job: _Job, chunk: _Chunk, values: list[Any]) -> list[Any]:
        """A chunk's results as the caller gets them; run as each chunk comes back, so the
        driver's share of the work overlaps the cluster's grading of the other chunks."""
        if len(values) != len(chunk.items):
            raise RuntimeError(
                f"RayGrader: a chunk of {len(chunk.items)} items came back with {len(values)}"
            )
        labels, route = job.labels, job.route
        places = job.places(chunk.start, len(values))
        ids = [sample_id(item, place) for item, place in zip(chunk.items, places, strict=True)]
        if job.finish is not None:
            return list(zip(ids, values, strict=True))
        out: list[Any] = []
        for own, value in zip(ids, values, strict=True):
            reward, fields = loads(value)  # a Packer's: the Grade, less its id
            verdicts = {label: Verdict(*f) for label, f in zip(labels, fields, strict=True)}
            out.append(Grade(own, reward, verdicts, route))
        return out


def _even_chunks(items: int, actors: int) -> int:
    """A chunk size that gives each actor one chunk of the batch, 16 to 1,024 items (a
    bigger batch is cut into chunks of 1,024, shared out by load).

    One, because a Ray call is the dearest thing on the path: on the 2-CPU test machine an
    actor call costs 1.75 ms of CPU over the driver and the actor with nothing in it, and
    5-6 ms with a 700 KB chunk of items and its 330 KB of results (the object store's
    share included), against 5-7 ms for twice that. In-process A/B runs on one node of 2
    CPUs, batches of 1,024, 41-61 alternating rounds each: one chunk of 1,024 reached
    0.71-0.74 of the local Grader's items/s where two of 512 reached 0.69-0.71, in all
    four runs; four of 256 had reached 0.58-0.60. Past 1,024 items a chunk only delays
    the first worker's start (its trip costs ~6 ms).
    """
    return max(16, min(1024, -(-items // max(1, actors))))
