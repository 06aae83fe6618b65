"""What the pool and its workers say to each other, and the progress slot they share.

Over the connection (pickled; the pool sends, the worker answers):

- ``SetPath``: the pool's ``sys.path``, first, so a worker imports what the pool imports
  (plugins registered at run time included).
- ``RunChunk``: grade these items with this spec. The worker answers ``Ready`` once, when it
  has started, then ``Results`` for each chunk: partial ones while it works (so a deadline
  loses only unsent items) and one with ``done`` set at the end.
- ``Ping``: answer ``Ready`` again. Idle workers are pinged, so one that stopped (SIGSTOP)
  or hung is found and replaced before it is handed work, and the pool's count of live
  workers stays true.
- ``None``: stop.

The progress slot is shared memory the worker writes before each item, so the pool can
enforce per-item deadlines while still shipping work in chunks.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ..core.base import Verifier

#: Progress slot layout, in doubles: [sample index, entry index, start time (monotonic)].
SLOT_DOUBLES = 3
SLOT_BYTES = 8 * SLOT_DOUBLES

#: One graded cell: ``(sample index, entry index, verdict)``; entry index -1 carries the
#: finisher's output for the whole sample instead of one verdict.
Row = tuple[int, int, Any]
#: An item to grade: ``(sample index, sample or raw item, entry indexes still to grade)``.
Item = tuple[int, Any, tuple[int, ...]]


class SetPath(NamedTuple):
    """Pool -> worker: replace ``sys.path`` with this."""

    path: list[str]


class RunChunk(NamedTuple):
    """Pool -> worker: grade ``items`` with the spec known by ``spec_key``."""

    spec_key: int
    #: The spec's verifiers, or None when this worker already holds ``spec_key``.
    verifiers: tuple[Verifier[Any], ...] | None
    items: list[Item]
    #: Forget every cached spec first (the pool bounds each worker's cache).
    reset: bool
    #: Picklable per-sample finisher (``Finisher`` in ``pool``), or None.
    finish: Any
    #: Picklable raw-item preparer (``Preparer`` in ``pool``), or None.
    prepare: Any


class Ping(NamedTuple):
    """Pool -> worker: still there? (answered with ``Ready``)."""


class Ready(NamedTuple):
    """Worker -> pool: started and waiting for work (first message; the answer to Ping)."""


class Results(NamedTuple):
    """Worker -> pool: rows graded since the last ``Results``; ``done`` ends the chunk."""

    rows: list[Row]
    done: bool
