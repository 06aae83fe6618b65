"""The grading engine: ``Grader`` turns samples and a spec into Grades, in order.

``grader`` (Grader, ``grade``, the shared graders) sits on ``pool`` (worker processes with
per-item deadlines), which talks to ``worker`` (the process side, started through
``worker_main``) in the ``messages`` it defines; ``affinity`` decides which core each worker
runs on; ``stream`` feeds a long stream of items through a grader batch by batch;
``routing`` splits a batch graded against a routed spec into one job per route.
Everything outside this package imports from here, never from those modules.
"""

from __future__ import annotations

from .affinity import cpus_for_workers, pin_process
from .grader import (
    DEFAULT_MAX_CHARS,
    Batches,
    Grader,
    default_workers,
    grade,
    invalid_grade,
    shared_grader,
    unrouted_reason,
)
from .grader import _sample_id as sample_id
from .routing import RouteFinisher, gather, split
from .stream import Submit, stream_grades
from .worker import run_verifier

__all__ = [
    "DEFAULT_MAX_CHARS",
    "Batches",
    "Grader",
    "Submit",
    "RouteFinisher",
    "cpus_for_workers",
    "default_workers",
    "grade",
    "invalid_grade",
    "pin_process",
    "run_verifier",
    "sample_id",
    "shared_grader",
    "stream_grades",
    "gather",
    "split",
    "unrouted_reason",
]
