"""``LocalCluster`` on a machine where a local Ray has run before."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("ray")

_CONNECT = """
import ray
from verigrade.verifiers.ray.local import LocalCluster

with LocalCluster(head_cpus=1) as cluster:
    ray.init(address=cluster.address, log_to_driver=False)
    print("CPUs", ray.cluster_resources()["CPU"])
    ray.shutdown()
"""


def test_a_leftover_auth_token_does_not_lock_the_driver_out(tmp_path: Path) -> None:
    # Any `ray.init()` that starts a local Ray (RayGrader(None) does) writes
    # ~/.ray/auth_token; later `ray start` clusters then want that token, which a driver
    # without RAY_AUTH_MODE=token never sends. Seen on this machine: "InvalidAuthToken".
    home = tmp_path / "home"
    (home / ".ray").mkdir(parents=True)
    (home / ".ray" / "auth_token").write_text("0f" * 32)
    env = {**os.environ, "HOME": str(home)}
    env.pop("RAY_AUTH_MODE", None)
    env.pop("RAY_ADDRESS", None)
    done = subprocess.run(
        [sys.executable, "-c", _CONNECT], env=env, capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "CPUs 1.0" in done.stdout
