"""Against real uvicorn processes on 127.0.0.1: the client, adapters, streaming
limits, disconnects and graceful shutdown."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from verigrade.trainer_client import GradeClient, GradeRequestError, verl
from verigrade.trainer_client.trl import reward_function
from verigrade.trainer_client.verl import compute_score_sync, make_compute_score
from verigrade.verifiers import Sample, grade

from tests.server.support import LiveServer, free_port, start_uvicorn

GOOD = "<think>2 + 2 is 4</think> 4"
SPEC = {"think_format": 1.0, "length": {"weight": 0.5}}


def metric(server: LiveServer, name: str) -> float:
    for line in httpx.get(f"{server.url}/metrics").text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.split()[-1])
    return 0.0


def test_the_client_returns_the_library_grades(live: LiveServer) -> None:
    samples: list[Any] = [
        {"completion": GOOD if i % 3 else "nope", "id": f"q{i}"} for i in range(600)
    ]
    samples.append(Sample(completion=GOOD))  # a Sample object without an id
    with GradeClient(live.url, batch_size=128) as client:
        grades = client.grade(samples, SPEC)
        assert client.health()["ready"] is True
        assert "think_format" in {v["name"] for v in client.verifiers()}
    expected = grade(samples, SPEC, workers=0)
    assert [g.to_dict() for g in grades] == [g.to_dict() for g in expected]
    assert grades[-1].id == 600


def test_the_client_sends_lone_surrogates(live: LiveServer) -> None:
    with GradeClient(live.url) as client:
        grades = client.grade([{"completion": "<think>a\ud800</think> b"}], "think_format")
    assert grades[0].reward == 1.0


def test_client_errors_are_typed(live: LiveServer) -> None:
    with GradeClient(live.url) as client, pytest.raises(GradeRequestError) as caught:
        client.grade([{"completion": "x"}], "no_such_verifier")
    assert caught.value.status_code == 422
    assert "no_such_verifier" in caught.value.detail


def test_trl_and_verl_adapters(live: LiveServer, monkeypatch: pytest.MonkeyPatch) -> None:
    with GradeClient(live.url) as client:
        reward = reward_function(live.url, "think_format", client=client)
        assert reward.__name__ == "verigrade_think_format"
        assert reward(["p", "p"], [GOOD, "no"], reference=["4", "4"]) == [1.0, 0.0]
        score = make_compute_score(live.url, {"think_format": 2.0}, client=client)
        assert score("gsm8k", GOOD, "4") == {"score": 2.0, "ok": 1.0, "think_format": 1.0}
    monkeypatch.setenv("VERIGRADE_URL", live.url)
    monkeypatch.setenv("VERIGRADE_SPEC", "think_format")
    assert compute_score_sync("gsm8k", "no tags", "4", extra_info={"index": 3})["score"] == 0.0
    verl.close()


def test_a_chunked_body_is_cut_at_the_limit(live: LiveServer) -> None:
    def body() -> Iterator[bytes]:
        yield b'{"spec": "think_format", "samples": [{"completion": "'
        for _ in range(12):
            yield b"x" * 1_000_000
        yield b'"}]}'

    answer = httpx.post(f"{live.url}/v1/grade", content=body(), timeout=30)
    assert answer.status_code == 413
    assert "more than" in answer.json()["detail"]
    # With a Content-Length the answer comes before the body is read, over a real socket.
    declared = {"spec": "think_format", "samples": [{"completion": "x" * 10_000_000}]}
    answer = httpx.post(f"{live.url}/v1/grade", json=declared, timeout=30)
    assert answer.status_code == 413
    assert "10,000,0" in answer.json()["detail"]
    assert httpx.get(f"{live.url}/readyz").status_code == 200


def test_a_client_that_disconnects_mid_request(live: LiveServer) -> None:
    before = metric(live, "verigrade_client_disconnects_total")
    body = {"spec": {"vg_sleepy": {"seconds": 30}}, "samples": [{"completion": "SLOW"}] * 4}
    body["options"] = {"timeout": 20}
    with pytest.raises(httpx.ReadTimeout):
        httpx.post(f"{live.url}/v1/grade", json=body, timeout=1.0)
    # Bounded wait for the server to notice: the work is cancelled, nothing stays in flight.
    for _ in range(100):
        if metric(live, "verigrade_client_disconnects_total") > before:
            break
        time.sleep(0.1)
    assert metric(live, "verigrade_client_disconnects_total") == before + 1
    assert metric(live, "verigrade_in_flight_items") == 0
    answer = httpx.post(
        f"{live.url}/v1/grade", json={"spec": "think_format", "samples": [{"completion": GOOD}]}
    )
    assert answer.status_code == 200


def test_garbage_on_the_socket_leaves_the_server_healthy(live: LiveServer) -> None:
    with socket.create_connection(("127.0.0.1", live.port), timeout=5) as sock:
        sock.sendall(b'POST /v1/grade HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"sp')
    with socket.create_connection(("127.0.0.1", live.port), timeout=5) as sock:
        sock.sendall(b"\x00\xff not http at all\r\n\r\n")
        sock.recv(1024)
    assert httpx.get(f"{live.url}/healthz").status_code == 200


def test_sigterm_finishes_in_flight_work() -> None:
    server = start_uvicorn(workers=2)
    try:
        batch = [{"completion": "SLOW"}] + [{"completion": "x"}] * 9
        body = {"spec": {"vg_sleepy": {"seconds": 1.5}}, "samples": batch}
        with httpx.Client(timeout=30) as http:
            import threading

            answers: list[httpx.Response] = []
            sender = threading.Thread(
                target=lambda: answers.append(http.post(f"{server.url}/v1/grade", json=body))
            )
            sender.start()
            for _ in range(100):  # bounded: until the request is being graded
                if metric(server, "verigrade_in_flight_requests") == 1:
                    break
                time.sleep(0.05)
            server.proc.send_signal(signal.SIGTERM)
            sender.join(timeout=30)
        assert answers and answers[0].status_code == 200
        statuses = [r["verdicts"]["vg_sleepy"]["status"] for r in answers[0].json()["results"]]
        assert statuses == ["ok"] * 10
        # uvicorn re-raises the signal after its graceful shutdown: death by SIGTERM.
        assert server.stop() in (0, -signal.SIGTERM)
    finally:
        server.stop()


@pytest.fixture
def cli_server() -> Iterator[tuple[subprocess.Popen[str], str]]:
    port = free_port()
    command = [sys.executable, "-m", "verigrade.verifiers.cli", "serve", "--port", str(port),
               "--workers", "1", "--api-key", "k3y", "--log-level", "warning"]  # fmt: skip
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        yield proc, f"http://127.0.0.1:{port}"
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()


def test_verigrade_serve(cli_server: tuple[subprocess.Popen[str], str]) -> None:
    proc, url = cli_server
    for _ in range(300):  # bounded start-up wait
        try:
            if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
        time.sleep(0.1)
    with GradeClient(url, api_key="k3y") as client:
        assert client.grade([{"completion": GOOD}], "think_format")[0].reward == 1.0
    assert httpx.post(f"{url}/v1/grade", json={}).status_code == 401
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) in (0, -signal.SIGTERM)


def test_plain_uvicorn_serves_the_module_app() -> None:
    port = free_port()
    env = {**os.environ, "VERIGRADE_WORKERS": "1", "VERIGRADE_MAX_BATCH": "3"}
    # As docs/server.md runs it: plain uvicorn is told the drain timeout by hand.
    command = [sys.executable, "-m", "uvicorn", "verigrade.server.app:app",
               "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
               "--timeout-graceful-shutdown", "60"]  # fmt: skip
    server = LiveServer(command, env, port)
    try:
        body = {"spec": "think_format", "samples": [{"completion": GOOD}] * 4}
        too_many = httpx.post(f"{server.url}/v1/grade", json=body)
        assert too_many.status_code == 413  # VERIGRADE_MAX_BATCH reached the app
        body["samples"] = body["samples"][:3]
        assert httpx.post(f"{server.url}/v1/grade", json=body).status_code == 200
    finally:
        server.stop()
