"""The sandbox as a normal user gets it: run for real as an unprivileged uid, not simulated.

As root (CI), each test's script runs as uid 65534 (see ``unprivileged_user``). The server
then has no dedicated uid to give runs; where the kernel allows user namespaces it makes its
own, which gives back every other layer. Without them (``disable=["user_namespace"]``), the
missing layers are reported loudly, and a run's leftover processes still die with it.
"""

from __future__ import annotations

import json
import os
import textwrap
import time
import uuid
from typing import Any

import pytest

from .unprivileged_user import run_as_normal_user

SCRIPT = """
import json, warnings
from verigrade.sandbox import Limits, Sandbox
from verigrade.sandbox.isolation import ALL_LAYERS
DAEMON = '''
import ctypes, os, signal, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        ctypes.CDLL(None).prctl(15, NAME, 0, 0, 0)  # PR_SET_NAME, so the test can find it
        time.sleep(60)
    os._exit(0)
time.sleep(0.2)
print("left a daemon")
'''
LOOK = '''
import os
seen = []
for path in ("/proc", "/etc/passwd", "/home", "/root/.bashrc"):
    try:
        os.stat(path)
        seen.append(path)
    except OSError:
        pass
print(os.getuid(), seen)
'''
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    box = Sandbox(disable=DISABLE)
    layers = box.active_layers()
daemon = box.run_python(DAEMON.replace("NAME", repr(TAG)), limits=Limits(wall_seconds=3))
look = box.run_python(LOOK)
box.close()
print(json.dumps({
    "uid": __import__("os").getuid(),
    "layers": layers,
    "warned": [str(w.message) for w in caught],
    "daemon": [daemon.status, daemon.stdout.decode(), daemon.stderr.decode()[-500:]],
    "look": look.stdout.decode(),
}))
"""


def _daemons(tag: bytes) -> list[str]:
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open(f"/proc/{pid}/comm", "rb") as handle:
                    if handle.read().strip() == tag:
                        found.append(pid)
            except OSError:
                continue
    return found


def _run(disable: list[str]) -> tuple[dict[str, Any], bytes]:
    tag = f"vg{uuid.uuid4().hex[:10]}".encode()
    script = SCRIPT.replace("DISABLE", repr(disable)).replace("TAG", repr(tag))
    done = run_as_normal_user(textwrap.dedent(script))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1]), tag


def _assert_no_daemon(tag: bytes) -> None:
    deadline = time.monotonic() + 2
    while _daemons(tag) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _daemons(tag) == [], "a daemon outlived its run"


def test_a_normal_user_gets_the_namespaces_and_no_daemon_outlives_a_run() -> None:
    facts, tag = _run([])
    assert facts["uid"] != 0
    layers = facts["layers"]
    if "user namespace" not in layers["uid"]:
        pytest.skip(f"this kernel refuses unprivileged user namespaces: {layers['uid']}")
    missing = {name for name, state in layers.items() if state != "active"}
    # A cgroup too, unless this user was delegated one it can write (systemd does that for
    # login sessions; nobody here has one).
    assert missing in ({"uid"}, {"uid", "cgroup"}), layers
    for layer in missing:
        assert any(layer in warning for warning in facts["warned"])  # degraded, and loud
    assert facts["daemon"][:2] == ["ok", "left a daemon\n"], facts["daemon"]
    _assert_no_daemon(tag)
    # uid 0 of the server's user namespace, which is the normal user outside; no host view.
    assert facts["look"] == "0 []\n"


def test_without_namespaces_a_daemon_still_dies_with_its_run() -> None:
    # What a normal user gets where user namespaces are refused: no pid namespace, no uid.
    facts, tag = _run(["user_namespace"])
    layers = facts["layers"]
    for layer in ("pid_namespace", "mount_namespace", "minimal_root", "uid"):
        assert layers[layer] != "active"
        assert any(layer in warning for warning in facts["warned"])
    assert layers["landlock"] == layers["seccomp"] == "active"
    assert facts["daemon"][:2] == ["ok", "left a daemon\n"], facts["daemon"]
    _assert_no_daemon(tag)
