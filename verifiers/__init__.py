"""verigrade's reward library: verifiers, the grading engine and the registry.

The public names, re-exported once here: the words from ``core``, ``Grader`` and ``grade``
from ``engine``, ``select`` (rejection sampling, best-of-n) from ``selection``. Each
verifier is a module (``think_format``, ``length``, ``repetition``) or, when it has
internals, a package (``math``, ``code``, ``language``); ``cli`` is the command line.

>>> from verigrade.verifiers import grade
>>> spec = {"think_format": 1.0, "language": {"weight": 0.5, "target": "en"}}
>>> grade([{"completion": "<think>two plus two</think> 4"}], spec, workers=0)[0].reward
1.5
"""

from __future__ import annotations

from .core.base import NoOptions, Verifier
from .core.errors import (
    InvalidConfigError,
    PoolClosedError,
    PoolUnavailableError,
    SpecError,
    UnknownVerifierError,
    VerigradeError,
)
from .core.model import STATUSES, Grade, Sample, Status, Verdict
from .core.options import Opt
from .core.registry import get_verifier, list_verifiers, register, unregister, verifier_names
from .core.route import DEFAULT_ROUTE, ParsedSpec, RoutedSpec
from .core.spec import RewardSpec, SpecEntry, SpecLike, load_spec, parse_spec
from .engine import Grader, grade, shared_grader
from .selection import Selection, SelectOptions, select

__all__ = [
    "DEFAULT_ROUTE",
    "Grade",
    "Grader",
    "InvalidConfigError",
    "NoOptions",
    "Opt",
    "ParsedSpec",
    "PoolClosedError",
    "PoolUnavailableError",
    "RewardSpec",
    "RoutedSpec",
    "STATUSES",
    "Sample",
    "SelectOptions",
    "Selection",
    "SpecEntry",
    "SpecError",
    "SpecLike",
    "Status",
    "UnknownVerifierError",
    "Verdict",
    "Verifier",
    "VerigradeError",
    "get_verifier",
    "grade",
    "list_verifiers",
    "load_spec",
    "parse_spec",
    "register",
    "select",
    "shared_grader",
    "unregister",
    "verifier_names",
]
