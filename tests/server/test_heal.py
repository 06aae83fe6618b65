"""Faults against a real ``verigrade serve`` on 127.0.0.1 (issue 15): a crash loop that heals,
a stopped worker that cannot hold items past their deadline, exact big integers, strict
options, and a shutdown that keeps the drain timeout whatever the clients do.

Every wait is bounded; no assertion is about a tight wall clock. Where a deadline is the
point, the check allows a stated, generous margin and prints what it measured."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.server.support import LiveServer, free_port

GOOD = "<think>2 + 2 is 4</think> 4"


def serve(workers: int = 2, **settings: Any) -> LiveServer:
    """``verigrade serve`` itself (the CLI entry point), with VERIGRADE_* settings."""
    port = free_port()
    env = {**os.environ, **{f"VERIGRADE_{k.upper()}": str(v) for k, v in settings.items()}}
    command = [sys.executable, "-m", "verigrade.verifiers.cli", "serve", "--port", str(port),
               "--workers", str(workers), "--log-level", "warning"]  # fmt: skip
    return LiveServer(command, env, port)


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    live = serve()
    try:
        yield live
    finally:
        live.stop()


def children(pid: int) -> set[int]:
    """Direct child processes of ``pid``: a server's grading workers."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            found.update(int(p) for p in (task / "children").read_text().split())
    return found


def new_children(pid: int, known: set[int]) -> set[int]:
    """Children of ``pid`` not in ``known``, polled every 2 ms (bounded: 30 s)."""
    for _ in range(15_000):
        fresh = children(pid) - known
        if fresh:
            return fresh
        time.sleep(0.002)
    raise AssertionError("no new worker process appeared")


def metric(server: LiveServer, name: str) -> float:
    for line in httpx.get(f"{server.url}/metrics", timeout=10).text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    raise AssertionError(f"{name} is not in /metrics")


def wait_for(predicate: Any, rounds: int = 600, step: float = 0.1) -> bool:
    """Poll a condition in bounded steps; whether it came true."""
    for _ in range(rounds):
        if predicate():
            return True
        time.sleep(step)
    return False


def grade(server: LiveServer, body: dict[str, Any], timeout: float = 60) -> httpx.Response:
    return httpx.post(f"{server.url}/v1/grade", json=body, timeout=timeout)


def workers_back(server: LiveServer, n: int) -> bool:
    return (
        len(children(server.proc.pid)) == n
        and metric(server, "verigrade_workers") == n
        and httpx.get(f"{server.url}/readyz", timeout=10).status_code == 200
    )


# -- 1 and 7: a crash loop heals, and /metrics, /readyz and /healthz say how it stands ---------


def test_a_crash_loop_heals_and_the_probes_tell_the_truth() -> None:
    server = serve(workers=1)
    try:
        pid = server.proc.pid
        (ready,) = children(pid)
        os.kill(ready, signal.SIGKILL)
        known = {ready}
        # Kill each replacement as soon as it appears, long before it can say "ready"
        # (a worker imports the library first: hundreds of ms against our 2 ms polls).
        for _ in range(3):
            fresh = new_children(pid, known)
            for victim in fresh:
                os.kill(victim, signal.SIGKILL)
            known |= fresh
        # While no worker runs, the probes and the metrics say so.
        ready_now = httpx.get(f"{server.url}/readyz", timeout=10)
        if not children(pid):  # still backing off: the pool is down right now
            assert ready_now.status_code == 503
            assert metric(server, "verigrade_workers") == 0
        # Bounded: the backoff after 4 failed starts is well under a few seconds.
        assert wait_for(lambda: workers_back(server, 1)), server.output()
        assert metric(server, "verigrade_worker_start_failures_total") >= 1
        assert metric(server, "verigrade_workers_configured") == 1
        assert metric(server, "verigrade_ready") == 1
        assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200
        answer = grade(server, {"spec": "think_format", "samples": [{"completion": GOOD}] * 20})
        assert answer.status_code == 200, answer.text
        assert [r["reward"] for r in answer.json()["results"]] == [1.0] * 20
    finally:
        server.stop()


def test_healthz_fails_while_the_pool_cannot_heal_then_recovers() -> None:
    server = serve(workers=1, heal_timeout=1)
    try:
        pid = server.proc.pid
        killed: set[int] = set()
        unhealthy: list[httpx.Response] = []
        # Kill every worker as soon as it appears until /healthz gives up on the pool
        # (no ready worker for over VERIGRADE_HEAL_TIMEOUT=1 s). Bounded: 30 s of 2 ms polls.
        for round_ in range(15_000):
            for victim in children(pid) - killed:
                os.kill(victim, signal.SIGKILL)
                killed.add(victim)
            if round_ % 50 == 0:
                answer = httpx.get(f"{server.url}/healthz", timeout=10)
                if answer.status_code == 503:
                    unhealthy.append(answer)
                    break
            time.sleep(0.002)
        assert unhealthy, "healthz never reported the pool that could not start a worker"
        body = unhealthy[0].json()
        assert body["status"] == "unhealthy" and body["workers"] == 0
        assert "VERIGRADE_HEAL_TIMEOUT" in body["reason"]
        assert metric(server, "verigrade_healthy") == 0
        # Left alone, the pool heals, and so do the probes.
        assert wait_for(lambda: workers_back(server, 1))
        assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200
        assert metric(server, "verigrade_healthy") == 1
    finally:
        server.stop()


