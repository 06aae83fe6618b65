"""With a layer missing the sandbox still works, says so, and still cleans up after a run."""

from __future__ import annotations

import textwrap
import time

import pytest
from verigrade.sandbox import Limits, Sandbox, SandboxDegraded

from .conftest import processes_of

DAEMON = textwrap.dedent(
    """
    import os, time
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(1000)
        os._exit(0)
    open("here", "w").write("x")
    print(sorted(os.listdir(".")))
    """
)


@pytest.mark.parametrize(
    "missing",
    [
        ["pid_namespace"],  # cleanup falls back to killing everything of the sandbox uid
        ["mount_namespace"],  # working directory falls back to a fresh host directory
        ["landlock", "seccomp"],
        ["net_namespace", "ipc_namespace", "uts_namespace"],
    ],
    ids=lambda layers: "+".join(layers),
)
def test_runs_and_cleans_up_without(missing: list[str]) -> None:
    box = Sandbox(disable=missing)
    try:
        with pytest.warns(SandboxDegraded):
            layers = box.active_layers()
        assert all(layers[name] == "disabled by the caller" for name in missing)
        result = box.run_python(DAEMON, limits=Limits(wall_seconds=5))
        assert result.status == "ok", result.stderr
        assert result.stdout == b"['here']\n"  # a fresh, empty directory each run
        assert box.run_python(DAEMON, limits=Limits(wall_seconds=5)).stdout == b"['here']\n"
        assert box.uid is not None
        deadline = time.monotonic() + 2
        while processes_of(box.uid) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert processes_of(box.uid) == []
    finally:
        box.close()
