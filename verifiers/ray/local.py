"""A Ray cluster of several nodes on this machine, for tests, benchmarks and trying out.

``LocalCluster`` runs ``ray start`` for a head and extra nodes on loopback with the
dashboard off, each node with its own CPU count, in a private temp dir. Stopping it kills
exactly the processes whose command line names that temp dir (and their children):
``ray stop`` would stop every Ray cluster of this user on the machine, someone else's too.

Loopback, as far as Ray allows: every node and the driver are addressed as 127.0.0.1, but
Ray 2.60's gcs_server and raylet still listen on all interfaces (``ss`` shows ``*:PORT``)
and the driver logs the machine's own IP as the GCS address; no ``ray start`` option
restricts that, so run this where those ports are not reachable from outside.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ray_cli() -> str:
    beside = Path(sys.executable).with_name("ray")
    return str(beside) if beside.exists() else "ray"


class LocalCluster:
    """``ray start`` a head (and ``add_node`` more) on 127.0.0.1; ``stop`` kills them all.

    Example:
        >>> with LocalCluster(head_cpus=1) as cluster:  # doctest: +SKIP
        ...     cluster.add_node(cpus=1)
        ...     grader = RayGrader(cluster.address)
    """

    def __init__(self, head_cpus: int = 1, env: dict[str, str] | None = None) -> None:
        """``env``: more environment for the nodes (Ray settings such as
        ``RAY_worker_niceness``)."""
        # Short: Ray's unix sockets live under it and paths are capped at 107 bytes.
        self.temp_dir = tempfile.mkdtemp(prefix="vgray-", dir="/tmp")
        self.port = _free_port()
        self.address = f"127.0.0.1:{self.port}"
        self.nodes: list[str] = []  # each node's raylet session marker, in start order
        self._env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0", **(env or {})}
        # Once any local Ray has run on the machine, ~/.ray/auth_token exists and `ray start`
        # turns token auth on, while a driver that connects without RAY_AUTH_MODE=token does
        # not send it ("InvalidAuthToken"): keep both sides on the caller's mode (Ray 2.60).
        self._env.setdefault("RAY_AUTH_MODE", "disabled")
        self._env.pop("RAY_ADDRESS", None)
        self._start(["--head", f"--port={self.port}"], head_cpus)

    def _start(self, args: list[str], cpus: int) -> None:
        command = [
            _ray_cli(), "start", *args, "--node-ip-address=127.0.0.1",
            f"--num-cpus={cpus}", "--num-gpus=0", "--disable-usage-stats",
            f"--temp-dir={self.temp_dir}",
        ]  # fmt: skip
        if "--head" in args:
            command.append("--include-dashboard=false")
        before = set(self._pids())
        subprocess.run(command, check=True, env=self._env, capture_output=True, timeout=120)
        self.nodes.append(",".join(str(p) for p in sorted(set(self._pids()) - before)))

    def add_node(self, cpus: int = 1) -> int:
        """Start another node (a raylet) that joins the head; returns its index."""
        self._start([f"--address={self.address}"], cpus)
        return len(self.nodes) - 1

    def node_pids(self, index: int) -> list[int]:
        """The processes that node ``index``'s ``ray start`` created (raylet and friends)."""
        return [int(p) for p in self.nodes[index].split(",") if p]

    def kill_node(self, index: int) -> None:
        """Kill node ``index`` hard, with its workers, as a machine failure would."""
        victims = [p for pid in self.node_pids(index) for p in [pid, *_descendants(pid)]]
        _kill(victims)

    def _pids(self) -> list[int]:
        """Processes whose command line names this cluster's temp dir."""
        found = []
        marker = self.temp_dir.encode()
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if marker in f.read():
                        found.append(int(entry))
            except OSError:
                continue
        return found

    def stop(self) -> None:
        """Kill every process of this cluster (and their children); remove the temp dir."""
        for _ in range(3):
            roots = self._pids()
            if not roots:
                break
            _kill([p for pid in roots for p in [pid, *_descendants(pid)]])
            time.sleep(0.2)
        shutil.rmtree(self.temp_dir, ignore_errors=True)

    def __enter__(self) -> LocalCluster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _descendants(pid: int) -> list[int]:
    out: list[int] = []
    try:
        text = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, timeout=10
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return out
    for child in (int(x) for x in text.split()):
        out += [child, *_descendants(child)]
    return out


def _kill(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
