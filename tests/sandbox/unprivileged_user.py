"""Run a Python script as a normal, unprivileged user, whatever user the tests run as.

As root, the script runs as uid/gid 65534 ("nobody") in a private mount namespace where every
closed directory above the interpreter and this checkout (``/root`` for a pyenv Python) is
covered by an open tmpfs with the needed tree bound back at its old path: the host is left
as it was, and the user can read exactly what it must. Not root: the script just runs.
"""

from __future__ import annotations

import os
import subprocess
import sys

from verigrade.sandbox import isolation as iso

NOBODY = 65534


def _first_closed(path: str) -> str | None:
    """The first directory on the way to ``path`` that other users may not enter."""
    parts = path.strip("/").split("/")
    for depth in range(1, len(parts) + 1):
        prefix = "/" + "/".join(parts[:depth])
        if not os.stat(prefix).st_mode & 0o001:
            return prefix
    return None


def _open_up(paths: list[str]) -> None:
    """In this mount namespace, make each of ``paths`` reachable by any user."""
    bind, rec = 4096, 16384
    for index, path in enumerate(paths):
        closed = _first_closed(path)
        if closed is None:
            continue
        staging = f"/run/verigrade-test-stage-{os.getpid()}-{index}"
        os.makedirs(staging)
        iso.mount(closed, staging, None, bind | rec, None)
        iso.mount("tmpfs", closed, "tmpfs", 0, "mode=0755,size=1m")
        # Bring back only the entry that leads to the path; the rest stays hidden.
        entry = path[len(closed) :].strip("/").split("/")[0]
        source, target = os.path.join(staging, entry), os.path.join(closed, entry)
        if os.path.isdir(source):
            os.makedirs(target)
        else:
            open(target, "w").close()
        iso.mount(source, target, None, bind | rec, None)
        iso.detach(staging)
        os.rmdir(staging)


def _become_nobody(readable: list[str]) -> None:  # pragma: no cover - runs in the child
    iso.unshare(iso.CLONE_NEWNS)
    iso.make_mounts_private()
    _open_up(readable)
    os.setgroups([])
    os.setresgid(NOBODY, NOBODY, NOBODY)
    os.setresuid(NOBODY, NOBODY, NOBODY)


def run_as_normal_user(script: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``script`` with this interpreter as an unprivileged user; its output as text."""
    here = os.path.dirname(os.path.abspath(__file__))
    checkout = os.path.dirname(os.path.dirname(here))
    readable = [os.path.realpath(sys.base_prefix), os.path.realpath(checkout)]
    preexec = (lambda: _become_nobody(readable)) if os.geteuid() == 0 else None
    return subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd="/",
        env={"PATH": "/usr/bin:/bin", "HOME": "/nonexistent", "PYTHONDONTWRITEBYTECODE": "1"},
        preexec_fn=preexec,
    )
