"""Errors raised for caller mistakes.

Bad *model output* never raises: it becomes a Verdict with a status and a reason.
Bad *requests* raise one of these, which the server maps to a 4xx and the CLI to a
clear message::

    VerigradeError
     ├── SpecError                  the reward spec is malformed
     │    ├── UnknownVerifierError  a name that no installed verifier has
     │    └── InvalidConfigError    options a verifier does not accept
     ├── PoolClosedError            grading on a pool that was closed
     └── PoolUnavailableError       no worker process could start for a long while
"""

from __future__ import annotations


class VerigradeError(Exception):
    """Base class of every error verigrade raises on purpose."""


class SpecError(VerigradeError, ValueError):
    """The reward spec cannot be understood."""


class UnknownVerifierError(SpecError, LookupError):
    """A spec names a verifier that is not installed."""

    def __init__(self, name: str, known: list[str]) -> None:
        self.name = name
        self.known = known
        super().__init__(
            f"unknown verifier {name!r}; installed verifiers: {', '.join(known) or '(none)'}"
        )


class InvalidConfigError(SpecError):
    """A verifier was given options it does not accept."""


class PoolClosedError(VerigradeError, RuntimeError):
    """Work was submitted to a worker pool after it was closed."""


class PoolUnavailableError(VerigradeError, RuntimeError):
    """Queued work failed because no worker process could start for a long while (a broken
    install, a crash loop); the pool itself stays open and keeps restarting workers."""
