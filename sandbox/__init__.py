"""Run untrusted programs: fresh directory, resource limits, kernel isolation, a warm fork server.

Imports nothing else of verigrade. Start with :class:`Sandbox`; ``verigrade sandbox-check``
prints which isolation layers this machine gives.
"""

from __future__ import annotations

from .client import Sandbox, Session, default_sandbox
from .errors import SandboxDegraded, SandboxError, SandboxUnavailable, WireError
from .extras import RunExtras, Wiring, run_extras
from .limits import Limits
from .result import RunResult, RunStatus

__all__ = [
    "Limits",
    "RunExtras",
    "RunResult",
    "RunStatus",
    "Sandbox",
    "SandboxDegraded",
    "SandboxError",
    "SandboxUnavailable",
    "Session",
    "WireError",
    "Wiring",
    "default_sandbox",
    "run_extras",
]
