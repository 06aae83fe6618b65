"""The worker process of the pool: runs verifiers on items the parent sends.

Started by the pool as ``python -m verigrade.verifiers.engine.worker_main CONN_FD PROGRESS_FD``.
It writes the item it is working on, and when it started, into a shared
memory slot before each item, so the parent can enforce per-item deadlines while
still shipping work in chunks; the parent kills the whole process group on a
deadline, so nothing here needs a timer.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import pickle
import signal
import sys
import time
from multiprocessing.connection import Connection
from typing import Any

from ..core.base import Verifier
from ..core.model import Sample, Verdict
from .messages import SLOT_BYTES, Ping, Ready, Results, Row, RunChunk, SetPath

FLUSH_SECONDS = 0.02


def run_verifier(verifier: Verifier[Any], sample: Sample) -> Verdict:
    """Run one verifier, turning anything it raises into an ``error`` verdict."""
    try:
        verdict = verifier.verify(sample)
    except Exception as exc:  # a verifier bug must cost one item, not the batch
        return Verdict.failed("error", f"{verifier.name} raised {type(exc).__name__}: {exc}"[:500])
    if not isinstance(verdict, Verdict):
        return Verdict.failed(
            "error", f"{verifier.name}.verify returned {type(verdict).__name__}, not a Verdict"
        )
    return verdict


def _die_with_parent() -> None:
    # PR_SET_PDEATHSIG: a worker stuck in a long verification must not outlive the pool.
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


def _send(conn: Connection, message: Results) -> None:
    try:
        conn.send(message)
    except (pickle.PicklingError, TypeError, AttributeError):
        # A verdict whose details cannot be pickled: keep the verdicts, lose the details.
        safe = [
            (s, e, Verdict(v.score, v.status, v.reason, {"unpicklable_details": True}))
            if e >= 0
            else (s, e, v)  # a finished row: the finisher's own plain output
            for s, e, v in message.rows
        ]
        conn.send(Results(safe, message.done))


def _prepared(prepare: Any, item: Any, index: int) -> Any:
    try:
        return prepare(item, index)
    except Exception as exc:  # a preparer bug costs its item, like a verifier bug
        return Verdict.failed("error", f"preparing sample {index} raised {exc!r}"[:500])


def _finished(finish: Any, row: list[Row]) -> list[Row]:
    """The row as one ``(sample, -1, finish(verdicts))`` entry when the job has a finisher."""
    if finish is None:
        return row
    try:
        return [(row[0][0], -1, finish([verdict for _, _, verdict in row]))]
    except Exception:  # a finisher bug: send the verdicts, the parent finishes (and reports)
        return row


def serve(conn: Connection, slot: memoryview[float]) -> None:
    """Answer ``RunChunk`` messages until the parent sends None or goes away."""
    specs: dict[int, tuple[Verifier[Any], ...]] = {}
    conn.send(Ready())
    while True:
        try:
            message: SetPath | Ping | RunChunk | None = conn.recv()
        except EOFError:
            return
        if message is None:
            return
        if isinstance(message, SetPath):
            sys.path[:] = message.path
            continue
        if isinstance(message, Ping):
            conn.send(Ready())
            continue
        spec_key, verifiers, items, reset, finish, prepare = message
        if reset:
            specs.clear()
        if verifiers is not None:
            specs[spec_key] = verifiers
        spec = specs[spec_key]
        results: list[Row] = []
        flushed = time.monotonic()
        for sample_index, item, entry_indexes in items:
            row: list[Row] = []
            sample = item if prepare is None else _prepared(prepare, item, sample_index)
            if isinstance(sample, Verdict):  # cannot be graded: every entry says why
                row = [(sample_index, entry_index, sample) for entry_index in entry_indexes]
                results.extend(_finished(finish, row) if len(row) == len(spec) else row)
                continue
            for entry_index in entry_indexes:
                # Start time first, index last: the parent reads the index first, so it
                # never pairs a new index with a stale start time.
                slot[2] = time.monotonic()
                slot[1] = entry_index
                slot[0] = sample_index
                row.append((sample_index, entry_index, run_verifier(spec[entry_index], sample)))
            results.extend(_finished(finish, row) if len(row) == len(spec) else row)
            now = time.monotonic()
            if now - flushed > FLUSH_SECONDS:
                _send(conn, Results(results, False))
                results, flushed = [], now
        # The slot keeps the last item until the parent reads "done" and clears it: a
        # worker stopped before it sends this stays bounded by that item's deadline.
        _send(conn, Results(results, True))


def main(argv: list[str]) -> None:
    """Entry point: ``worker_main CONN_FD PROGRESS_FD``."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _die_with_parent()
    conn = Connection(int(argv[0]))
    progress_fd = int(argv[1])
    mapped = mmap.mmap(progress_fd, SLOT_BYTES)
    os.close(progress_fd)
    slot: memoryview[float] = memoryview(mapped).cast("d")
    serve(conn, slot)
