"""Shared fixtures: one sandbox per module, and a check that every test leaves no process."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest
from verigrade.sandbox import Sandbox


def processes_of(uid: int) -> list[int]:
    """Host pids of every process running as ``uid`` (the sandbox uid)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as status:
                for line in status:
                    if line.startswith("Uid:"):
                        if int(line.split()[1]) == uid:
                            found.append(int(entry))
                        break
        except OSError:
            continue  # exited while we looked
    return found


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    sandbox = Sandbox()
    sandbox.active_layers()
    yield sandbox
    sandbox.close()


@pytest.fixture(autouse=True)
def no_process_left_behind(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "box" not in request.fixturenames:
        return
    sandbox: Sandbox = request.getfixturevalue("box")
    if sandbox.uid is None:
        return
    # The kernel tears a pid namespace down as its init exits; allow it a moment.
    deadline = time.monotonic() + 2.0
    while processes_of(sandbox.uid) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert processes_of(sandbox.uid) == [], "a sandboxed process outlived its run"
