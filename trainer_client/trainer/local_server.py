"""``verigrade serve`` on a free loopback port, for scripts that train against it.

The examples (the reference run, the R1-Zero run) grade their rollouts through a real
server, as a user's trainer would; this starts one and waits until it answers ``/healthz``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping

_MAIN = "from verigrade.verifiers.cli import main; raise SystemExit(main())"


def start_local_server(
    *, preamble: str = "", env: Mapping[str, str] | None = None, workers: int = 1
) -> tuple[subprocess.Popen[bytes], str]:
    """Start the server; returns the process and its base URL once it is healthy.

    ``preamble``: Python run in the server process before the CLI (to register a verifier,
    say); ``env``: its environment (default: this one).

    Raises:
        RuntimeError: the server exited or did not become healthy within a minute.
    """
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-c", preamble + _MAIN, "serve", "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(workers), "--log-level", "warning"],
        env=dict(env) if env is not None else os.environ.copy(),
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        if proc.poll() is not None:
            raise RuntimeError("the grading server exited during start-up")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.1)
    proc.terminate()
    raise RuntimeError("the grading server did not become healthy")
