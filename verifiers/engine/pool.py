"""A pool of worker processes with hard per-item deadlines.

Why not ``concurrent.futures.ProcessPoolExecutor``: it cannot kill one stuck task,
only break the whole pool. Here each worker reports the item it is on through a
shared-memory slot; when an item outlives its deadline the worker's process group
is killed, the item gets ``status="timeout"``, the rest of its chunk is re-queued
and a fresh worker takes its place. Work travels in chunks (one item per task costs
~200 us of IPC, a chunk of 64 ~5 us per item) and results come back as a
``concurrent.futures.Future`` so threads and asyncio can both wait on it.

Deadlines hold from the moment a chunk is handed to a worker: until the worker marks its
first item started, that item's deadline runs from the hand-off, so a worker that stops
answering (SIGSTOP, a stuck start) is detected within one item deadline and replaced.

The pool heals and never gives up while it is open. A worker that dies is replaced at
once; a slot whose workers keep dying before they say "ready" (a crash loop, a broken
install) is restarted with exponential backoff (0.1 s doubling to 5 s). While no worker can
start, work waits (``UNAVAILABLE_LIMIT``) and then fails with ``PoolUnavailableError``;
``ready``, ``live_workers``, ``healing`` and ``unavailable_for`` say how the pool stands, so a
server can report it truthfully.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import math
import mmap
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from typing import Any, Literal

from ..core.base import Verifier
from ..core.errors import PoolClosedError, PoolUnavailableError
from ..core.model import Sample, Verdict
from .affinity import cpus_for_workers, pin_process
from .messages import SLOT_BYTES, Item, Ping, Ready, Results, RunChunk, SetPath

log = logging.getLogger(__name__)

MAX_CHUNK = 64
# A chunk that kills its worker before any item starts twice is poison, not bad luck.
MAX_SILENT_CRASHES = 2
# A worker that has not said "ready" this long after it was started is stuck (stopped, or
# hung importing): it is killed and counts as a failed start. A start costs ~0.3-1.5 s of
# imports on a loaded 2-core machine; a slot held by a stopped starter costs capacity.
START_TIMEOUT = 20.0
# Restart delay of a slot after n failed starts in a row: FIRST_BACKOFF * 2**(n-1), capped.
# A worker that dies after it started (a crash, a deadline) is replaced at once.
FIRST_BACKOFF = 0.1
MAX_BACKOFF = 5.0
# How long queued work waits while no worker can start before it fails; the pool itself
# keeps restarting workers (a later submit is served once one starts).
UNAVAILABLE_LIMIT = 60.0
# An idle worker silent this long is pinged; one that does not answer a ping within
# PING_TIMEOUT is stopped or hung, and is replaced before it is handed work.
PING_INTERVAL = 2.0
PING_TIMEOUT = 5.0
# At close, how long idle workers get to exit on their own before they are killed.
CLOSE_GRACE = 1.0
# Specs (verifier tuples) a worker keeps built; past this it starts afresh.
MAX_CACHED_SPECS = 256

VerdictTable = list[list[Verdict]]
#: Per-sample post-processing the caller wants done where the sample is graded: called
#: with the sample's verdicts in spec order; its (picklable) result replaces them.
Finisher = Callable[[list[Verdict]], Any]
#: Turns a raw item into the Sample to grade, or the one Verdict (``invalid_input``) every
#: entry of an item that cannot be graded gets; called with the item and its index.
Preparer = Callable[[Any, int], "Sample | Verdict"]


@dataclass(eq=False)
class Outcome:
    """What a job produced: ``verdicts[sample][entry]``, and for a job with a finisher,
    ``finished[sample]`` for every sample whose worker finished it (their rows in
    ``verdicts`` hold a placeholder; the other rows are real and still to be finished)."""

    verdicts: VerdictTable
    finished: dict[int, Any]


# Fills the cells of a row a worker finished, so the job's bookkeeping stays per cell.
_FINISHED_ROW = Verdict(0.0, "ok", "finished in the worker")


@dataclass(eq=False)
class _Job:
    verifiers: tuple[Verifier[Any], ...]
    timeouts: tuple[float, ...]
    spec_key: int
    cells: list[list[Verdict | None]]
    remaining: int
    future: Future[Outcome]
    # Monotonic time after which unfinished items give up (a caller's whole-batch deadline).
    expires_at: float | None = None
    finish: Finisher | None = None
    finished: dict[int, Any] = field(default_factory=dict)
    prepare: Preparer | None = None

    def put(self, sample_index: int, entry_index: int, verdict: Any) -> None:
        """Record one verdict, or (``entry_index`` -1) a row the worker finished."""
        row = self.cells[sample_index]
        if entry_index < 0:
            # Only a worker that graded every entry of the sample sends this, so no cell of
            # the row can be set unless the job already expired (then it is dropped).
            if all(cell is None for cell in row):
                row[:] = [_FINISHED_ROW] * len(row)
                self.finished[sample_index] = verdict
                self.remaining -= len(row)
        elif row[entry_index] is None:
            row[entry_index] = verdict
            self.remaining -= 1
        if self.remaining == 0 and not self.future.done():
            self.future.set_result(Outcome(self.cells, self.finished))  # type: ignore[arg-type]


@dataclass(eq=False)
class _Chunk:
    job: _Job
    items: list[Item]
    silent_crashes: int = 0


@dataclass(eq=False)
class _Worker:
    #: Its slot: which core it is pinned to, and whose restart backoff it counts in.
    index: int
    proc: subprocess.Popen[bytes]
    conn: Connection
    slot: memoryview[float]
    mapped: mmap.mmap
    started_at: float
    ready: bool = False
    chunk: _Chunk | None = None
    #: When ``chunk`` was handed over: its first item's deadline runs from here until the
    #: worker marks that item started (a stopped worker never does).
    sent_at: float = 0.0
    #: When the pool last heard from it (or handed it work), and when it sent an
    #: unanswered Ping (None: none outstanding).
    heard_at: float = 0.0
    pinged_at: float | None = None
    known_specs: set[int] = field(default_factory=set)

    def progress(self) -> tuple[int, int, float]:
        sample_index = int(self.slot[0])  # read first: see the worker's write order
        return sample_index, int(self.slot[1]), self.slot[2]

    def current_item(self) -> tuple[int, int] | None:
        """``(sample index, entry index)`` of the item the worker is on, if any."""
        sample_index, entry_index, _ = self.progress()
        return (sample_index, entry_index) if sample_index >= 0 else None


class WorkerPool:
    """Runs verifiers over samples in ``workers`` processes with per-item deadlines.

    Args:
        workers: number of worker processes (>= 1).
        python: interpreter for the workers (default: this one).
        pin: keep each worker, with the sandboxed runs it starts, on a core of its own: True
            always, False never, None (default) when there is one worker per core and no CPU
            quota (see :mod:`verigrade.verifiers.engine.affinity`).

    Thread-safe: any thread may ``submit``; one dispatcher thread talks to workers.
    """

    def __init__(self, workers: int, *, python: str | None = None, pin: bool | None = None) -> None:
        if workers < 1:
            raise ValueError(f"a pool needs at least one worker, got {workers}")
        self.size = workers
        self._python = python or sys.executable
        #: The core of each worker slot, or None when the scheduler places them.
        self.cpus = cpus_for_workers(workers, pin)
        self._lock = threading.Lock()
        self._pending: deque[_Chunk] = deque()
        self._workers: list[_Worker] = []
        self._closed = False
        self._spec_keys: dict[tuple[Verifier[Any], ...], int] = {}
        self._spec_counter = itertools.count()
        self._expiring: list[_Job] = []
        self._cancelled = False
        self.restarts = 0
        self.timeouts = 0
        self.crashes = 0
        #: Workers that died, or were killed, before they said "ready".
        self.start_failures = 0
        self._failed_in_a_row = [0] * workers
        # Slots without a process -> when to start their next worker (restart backoff).
        self._due: dict[int, float] = {}
        # Since when no worker has been ready (None while one is); start-up counts.
        self._down_since: float | None = time.monotonic()
        self._last_failure = ""
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        for index in range(workers):
            self._workers.append(self._start_worker(index))
        self._thread = threading.Thread(target=self._run, name="verigrade-pool", daemon=True)
        self._thread.start()

    # -- public -----------------------------------------------------------------

    def submit(
        self,
        samples: Sequence[Sample],
        verifiers: Sequence[Verifier[Any]],
        timeouts: Sequence[float],
        *,
        deadline: float | None = None,
        finish: Finisher | None = None,
        prepare: Preparer | None = None,
    ) -> Future[Outcome]:
        """Verify every sample with every verifier; the future's ``verdicts[sample][verifier]``.

        ``timeouts[i]`` is the deadline in seconds for one run of ``verifiers[i]``.
        ``deadline`` bounds the whole job in seconds: when it passes, every item not yet
        verified gets ``status="timeout"`` and the future completes with what is done
        (a server's per-request deadline); its queued work is dropped and the workers
        still on its items are replaced.
        Cancelling the future drops the job's queued work and replaces the workers
        still running its items (their results would be thrown away).
        ``finish`` (picklable) runs in the worker on each sample it grades whole, so costly
        per-sample output work (a server serialising results) is spread over the workers;
        rows it could not finish there (a timeout, a crash) come back as verdicts.
        ``prepare`` (picklable) makes the worker turn each raw item into its Sample, so a
        caller holding raw dicts leaves their checking to the workers too.
        """
        future: Future[Outcome] = Future()
        n, k = len(samples), len(verifiers)
        if n == 0 or k == 0:
            future.set_result(Outcome([[] for _ in range(n)], {}))
            return future
        spec = tuple(verifiers)
        with self._lock:
            if self._closed:
                raise PoolClosedError("the worker pool is closed")
            if len(self._spec_keys) >= 16 * MAX_CACHED_SPECS:
                self._spec_keys.clear()  # keys keep counting up, so old ones never collide
            key = self._spec_keys.setdefault(spec, next(self._spec_counter))
        job = _Job(
            spec,
            tuple(timeouts),
            key,
            [[None] * k for _ in range(n)],
            n * k,
            future,
            finish=finish,
            prepare=prepare,
        )
        if deadline is not None:
            job.expires_at = time.monotonic() + deadline
        size = max(1, min(MAX_CHUNK, math.ceil(n / (4 * self.size))))
        entries = tuple(range(k))
        chunks = [
            _Chunk(job, [(i, samples[i], entries) for i in range(start, min(n, start + size))])
            for start in range(0, n, size)
        ]
        with self._lock:
            self._pending.extend(chunks)
            if job.expires_at is not None:
                self._expiring.append(job)
        future.add_done_callback(self._on_done)
        self._wake()
        return future

    def _on_done(self, future: Future[Outcome]) -> None:
        if future.cancelled():
            with self._lock:
                self._cancelled = True
            self._wake()

    @property
    def ready(self) -> bool:
        """True when the pool is open and at least one worker is up to take work."""
        with self._lock:
            return not self._closed and any(w.ready for w in self._workers)

    @property
    def live_workers(self) -> int:
        """Workers running and ready (busy ones included); ``size`` is how many it wants."""
        with self._lock:
            return sum(w.ready for w in self._workers)

    @property
    def closed(self) -> bool:
        """True once ``close()`` ran, or the dispatcher failed (then nothing heals it)."""
        with self._lock:
            return self._closed

    @property
    def healing(self) -> bool:
        """True while some slot's workers keep dying before they start (restarted with
        backoff); see ``last_failure``."""
        with self._lock:
            return any(self._failed_in_a_row)

    @property
    def last_failure(self) -> str:
        """How the last worker that failed to start ended ("" if none has)."""
        return self._last_failure

    @property
    def unavailable_for(self) -> float:
        """Seconds since the pool last had a ready worker (0.0 while it has one)."""
        down = self._down_since
        return 0.0 if down is None else max(0.0, time.monotonic() - down)

    @property
    def queue_depth(self) -> int:
        """Chunks waiting for a worker."""
        with self._lock:
            return len(self._pending)

    @property
    def busy_workers(self) -> int:
        """Workers holding a chunk right now."""
        with self._lock:
            return sum(w.chunk is not None for w in self._workers)

    @property
    def worker_pids(self) -> list[int]:
        """Process ids of the current workers (for monitoring and fault tests)."""
        with self._lock:
            return [w.proc.pid for w in self._workers]

    def close(self) -> None:
        """Stop the workers; queued work fails with PoolClosedError. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            pending = list(self._pending)
            self._pending.clear()
        for chunk in pending:
            self._fail(chunk.job, PoolClosedError("the worker pool was closed"))
        self._wake()
        self._thread.join(timeout=10)

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- workers ----------------------------------------------------------------

    def _start_worker(self, index: int) -> _Worker:
        parent_sock, child_sock = socket.socketpair()
        progress_fd = os.memfd_create("verigrade-progress")
        os.ftruncate(progress_fd, SLOT_BYTES)
        mapped = mmap.mmap(progress_fd, SLOT_BYTES)
        slot: memoryview[float] = memoryview(mapped).cast("d")
        slot[0] = -1.0
        fds = (child_sock.fileno(), progress_fd)
        proc = subprocess.Popen(
            [self._python, "-m", "verigrade.verifiers.engine.worker_main", *map(str, fds)],
            pass_fds=fds,
            stdin=subprocess.DEVNULL,
            # Its own process group, so a deadline kills whatever a verifier spawned too.
            start_new_session=True,
        )
        child_sock.close()
        os.close(progress_fd)
        if self.cpus is not None:
            # Before it starts anything: its fork server and runs inherit the core.
            pin_process(proc.pid, self.cpus[index])
        conn = Connection(parent_sock.detach())
        # A worker that already died (broken install) shows up as end-of-file on conn.
        with contextlib.suppress(OSError):
            conn.send(SetPath(list(sys.path)))
        return _Worker(index, proc, conn, slot, mapped, time.monotonic())

    def _stop_worker(self, worker: _Worker, *, kill: bool) -> None:
        if kill:
            try:
                os.killpg(worker.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                worker.proc.kill()
        else:
            with contextlib.suppress(OSError):
                worker.conn.send(None)
        try:
            worker.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            worker.proc.kill()
            worker.proc.wait()
        worker.conn.close()
        worker.slot.release()
        worker.mapped.close()

    # -- dispatcher -------------------------------------------------------------

    def _wake(self) -> None:
        with contextlib.suppress(OSError):  # a full buffer means it is already awake
            self._wake_w.send(b"x")

    def _run(self) -> None:
        try:
            self._loop()
        except Exception as exc:
            # A bug here must not leave callers waiting forever: fail their work loudly.
            log.exception("verigrade worker pool: dispatcher failed")
            self._break(f"the pool's dispatcher failed: {type(exc).__name__}: {exc}")
            for worker in self._workers:
                with contextlib.suppress(Exception):
                    self._stop_worker(worker, kill=True)
            self._wake_r.close()
            self._wake_w.close()

    def _loop(self) -> None:
        while True:
            with self._lock:
                closed = self._closed
            if closed:
                break
            self._assign()
            conns: list[Any] = [w.conn for w in self._workers]
            for ready in wait([*conns, self._wake_r], timeout=self._next_deadline()):
                if ready is self._wake_r:
                    try:
                        while self._wake_r.recv(4096):
                            pass
                    except BlockingIOError:
                        pass
                    continue
                worker = next((w for w in self._workers if w.conn is ready), None)
                if worker is not None:
                    self._receive(worker)
            self._check_deadlines()
        self._stop_all()
        self._wake_r.close()
        self._wake_w.close()

    def _stop_all(self) -> None:
        """At close: idle workers are asked to exit, busy or unstarted ones killed, and all
        waited for together, so closing takes about a second at most even when a worker is
        stopped (a server's shutdown must keep its drain timeout)."""
        for worker in self._workers:
            if worker.chunk is not None:
                self._fail(worker.chunk.job, PoolClosedError("the worker pool was closed"))
            if worker.chunk is None and worker.ready:
                with contextlib.suppress(OSError):
                    worker.conn.send(None)
            else:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(worker.proc.pid, signal.SIGKILL)
        deadline = time.monotonic() + CLOSE_GRACE
        for worker in self._workers:
            try:
                worker.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                self._stop_worker(worker, kill=True)
                continue
            worker.conn.close()
            worker.slot.release()
            worker.mapped.close()

    def _assign(self) -> None:
        for worker in list(self._workers):
            # Only a started worker gets work: a deadline runs from the hand-off, and a
            # worker that is still importing must not spend an item's deadline doing so.
            if worker.chunk is not None or not worker.ready:
                continue
            with self._lock:
                chunk = None
                while self._pending:
                    candidate = self._pending.popleft()
                    if not candidate.job.future.done():
                        chunk = candidate
                        break
            if chunk is None:
                return
            job = chunk.job
            # A server sees many specs over its life: bound each worker's cache.
            reset = len(worker.known_specs) >= MAX_CACHED_SPECS
            if reset:
                worker.known_specs.clear()
            verifiers = None if job.spec_key in worker.known_specs else job.verifiers
            try:
                worker.conn.send(
                    RunChunk(job.spec_key, verifiers, chunk.items, reset, job.finish, job.prepare)
                )
            except OSError:
                with self._lock:
                    self._pending.appendleft(chunk)
                self._replace(worker, "crash", worker.current_item())
                continue
            worker.known_specs.add(job.spec_key)
            worker.chunk = chunk
            worker.sent_at = worker.heard_at = time.monotonic()
            worker.pinged_at = None  # its chunk's deadlines watch it now

    def _receive(self, worker: _Worker) -> None:
        try:
            while worker.conn.poll():
                message: Ready | Results = worker.conn.recv()
                worker.heard_at, worker.pinged_at = time.monotonic(), None
                if isinstance(message, Ready):
                    self._started(worker)
                    continue
                chunk = worker.chunk
                if chunk is not None:
                    for sample_index, entry_index, verdict in message.rows:
                        chunk.job.put(sample_index, entry_index, verdict)
                    if message.done:
                        worker.chunk = None
                        # The worker leaves its last item in the slot (so a stop after
                        # it is still bounded by that deadline); it idles now: clear it.
                        worker.slot[0] = -1.0
        except (EOFError, OSError):
            self._replace(worker, "crash", worker.current_item())

    def _worker_deadline(self, worker: _Worker) -> tuple[float, tuple[int, int] | None] | None:
        """When ``worker`` must next be heard from, and the item that deadline is for
        (None: its start); None if it is idle."""
        if not worker.ready:
            return worker.started_at + START_TIMEOUT, None
        chunk = worker.chunk
        if chunk is None:
            return None
        sample_index, entry_index, started = worker.progress()
        if sample_index >= 0:
            return started + chunk.job.timeouts[entry_index], (sample_index, entry_index)
        # Handed over but not started: the first item's deadline runs from the hand-off.
        first, _, entries = chunk.items[0]
        return worker.sent_at + chunk.job.timeouts[entries[0]], (first, entries[0])

    def _next_deadline(self) -> float | None:
        now = time.monotonic()
        times = [d[0] for w in self._workers if (d := self._worker_deadline(w)) is not None]
        times.extend(self._due.values())
        times.extend(self._ping_times())
        with self._lock:
            times.extend(job.expires_at for job in self._expiring if job.expires_at is not None)
            waiting = bool(self._pending)
        if waiting and self._down_since is not None and any(self._failed_in_a_row):
            times.append(self._down_since + UNAVAILABLE_LIMIT)
        return None if not times else max(0.0, min(times) - now) + 0.001

    def _check_deadlines(self) -> None:
        now = time.monotonic()
        for worker in list(self._workers):
            due = self._worker_deadline(worker)
            if due is None or now <= due[0]:
                continue
            item = due[1]
            if item is None:
                log.warning("verigrade worker pool: worker %d never started; replacing it",
                            worker.proc.pid)  # fmt: skip
                self._replace(worker, "crash", None)
            elif worker.current_item() is None:
                self._replace(worker, "stalled", item)
            else:
                self._replace(worker, "timeout", item)
        self._ping_idle(now)
        self._start_due(time.monotonic())
        self._give_up_if_unavailable(now)
        self._expire_jobs(now)
        self._drop_cancelled()

    def _ping_times(self) -> list[float]:
        """When each idle worker is next due a ping, or its ping is due an answer."""
        return [
            w.heard_at + PING_INTERVAL if w.pinged_at is None else w.pinged_at + PING_TIMEOUT
            for w in self._workers
            if w.ready and w.chunk is None
        ]

    def _ping_idle(self, now: float) -> None:
        """Ping idle workers that have been quiet; replace those that do not answer."""
        for worker in list(self._workers):
            if not worker.ready or worker.chunk is not None:
                continue
            if worker.pinged_at is not None:
                if now - worker.pinged_at > PING_TIMEOUT:
                    log.warning("verigrade worker pool: idle worker %d stopped answering; "
                                "replacing it", worker.proc.pid)  # fmt: skip
                    self._replace(worker, "crash", None)
            elif now - worker.heard_at > PING_INTERVAL:
                try:
                    worker.conn.send(Ping())
                except OSError:
                    self._replace(worker, "crash", None)
                    continue
                worker.pinged_at = now

    def _give_up_if_unavailable(self, now: float) -> None:
        """Fail queued work once no worker could start for ``UNAVAILABLE_LIMIT`` seconds
        (a broken install must not hang callers); the pool goes on restarting workers."""
        down = self._down_since
        if down is None or now - down < UNAVAILABLE_LIMIT or not any(self._failed_in_a_row):
            return
        with self._lock:
            pending = list(self._pending)
            self._pending.clear()
        why = (
            f"no worker process could start for {UNAVAILABLE_LIMIT:g}s (the last one: "
            f"{self._last_failure}); the pool keeps trying, see stderr"
        )
        for chunk in pending:
            self._fail(chunk.job, PoolUnavailableError(why))

    def _drop_cancelled(self) -> None:
        with self._lock:
            if not self._cancelled:
                return
            self._cancelled = False
            self._pending = deque(c for c in self._pending if not c.job.future.done())
        for worker in list(self._workers):
            if worker.chunk is not None and worker.chunk.job.future.cancelled():
                self._recycle(worker)

    def _expire_jobs(self, now: float) -> None:
        with self._lock:
            jobs, self._expiring = self._expiring, []
        keep: list[_Job] = []
        for job in jobs:
            if job.future.done():
                continue
            if job.expires_at is None or now < job.expires_at:
                keep.append(job)
                continue
            verdict = Verdict.failed(
                "timeout", "the batch deadline passed before this item was verified"
            )
            for s, row in enumerate(job.cells):
                for e, cell in enumerate(row):
                    if cell is None:
                        job.put(s, e, verdict)
            # Nobody waits for the rest of this job: free the workers still on it.
            for worker in list(self._workers):
                if worker.chunk is not None and worker.chunk.job is job:
                    self._recycle(worker)
        if keep:
            with self._lock:
                self._expiring.extend(keep)

    def _replace(
        self,
        worker: _Worker,
        why: Literal["crash", "timeout", "stalled"],
        stuck: tuple[int, int] | None,
    ) -> None:
        """Kill ``worker`` and start a new one; settle the item it was ``stuck`` on (None:
        it died between items) and re-queue the rest of its chunk. ``stalled``: it was
        handed the chunk but never started it within the first item's deadline."""
        chunk = worker.chunk
        self._keep_sent_results(worker, chunk)
        self._stop_worker(worker, kill=True)
        exit_code = worker.proc.returncode
        self._restart_slot(worker)
        if chunk is None:
            return
        if why == "crash":
            self.crashes += 1
        else:
            self.timeouts += 1
        if stuck is None:
            chunk.silent_crashes += 1
        else:
            s, e = stuck
            if why == "timeout":
                reason = f"verification exceeded its {chunk.job.timeouts[e]:g}s deadline"
                chunk.job.put(s, e, Verdict.failed("timeout", reason))
            elif why == "stalled":
                reason = (
                    f"its worker did not start it within its {chunk.job.timeouts[e]:g}s "
                    "deadline (the worker stopped responding and was replaced)"
                )
                chunk.job.put(s, e, Verdict.failed("timeout", reason))
            else:
                reason = f"the worker process died ({_describe(exit_code)})"
                chunk.job.put(s, e, Verdict.failed("error", reason))
        self._requeue_rest(chunk)

    def _keep_sent_results(self, worker: _Worker, chunk: _Chunk | None) -> None:
        """Record the results a dying worker sent that are still buffered."""
        try:
            while worker.conn.poll():
                message = worker.conn.recv()
                if isinstance(message, Ready):  # it did start: no failed start to count
                    worker.ready = True
                elif chunk is not None:
                    for s, e, verdict in message.rows:
                        chunk.job.put(s, e, verdict)
        except (EOFError, OSError):
            pass

    def _started(self, worker: _Worker) -> None:
        """``worker`` said "ready": its slot's crash loop, if any, is over."""
        with self._lock:
            worker.ready = True
            self._failed_in_a_row[worker.index] = 0
            self._down_since = None

    def _requeue_rest(self, chunk: _Chunk) -> None:
        """Queue the chunk's ungraded cells again, first in line; a chunk that keeps killing
        its worker before any item starts fails instead."""
        job = chunk.job
        leftover = [
            (s, sample, tuple(e for e in entries if job.cells[s][e] is None))
            for s, sample, entries in chunk.items
        ]
        leftover = [item for item in leftover if item[2]]
        if not leftover:
            return
        if chunk.silent_crashes >= MAX_SILENT_CRASHES:
            for s, _, entries in leftover:
                for e in entries:
                    job.put(s, e, Verdict.failed("error", "the worker process died repeatedly"))
            return
        with self._lock:
            self._pending.appendleft(_Chunk(job, leftover, chunk.silent_crashes))

    def _recycle(self, worker: _Worker) -> None:
        """Kill a worker whose work is no longer wanted and start a fresh one."""
        worker.chunk = None
        self._stop_worker(worker, kill=True)
        self._restart_slot(worker)

    def _restart_slot(self, worker: _Worker) -> None:
        """Start a fresh worker in the stopped ``worker``'s slot (and core), unless closed:
        at once if it had started, after a backoff if it died before it could."""
        index, now = worker.index, time.monotonic()
        with self._lock:
            self._workers.remove(worker)
            closed = self._closed
            if self._down_since is None and not any(w.ready for w in self._workers):
                self._down_since = now
            if not worker.ready:
                self._failed_in_a_row[index] += 1
                self.start_failures += 1
                self._last_failure = _describe(worker.proc.returncode)
        if closed:
            return
        self._schedule(index, now)
        self._start_due(now)

    def _schedule(self, index: int, now: float) -> None:
        failed = self._failed_in_a_row[index]
        delay = 0.0 if failed == 0 else min(MAX_BACKOFF, FIRST_BACKOFF * 2 ** (failed - 1))
        if failed:
            log.warning("verigrade worker pool: a worker died before starting (%s), %d in a "
                        "row; restarting it in %.1fs", self._last_failure, failed, delay)  # fmt: skip
        self._due[index] = now + delay

    def _start_due(self, now: float) -> None:
        """Start the workers whose backoff has run out."""
        for index, at in list(self._due.items()):
            if at > now:
                continue
            del self._due[index]
            try:
                worker = self._start_worker(index)
            except OSError as exc:  # cannot even spawn (fd or process limits): back off
                with self._lock:
                    self._failed_in_a_row[index] += 1
                    self.start_failures += 1
                    self._last_failure = f"could not start: {exc}"
                self._schedule(index, now)
                continue
            with self._lock:
                self._workers.append(worker)
                self._workers.sort(key=lambda w: w.index)  # slot order, as worker_pids lists
            self.restarts += 1

    def _break(self, why: str) -> None:
        with self._lock:
            self._closed = True
            pending = list(self._pending)
            self._pending.clear()
        for chunk in pending:
            self._fail(chunk.job, PoolClosedError(why))
        for other in self._workers:
            if other.chunk is not None:
                self._fail(other.chunk.job, PoolClosedError(why))

    def _fail(self, job: _Job, exc: BaseException) -> None:
        if not job.future.done():
            job.future.set_exception(exc)


def _describe(returncode: int | None) -> str:
    if returncode is None:
        return "still running"
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit code {returncode}"
