"""Helpers for server tests: in-process apps and live uvicorn processes on loopback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from verigrade.server import Settings, create_app

from tests.server.inprocess import InProcessApp

ROOT = Path(__file__).resolve().parents[2]


def make_app(**settings: Any) -> InProcessApp:
    """An in-process app with the given settings (use as a context manager)."""
    return InProcessApp(create_app(Settings(**{"workers": 1, **settings})))


class AsyncApp:
    """An app running in this event loop, with an httpx client wired to it."""

    def __init__(self, app: FastAPI, http: httpx.AsyncClient) -> None:
        self.app = app
        self.http = http

    @property
    def state(self) -> Any:
        return self.app.state.verigrade


async def start_async_app(**settings: Any) -> tuple[AsyncApp, Any]:
    app = create_app(Settings(**{"workers": 2, **settings}))
    lifespan = app.router.lifespan_context(app)
    await lifespan.__aenter__()
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")
    return AsyncApp(app, http), lifespan


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LiveServer:
    """A server process on 127.0.0.1; ``stop()`` sends SIGTERM and reaps it."""

    def __init__(self, command: list[str], env: dict[str, str], port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        # Bounded: 300 x 0.1 s. Start-up is ~1 s; the bound only catches a broken server.
        for _ in range(300):
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited at start-up:\n{self.output()}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server never became ready:\n{self.output()}")

    def output(self) -> str:
        if self.proc.poll() is None or self.proc.stdout is None or self.proc.stdout.closed:
            return ""
        return self.proc.stdout.read()

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout is not None and not self.proc.stdout.closed:
            self.proc.stdout.close()
        return self.proc.returncode


def start_uvicorn(**settings: Any) -> LiveServer:
    """``uvicorn --factory tests.server.live_app:make_app`` with VERIGRADE_* settings."""
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    env.update({f"VERIGRADE_{k.upper()}": str(v) for k, v in settings.items()})
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "tests.server.live_app:make_app",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
    ]  # fmt: skip
    return LiveServer(command, env, port)
