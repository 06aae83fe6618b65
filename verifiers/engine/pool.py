"""A pool of worker processes with hard per-item deadlines.

Why not ``concurrent.futures.ProcessPoolExecutor``: it cannot kill one stuck task,
only break the whole pool. Here each worker reports the item it is on through a
shared-memory slot; when an item outlives its deadline the worker's process group
is killed, the item gets ``status="timeout"``, the rest of its chunk is re-queued
and a fresh worker takes its place. Work travels in chunks (one item per task costs
~200 us of IPC, a chunk of 64 ~5 us per item) and results come back as a
``concurrent.futures.Future`` so threads and asyncio can both wait on it.
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
from ..core.errors import PoolClosedError
from ..core.model import Sample, Verdict
from .affinity import cpus_for_workers, pin_process
from .messages import SLOT_BYTES, Item, Ready, Results, RunChunk, SetPath

log = logging.getLogger(__name__)

MAX_CHUNK = 64
# A chunk that kills its worker before any item starts twice is poison, not bad luck.
MAX_SILENT_CRASHES = 2
# Workers that die before saying "ready" this many times in a row mean a broken install.
MAX_FAILED_STARTS = 3
UNSTARTED_POLL = 0.05
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
    proc: subprocess.Popen[bytes]
    conn: Connection
    slot: memoryview[float]
    mapped: mmap.mmap
    ready: bool = False
    chunk: _Chunk | None = None
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
        self._failed_starts = 0
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
        """True when every worker has started and the pool is open."""
        with self._lock:
            return not self._closed and all(w.ready for w in self._workers)

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
        conn.send(SetPath(list(sys.path)))
        return _Worker(proc, conn, slot, mapped)

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
        for worker in self._workers:
            if worker.chunk is not None:
                self._fail(worker.chunk.job, PoolClosedError("the worker pool was closed"))
            self._stop_worker(worker, kill=worker.chunk is not None)
        self._wake_r.close()
        self._wake_w.close()

    def _assign(self) -> None:
        for worker in self._workers:
            if worker.chunk is not None:
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

    def _receive(self, worker: _Worker) -> None:
        try:
            while worker.conn.poll():
                message: Ready | Results = worker.conn.recv()
                if isinstance(message, Ready):
                    worker.ready = True
                    continue
                chunk = worker.chunk
                if chunk is not None:
                    for sample_index, entry_index, verdict in message.rows:
                        chunk.job.put(sample_index, entry_index, verdict)
                    if message.done:
                        worker.chunk = None
        except (EOFError, OSError):
            self._replace(worker, "crash", worker.current_item())

    def _next_deadline(self) -> float | None:
        now = time.monotonic()
        soonest: float | None = None
        for worker in self._workers:
            if worker.chunk is None:
                continue
            sample_index, entry_index, started = worker.progress()
            if sample_index < 0:
                # Sent a chunk but not yet started on it: look again soon, or a
                # stuck first item would go unnoticed until some message arrives.
                left = UNSTARTED_POLL
            else:
                left = started + worker.chunk.job.timeouts[entry_index] - now
            soonest = left if soonest is None else min(soonest, left)
        with self._lock:
            expiring = [job.expires_at for job in self._expiring if job.expires_at is not None]
        for expires_at in expiring:
            left = expires_at - now
            soonest = left if soonest is None else min(soonest, left)
        return None if soonest is None else max(0.0, soonest) + 0.001

    def _check_deadlines(self) -> None:
        now = time.monotonic()
        for worker in list(self._workers):
            if worker.chunk is None:
                continue
            sample_index, entry_index, started = worker.progress()
            if sample_index >= 0 and now - started > worker.chunk.job.timeouts[entry_index]:
                self._replace(worker, "timeout", (sample_index, entry_index))
        self._expire_jobs(now)
        self._drop_cancelled()

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
        self, worker: _Worker, why: Literal["crash", "timeout"], stuck: tuple[int, int] | None
    ) -> None:
        """Kill ``worker`` and start a new one; settle the item it was ``stuck`` on (None:
        it died between items) and re-queue the rest of its chunk."""
        chunk = worker.chunk
        self._keep_sent_results(worker, chunk)
        self._stop_worker(worker, kill=True)
        exit_code = worker.proc.returncode
        self._count_start(worker, exit_code)
        self._restart_slot(worker)
        if chunk is None:
            return
        if why == "timeout":
            self.timeouts += 1
        else:
            self.crashes += 1
        if stuck is None:
            chunk.silent_crashes += 1
        else:
            s, e = stuck
            if why == "timeout":
                reason = f"verification exceeded its {chunk.job.timeouts[e]:g}s deadline"
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
                if chunk is not None and isinstance(message, Results):
                    for s, e, verdict in message.rows:
                        chunk.job.put(s, e, verdict)
        except (EOFError, OSError):
            pass

    def _count_start(self, worker: _Worker, exit_code: int | None) -> None:
        """Close the pool when workers keep dying before they start: a broken install."""
        self._failed_starts = 0 if worker.ready else self._failed_starts + 1
        if self._failed_starts >= MAX_FAILED_STARTS:
            self._break(
                f"worker processes die before starting ({_describe(exit_code)}); see stderr"
            )

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
        """Start a fresh worker in the stopped ``worker``'s slot (and core), unless closed."""
        with self._lock:
            closed = self._closed
        if not closed:
            index = self._workers.index(worker)
            self._workers[index] = self._start_worker(index)
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
