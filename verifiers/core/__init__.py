"""The words every other part of verigrade uses.

``model`` (Sample, Verdict, Grade), ``base`` (the Verifier class a verifier subclasses),
``options`` (``Opt``: a documented, bounded option), ``spec`` (a reward spec parsed into
verifiers and weights), ``registry`` (verifier names from entry points), ``errors`` (the
exception tree) and ``text`` (splitting reasoning from the answer). Nothing here grades
in bulk or runs processes: that is ``engine``.
"""

from __future__ import annotations

from .base import NoOptions, Verifier
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
    "list_verifiers",
    "load_spec",
    "parse_spec",
    "register",
    "unregister",
    "verifier_names",
]
