"""What one sandboxed run produced."""

from __future__ import annotations

import signal
from dataclasses import dataclass
from typing import Literal

RunStatus = Literal["ok", "failed", "crashed", "timeout", "output_limit", "sandbox_error"]


@dataclass(frozen=True)
class RunResult:
    """The outcome of one run: exit, captured output, and what the supervisor had to do."""

    exit_code: int | None
    """The program's exit status, or None when a signal ended it."""
    signal: int | None
    """The signal that ended it, if any."""
    stdout: bytes
    stderr: bytes
    timed_out: bool
    """Killed at the wall-clock deadline or past its CPU limit."""
    output_truncated: bool
    """Killed because stdout plus stderr exceeded the output cap."""
    wall_seconds: float
    cpu_seconds: float
    sandbox_error: str | None = None
    """Set when the sandbox itself failed (isolation could not be applied): not the program's fault."""
    memory_exceeded: bool = False
    """The kernel killed a process of the run for the memory limit of its cgroup."""
    collected: bytes | None = None
    """The file named by ``RunExtras.collect``, read back after the run; None without one."""
    collect_error: str | None = None
    """Why that file did not come back (missing, a link, not a regular file, too large)."""

    @property
    def status(self) -> RunStatus:
        """One word for the outcome, most specific first."""
        if self.sandbox_error is not None:
            return "sandbox_error"
        if self.timed_out:
            return "timeout"
        if self.output_truncated:
            return "output_limit"
        if self.signal is not None:
            return "crashed"
        return "ok" if self.exit_code == 0 else "failed"

    @property
    def reason(self) -> str:
        """A short human explanation of :attr:`status`."""
        status = self.status
        if status == "sandbox_error":
            return f"sandbox error: {self.sandbox_error}"
        if status == "timeout":
            return f"killed after {self.wall_seconds:.2f}s wall, {self.cpu_seconds:.2f}s CPU"
        if status == "output_limit":
            return "output cap exceeded"
        if status == "crashed":
            assert self.signal is not None
            name = _signal_name(self.signal)
            return (
                f"killed by {name}: memory limit exceeded"
                if self.memory_exceeded
                else (f"killed by {name}")
            )
        if status == "failed":
            tail = self.stderr.decode("utf-8", "replace").strip().splitlines()[-1:]
            return f"exit status {self.exit_code}" + (f": {tail[0][:200]}" if tail else "")
        return "exit status 0"


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:  # real-time signals between SIGRTMIN and SIGRTMAX have no name
        return f"signal {number}"
