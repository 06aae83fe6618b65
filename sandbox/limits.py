"""Resource limits for one sandboxed run."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Limits:
    """What one run may use; every limit is enforced by the kernel or by the supervisor.

    Example:
        >>> Limits(wall_seconds=2.0).cpu_seconds
        2.0
    """

    wall_seconds: float = 4.0
    """Real time from fork to exit; past it the whole process tree is killed."""
    cpu_seconds: float = 2.0
    """CPU time (RLIMIT_CPU, rounded up to whole seconds by the kernel)."""
    memory_bytes: int = 1 << 30
    """Address space per process (RLIMIT_AS), and the memory of the whole run where the cgroup
    layer is active (every page its processes hold, its files included)."""
    address_space_bytes: int | None = None
    """RLIMIT_AS alone, when it must differ from ``memory_bytes``. Runtimes that reserve far
    more address space than they touch (the JVM's heap, code cache and thread stacks; V8's
    cages; Go's arenas) get a wide one here and are held to ``memory_bytes`` by the cgroup."""
    processes: int = 32
    """Processes and threads of the sandbox uid (RLIMIT_NPROC)."""
    file_bytes: int = 32 << 20
    """Largest file written (RLIMIT_FSIZE), and the size of the private working directory."""
    open_files: int = 64
    """Open file descriptors (RLIMIT_NOFILE)."""
    output_bytes: int = 1 << 20
    """Captured stdout plus stderr; past it the run is killed and marked truncated."""

    def to_wire(self) -> dict[str, Any]:
        """The limits as the fork server reads them."""
        return asdict(self)
