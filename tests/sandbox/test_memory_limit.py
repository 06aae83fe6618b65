"""Memory a run holds outside its address space still counts against its limit.

RLIMIT_AS sees mappings only. memfds, SysV and POSIX shared memory and tmpfs files are pages
the kernel holds for the run: seccomp refuses the first ones outright, the working directory
is a size-capped tmpfs, and the server's cgroup charges all of them together.
"""

from __future__ import annotations

import textwrap

import pytest
from verigrade.sandbox import Limits, Sandbox, SandboxDegraded

LIMITS = Limits(memory_bytes=256 << 20, file_bytes=32 << 20, wall_seconds=10, cpu_seconds=5)

MEMFDS = """
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
held = 0
try:
    for index in range(16):
        fd = libc.syscall(319 if os.uname().machine == "x86_64" else 279, b"hog", 0)
        if fd < 0:
            raise OSError(ctypes.get_errno(), "memfd_create")
        os.ftruncate(fd, 30 << 20)
        for offset in range(0, 30 << 20, 1 << 20):
            os.pwrite(fd, b"x" * (1 << 20), offset)
        held += 30
except OSError as error:
    print("refused", error.errno)
print("held", held)
"""


def test_memfd_is_refused(box: Sandbox) -> None:
    result = box.run_python(textwrap.dedent(MEMFDS), limits=LIMITS)
    assert result.stdout == b"refused 1\nheld 0\n", result.stderr  # EPERM, by number too


def test_kernel_held_pages_count_against_the_memory_limit() -> None:
    # Without seccomp to refuse memfds, the cgroup must stop them at the limit.
    box = Sandbox(disable=["seccomp"])
    try:
        with pytest.warns(SandboxDegraded):
            layers = box.active_layers()
        if layers["cgroup"] != "active":
            pytest.skip(f"no cgroup on this machine: {layers['cgroup']}")
        result = box.run_python(textwrap.dedent(MEMFDS), limits=LIMITS)
        assert b"held 480" not in result.stdout
        assert result.status == "crashed" and result.memory_exceeded, result
        assert "memory limit" in result.reason
        # The next run starts clean: the killed run's pages went with it.
        assert box.run_python("print(1)", limits=LIMITS).stdout == b"1\n"
    finally:
        box.close()


def test_files_in_the_working_directory_are_capped(box: Sandbox) -> None:
    source = """
    written = 0
    try:
        for index in range(64):
            with open(f"f{index}", "wb") as handle:
                handle.write(b"x" * (1 << 20))
            written += 1
    except OSError as error:
        print("stopped", error.errno)
    print(written <= 32)
    """
    result = box.run_python(textwrap.dedent(source), limits=LIMITS)
    assert result.stdout.splitlines()[-1] == b"True", result.stdout