# -- 2: a stopped worker does not hold items past their deadline ------------------------------


def test_a_stopped_worker_does_not_hold_items_past_their_deadline(server: LiveServer) -> None:
    assert wait_for(lambda: workers_back(server, 2))
    restarts = metric(server, "verigrade_worker_restarts_total")
    stopped = min(children(server.proc.pid))
    os.kill(stopped, signal.SIGSTOP)
    try:
        samples = [{"id": i, "completion": GOOD} for i in range(32)]
        # The item deadline is 2 s; the request's own deadline (100 s) must not be what
        # frees the items handed to the stopped worker.
        body = {
            "spec": "think_format",
            "samples": samples,
            "options": {"timeout": 2, "deadline": 100},
        }
        started = time.monotonic()
        answer = grade(server, body, timeout=40)
        took = time.monotonic() - started
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(stopped, signal.SIGCONT)
    print(f"answered in {took:.2f} s with a stopped worker (item deadline 2 s)")
    assert answer.status_code == 200
    results = answer.json()["results"]
    assert [r["id"] for r in results] == list(range(32))
    verdicts = [r["verdicts"]["think_format"] for r in results]
    late = [v for v in verdicts if v["status"] != "ok"]
    # Only the item the stopped worker was handed first can miss out; the rest of its
    # chunk went back to the queue and was graded elsewhere.
    assert len(late) <= 1, late
    for verdict in late:
        assert verdict["status"] == "timeout"
        assert "stopped responding" in verdict["reason"]
    assert metric(server, "verigrade_worker_restarts_total") >= restarts + 1
    assert wait_for(lambda: workers_back(server, 2))
    assert stopped not in children(server.proc.pid)


def test_a_stopped_idle_worker_is_replaced_and_metrics_say_so(server: LiveServer) -> None:
    assert wait_for(lambda: workers_back(server, 2))
    restarts = metric(server, "verigrade_worker_restarts_total")
    stopped = min(children(server.proc.pid))
    os.kill(stopped, signal.SIGSTOP)
    try:
        # No request needed: idle workers are pinged (every 2 s, 5 s to answer), so the
        # stopped one is replaced and the gauge never counts it as a worker for long.
        assert wait_for(lambda: stopped not in children(server.proc.pid), 600)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(stopped, signal.SIGCONT)
    assert wait_for(lambda: workers_back(server, 2))
    assert metric(server, "verigrade_worker_restarts_total") == restarts + 1


# -- 3: integers of any size come back exactly --------------------------------------------------

BIG_IDS = [18446744073709551617, -(2**63) - 1, 2**64 - 1, -(2**63), 10**40, -(10**40)]


def test_big_integers_round_trip_exactly(server: LiveServer) -> None:
    samples: list[dict[str, Any]] = [{"id": i, "completion": GOOD} for i in BIG_IDS]
    samples.append({"id": 1, "completion": GOOD, "metadata": {"n": 10**30}})
    body = json.dumps({"spec": "think_format", "samples": samples})
    answer = httpx.post(f"{server.url}/v1/grade", content=body, timeout=30,
                        headers={"content-type": "application/json"})  # fmt: skip
    assert answer.status_code == 200, answer.text
    ids = [r["id"] for r in json.loads(answer.content)["results"]]  # exact: the stdlib parser
    assert ids == [*BIG_IDS, 1]
    assert all(type(i) is int for i in ids)


@pytest.mark.parametrize("number", [b"1e400", b"-1e400", b"NaN", b"Infinity", b"-Infinity"])
def test_ids_json_cannot_carry_back_are_400_not_null(server: LiveServer, number: bytes) -> None:
    # orjson refuses these; the standard library (the fallback for lone surrogates) reads
    # them as inf/nan, and the id would come back null.
    raw = b'{"spec": "think_format", "samples": [{"id": ' + number + b', "completion": "x"}]}'
    answer = httpx.post(f"{server.url}/v1/grade", content=raw, timeout=30,
                        headers={"content-type": "application/json"})  # fmt: skip
    assert answer.status_code == 400, answer.text
    assert "samples[0].id" in answer.json()["detail"]


def test_nan_elsewhere_is_still_graded(server: LiveServer) -> None:
    # Python's json writes NaN (a dataset column's missing value in metadata): as before,
    # the sample is graded; only an id must come back as it was sent.
    raw = b'{"spec": "think_format", "samples": [{"id": 7, "completion": "x", "metadata": {"m": NaN}}]}'
    answer = httpx.post(f"{server.url}/v1/grade", content=raw, timeout=30,
                        headers={"content-type": "application/json"})  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert answer.json()["results"][0]["id"] == 7


