"""What a run may need beyond a program, its input and its limits: arguments, wired standard
streams, a file read back from its directory.

Each is given to :meth:`Sandbox.run` or :meth:`Sandbox.run_python` as ``extras=``, or set for
every run started in a block with :func:`run_extras`, for callers that run programs through a
layer that does not pass them on (the ``code`` verifier's ``Built.run``, which knows how to run
each language but not what a judge needs from one run).

- ``args``: appended to the program's argv (``sys.argv`` of a Python run): how a checker learns
  the names of the files it judges.
- ``stdio``: a :class:`Wiring`, two descriptors that become the run's stdin and stdout instead of
  the pipes the sandbox makes; the caller reads and writes nothing of them. Two runs wired to
  each other's pipes talk directly (an interactive problem), each under its own limits.
- ``collect``: the name of a file in the run's working directory that the fork server reads
  back after every process of the run is dead: :attr:`RunResult.collected`. It opens it
  without following a symbolic link and only if it is a regular file, so what comes back was
  written in the run's own directory, and it reads at most ``Limits.output_bytes``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from .errors import SandboxError

#: A name ``collect`` accepts: one plain file name in the working directory.
_FILE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]{0,99}")


class Wiring:
    """A run's stdin and stdout, given by the caller as open descriptors.

    Exactly one run takes them, and closes them once the sandboxed child holds its copies, so
    that the other end sees end-of-file when the child dies. :meth:`close` closes them if no
    run took them (a run that failed to start, or never began).
    """

    def __init__(self, stdin_fd: int, stdout_fd: int) -> None:
        self._fds: tuple[int, int] | None = (stdin_fd, stdout_fd)

    def take(self) -> tuple[int, int]:
        """The two descriptors, now owned by the caller (a run). Raises SandboxError twice."""
        if self._fds is None:
            raise SandboxError("a wiring serves one run; this one was used or closed")
        fds, self._fds = self._fds, None
        return fds

    def close(self) -> None:
        """Close the descriptors unless a run took them."""
        if self._fds is not None:
            for fd in self._fds:
                os.close(fd)
            self._fds = None


@dataclass(frozen=True)
class RunExtras:
    """What one run needs beyond its program, input and limits (see the module docstring)."""

    args: tuple[str, ...] = ()
    """Arguments after the program's own argv."""
    stdio: Wiring | None = None
    """Descriptors for the run's stdin and stdout; its stdin argument must then be empty."""
    collect: str | None = None
    """A file of the working directory to read back after the run (a plain name)."""

    def __post_init__(self) -> None:
        if isinstance(self.args, (str, bytes)) or not all(isinstance(a, str) for a in self.args):
            raise TypeError("args must be a sequence of strings")
        if self.collect is not None and (
            not _FILE_NAME.fullmatch(self.collect) or self.collect in (".", "..")
        ):
            raise ValueError(f"collect takes a plain file name, not {self.collect!r}")


_CURRENT: ContextVar[RunExtras | None] = ContextVar("verigrade_run_extras", default=None)


@contextmanager
def run_extras(extras: RunExtras) -> Iterator[None]:
    """Give ``extras`` to every run this thread starts in the block without its own ``extras``.

    Example:
        >>> from verigrade.sandbox import RunExtras, Sandbox, run_extras
        >>> with run_extras(RunExtras(args=("x",))):
        ...     Sandbox().run_python("import sys; print(sys.argv[1:])").stdout
        b"['x']\\n"
    """
    token = _CURRENT.set(extras)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def current() -> RunExtras | None:
    """The extras set by the innermost :func:`run_extras` block of this thread, if any."""
    return _CURRENT.get()
