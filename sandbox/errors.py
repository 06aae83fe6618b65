"""What the sandbox raises and warns, in one place.

Standard library only, and no imports of ours: the fork server loads this file by path, as
``wire.py`` imports :class:`WireError` from it. Each class keeps the built-in base it always
had, so ``except RuntimeError`` or ``except ValueError`` still catches what it caught::

    RuntimeError
    └── SandboxError             the sandbox itself failed (could not start, lost its server)
        └── SandboxUnavailable   a layer the caller required is not available here
    ValueError
    └── WireError                a value that is not plain data, or a malformed message
    UserWarning
    └── SandboxDegraded          some layers are not available; runs go ahead without them

All four are importable from :mod:`verigrade.sandbox`, and from where they were defined
before: ``client`` (the sandbox's three) and ``wire`` (``WireError``) re-export them.
"""

from __future__ import annotations


class SandboxError(RuntimeError):
    """The sandbox itself failed (could not start, lost its fork server)."""


class SandboxUnavailable(SandboxError):
    """A layer the caller required is not available on this machine."""


class SandboxDegraded(UserWarning):
    """Some isolation layers are not available; runs go ahead without them."""


class WireError(ValueError):
    """A value that is not plain data (built-in values and their subclasses), or a malformed
    message: whatever a program writes on the reply channel decodes to a value or this."""