def test_a_big_reference_reaches_the_verifier_exactly(server: LiveServer) -> None:
    catalogue = httpx.get(f"{server.url}/v1/verifiers", timeout=10).json()
    if "math" not in {v["name"] for v in catalogue["verifiers"]}:
        pytest.skip("the math verifier is not installed here")
    samples = [
        {"completion": "\\boxed{18446744073709551617}", "reference": 18446744073709551617},
        {"completion": "\\boxed{18446744073709551616}", "reference": 18446744073709551617},
    ]
    answer = grade(server, {"spec": "math", "samples": samples})
    assert answer.status_code == 200, answer.text
    assert [r["reward"] for r in answer.json()["results"]] == [1.0, 0.0]


# -- 4: options are checked as strictly as the schema states them ------------------------------


@pytest.mark.parametrize(
    "options, says",
    [
        ([], "'options' must be an object"),
        ("details", "'options' must be an object"),
        (0, "'options' must be an object"),
        (False, "'options' must be an object"),
        ({"details": "no"}, "options.details"),
        ({"details": 0}, "options.details"),
        ({"details": 1}, "options.details"),
        ({"details": None}, "options.details"),
        ({"timeout": True}, "options.timeout"),
        ({"timeout": "5"}, "options.timeout"),
        ({"timeout": -1}, "options.timeout"),
        ({"deadline": [1]}, "options.deadline"),
        ({"detail": False}, "unknown option"),
    ],
)
def test_bad_options_are_400(server: LiveServer, options: Any, says: str) -> None:
    body = {"spec": "think_format", "samples": [{"completion": GOOD}], "options": options}
    answer = grade(server, body)
    assert answer.status_code == 400, answer.text
    assert says in answer.json()["detail"]


def test_a_misspelt_envelope_field_is_400_not_ignored(server: LiveServer) -> None:
    # "option" for "options": ignoring it would grade with the defaults the caller
    # tried to change.
    body = {"spec": "think_format", "samples": [{"completion": GOOD}], "option": {"details": False}}
    answer = grade(server, body)
    assert answer.status_code == 400, answer.text
    assert "unknown field(s) ['option']" in answer.json()["detail"]


@pytest.mark.parametrize("options", [None, {}, {"details": False, "timeout": 5, "deadline": 9.5}])
def test_good_options_are_taken(server: LiveServer, options: Any) -> None:
    body = {"spec": "think_format", "samples": [{"completion": GOOD}], "options": options}
    answer = grade(server, body)
    assert answer.status_code == 200, answer.text
    details = answer.json()["results"][0]["verdicts"]["think_format"]["details"]
    assert (details == {}) == (options is not None and options.get("details") is False)


# -- 5 and 6: shutdown keeps the drain timeout, and clients see what the docs say ---------------


def _slow_upload(port: int, stop: threading.Event, sent: list[int]) -> None:
    """A client that declares a 1 MB body and sends it a few bytes at a time."""
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port)) as sock:
        head = b'{"spec": "think_format", "samples": [{"completion": "'
        sock.sendall(
            b"POST /v1/grade HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000000\r\n\r\n" + head
        )
        while not stop.wait(0.2):
            sock.sendall(b"x" * 16)
            sent[0] += 16


def test_shutdown_keeps_the_drain_timeout_with_a_slow_uploader() -> None:
    drain = 3.0
    server = serve(workers=1, drain_timeout=drain)
    stop = threading.Event()
    sent = [0]
    uploader = threading.Thread(target=_slow_upload, args=(server.port, stop, sent), daemon=True)
    try:
        uploader.start()
        assert wait_for(lambda: sent[0] > 0, 100)
        # A second client whose body is complete only after the signal: it is answered
        # 503 with Retry-After (it never started grading), not dropped.
        late = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        payload = json.dumps({"spec": "think_format", "samples": [{"completion": GOOD}]}).encode()
        late.sendall(
            b"POST /v1/grade HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(payload)}\r\n\r\n".encode()
            + payload[:10]
        )
        signalled = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)

        # New connections are refused once uvicorn closes its listening socket.
        def refused() -> bool:
            try:
                socket.create_connection(("127.0.0.1", server.port), timeout=1).close()
            except ConnectionRefusedError:
                return True
            return False

        assert wait_for(refused, 100)
        late.sendall(payload[10:])
        answer = late.recv(65536).decode("latin-1")
        late.close()
        assert answer.startswith("HTTP/1.1 503"), answer
        assert "retry-after" in answer.lower()
        code = server.proc.wait(timeout=drain + 30)  # bounded; the margin is checked below
        took = time.monotonic() - signalled
        print(f"exited {took:.2f} s after SIGTERM (drain timeout {drain:g} s)")
        # Stated contract: drain timeout + 1 s. The allowance here is wider (+4 s) only so
        # a loaded 2-core machine cannot make the test flaky; before the fix it was 20 s+.
        assert took < drain + 5
        assert code in (0, -signal.SIGTERM)
    finally:
        stop.set()
        server.stop()
