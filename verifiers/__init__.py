"""verigrade's reward library: verifiers, the grading engine and the registry.

>>> from verigrade.verifiers import grade
>>> spec = {"think_format": 1.0, "language": {"weight": 0.5, "target": "en"}}
>>> grade([{"completion": "<think>two plus two</think> 4"}], spec, workers=0)[0].reward
1.5
"""

from __future__ import annotations

from .base import NoOptions, Verifier
from .engine import Grader, grade, shared_grader
from .errors import (
    InvalidConfigError,
    PoolClosedError,
    SpecError,
    UnknownVerifierError,
    VerigradeError,
)
from .model import STATUSES, Grade, Sample, Status, Verdict
from .options import Opt
from .registry import get_verifier, list_verifiers, register, unregister, verifier_names
from .spec import RewardSpec, SpecEntry, SpecLike, load_spec, parse_spec

__all__ = [
    "Grade",
    "Grader",
    "InvalidConfigError",
    "NoOptions",
    "Opt",
    "PoolClosedError",
    "RewardSpec",
    "STATUSES",
    "Sample",
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
    "shared_grader",
    "unregister",
    "verifier_names",
]
