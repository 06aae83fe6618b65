"""Several server URLs: least-outstanding choice, skipping dead replicas (unit and live).

The live test runs two real ``verigrade serve`` processes on loopback and kills one
between and during batches: every sample still comes back once, in order.
"""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from verigrade.trainer_client import AsyncGradeClient, GradeClient
from verigrade.trainer_client._replicas import Replicas
from verigrade.verifiers import grade


def test_least_outstanding_then_skips_a_down_replica_until_cooldown() -> None:
    now = [0.0]
    replicas = Replicas(["http://a", "http://b/"], cooldown=5.0, clock=lambda: now[0])
    first, second = replicas.acquire(), replicas.acquire()
    assert {first, second} == {"http://a", "http://b"}  # spread, trailing slash dropped
    replicas.release("http://a", down=True)
    replicas.release("http://b")
    assert [replicas.acquire() for _ in range(3)] == ["http://b"] * 3
    now[0] = 5.0  # cool-down over: a is tried again, being the least loaded
    assert replicas.acquire() == "http://a"


def test_all_down_uses_the_one_back_first() -> None:
    now = [0.0]
    replicas = Replicas(["http://a", "http://b"], cooldown=5.0, clock=lambda: now[0])
    replicas.release(replicas.acquire(), down=True)  # a down until 5
    now[0] = 1.0
    replicas.release(replicas.acquire(), down=True)  # b down until 6
    assert not replicas.any_up()
    assert replicas.acquire() == "http://a"


def _serve() -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    command = [str(Path(sys.executable).with_name("verigrade")), "serve", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--workers", "1", "--log-level", "warning"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return process, f"http://127.0.0.1:{port}"


def _wait_ready(url: str) -> None:
    for _ in range(600):
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} never became ready")


@pytest.fixture
def two_servers() -> object:
    servers = [_serve(), _serve()]
    try:
        for _, url in servers:
            _wait_ready(url)
        yield servers
    finally:
        for process, _ in servers:
            process.kill()
            process.wait(timeout=30)


SAMPLES = [{"id": i, "completion": c} for i, c in enumerate(["<think>a</think> b", "no"] * 200)]


def test_two_live_servers_one_killed(
    two_servers: list[tuple[subprocess.Popen[bytes], str]],
) -> None:
    (first, first_url), (_, second_url) = two_servers
    expected = [(g.id, g.reward) for g in grade(SAMPLES, "think_format", workers=1)]
    with GradeClient([first_url, second_url], batch_size=20, max_concurrency=4) as client:
        got = client.grade(SAMPLES, "think_format")
        assert [(g.id, g.reward) for g in got] == expected
        # Killed mid-batch: its in-flight requests break and go to the other replica.
        slow = "import time\ntime.sleep(0.05)\nprint(int(input()) * 2)"
        ref = {"tests": [{"input": "2\n", "output": "4\n"}]}
        code = [
            {"id": i, "completion": f"```python\n{slow}\n```", "reference": ref} for i in range(60)
        ]
        killer = threading.Timer(0.8, first.kill)
        began = time.monotonic()
        killer.start()
        graded = client.grade(code, "code")
        assert time.monotonic() - began > 1.0  # the batch outlived the kill at 0.8 s
        killer.join()
        assert [(g.id, g.reward) for g in graded] == [(i, 1.0) for i in range(60)]
        started = time.monotonic()
        got = client.grade(SAMPLES, "think_format")  # refused by the dead one, sent on
        assert [(g.id, g.reward) for g in got] == expected
        assert time.monotonic() - started < 20  # no backoff sleeps while b is up

    async def run() -> list[tuple[object, float]]:
        urls = [first_url, second_url]
        async with AsyncGradeClient(urls, batch_size=20) as client:
            return [(g.id, g.reward) for g in await client.grade(SAMPLES, "think_format")]

    assert asyncio.run(run()) == expected
