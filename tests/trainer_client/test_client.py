"""GradeClient and AsyncGradeClient: batching, retries, splitting, errors; against a
mock transport (no network) and the real app in-process."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from verigrade.trainer_client import (
    AsyncGradeClient,
    GradeClient,
    GradeRequestError,
    ServerUnavailableError,
)
from verigrade.verifiers import Sample, grade

Handler = Callable[[httpx.Request], httpx.Response]


def fake_server(log: list[dict[str, Any]], limit: int | None = None) -> Handler:
    """A stand-in /v1/grade: reward = completion length; 413 above ``limit`` samples."""

    def handle(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        log.append(body)
        samples = body["samples"]
        if limit is not None and len(samples) > limit:
            return httpx.Response(413, json={"detail": "too many"})
        results = [
            {
                "id": s.get("id") if s.get("id") is not None else i,
                "reward": float(len(s["completion"])),
                "verdicts": {"fake": {"score": 1.0, "status": "ok", "reason": "", "details": {}}},
            }
            for i, s in enumerate(samples)
        ]
        return httpx.Response(200, json={"results": results})

    return handle


def client(handler: Handler, **kwargs: Any) -> tuple[GradeClient, list[float]]:
    waits: list[float] = []
    made = GradeClient(
        "http://grader", transport=httpx.MockTransport(handler), sleep=waits.append, **kwargs
    )
    return made, waits


def test_batches_keep_order_and_number_ids_globally() -> None:
    log: list[dict[str, Any]] = []
    grader, _ = client(fake_server(log), batch_size=3, max_concurrency=2)
    samples = [{"completion": "x" * i} for i in range(10)]
    samples[4] = {"completion": "abcd", "id": "mine"}
    with grader:
        grades = grader.grade(samples, "fake")
    assert [len(b["samples"]) for b in log] == [3, 3, 3, 1]
    assert [g.reward for g in grades] == [float(i) for i in range(10)]
    assert [g.id for g in grades] == [0, 1, 2, 3, "mine", 5, 6, 7, 8, 9]
    assert grades[0].verdicts["fake"].status == "ok"


def test_sample_objects_are_sent_as_json() -> None:
    log: list[dict[str, Any]] = []
    grader, _ = client(fake_server(log))
    sample = Sample(completion="hi", prompt="q", reference={"a": 1}, metadata={"k": "v"}, id=7)
    assert grader.grade([sample], {"fake": 1.0}, timeout=2, deadline=9)[0].id == 7
    sent = log[0]
    assert sent["samples"][0] == {
        "id": 7, "prompt": "q", "completion": "hi", "reference": {"a": 1}, "metadata": {"k": "v"}
    }  # fmt: skip
    assert sent["spec"] == {"fake": 1.0}
    assert sent["options"] == {"details": True, "timeout": 2, "deadline": 9}


def test_retry_after_is_honoured() -> None:
    log: list[dict[str, Any]] = []
    inner = fake_server(log)
    answers = iter(
        [
            httpx.Response(429, headers={"Retry-After": "3"}, json={"detail": "queue full"}),
            httpx.Response(503, headers={"Retry-After": "1"}, json={"detail": "draining"}),
        ]
    )

    def handler(request: httpx.Request) -> httpx.Response:
        return next(answers, None) or inner(request)

    grader, waits = client(handler, backoff=0.01)
    assert grader.grade([{"completion": "ab"}], "fake")[0].reward == 2.0
    assert len(waits) == 2
    assert 3.0 <= waits[0] <= 3.01 and 1.0 <= waits[1] <= 1.01


def test_backoff_grows_without_retry_after_and_gives_up() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(503, json={"detail": "busy"})

    grader, waits = client(handler, max_retries=4, backoff=1.0)
    with pytest.raises(ServerUnavailableError, match="HTTP 503: busy"):
        grader.grade([{"completion": "x"}], "fake")
    assert len(calls) == 5
    assert len(waits) == 4
    # Jittered between half and all of 1, 2, 4, 8 seconds.
    for step, wait in enumerate(waits):
        assert 0.5 * 2**step <= wait <= 2**step


def test_connection_errors_are_retried() -> None:
    log: list[dict[str, Any]] = []
    inner = fake_server(log)
    failures = iter([httpx.ConnectError("refused"), httpx.ReadTimeout("slow")])

    def handler(request: httpx.Request) -> httpx.Response:
        failure = next(failures, None)
        if failure is not None:
            raise failure
        return inner(request)

    grader, waits = client(handler)
    assert grader.grade([{"completion": "abc"}], "fake")[0].reward == 3.0
    assert len(waits) == 2


def test_client_errors_are_not_retried() -> None:
    calls: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(422, json={"detail": "invalid spec: unknown verifier 'x'"})

    grader, waits = client(handler)
    with pytest.raises(GradeRequestError) as caught:
        grader.grade([{"completion": "x"}], "x")
    assert (caught.value.status_code, len(calls), waits) == (422, 1, [])
    assert "unknown verifier" in str(caught.value)


def test_a_413_batch_is_halved_until_it_fits() -> None:
    log: list[dict[str, Any]] = []
    grader, _ = client(fake_server(log, limit=2), batch_size=8)
    grades = grader.grade([{"completion": "x" * i} for i in range(7)], "fake")
    assert [g.reward for g in grades] == [float(i) for i in range(7)]
    assert [g.id for g in grades] == list(range(7))
    # A single sample that is still too large is the caller's problem.
    single, _ = client(fake_server([], limit=0))
    with pytest.raises(GradeRequestError) as caught:
        single.grade([{"completion": "x"}], "fake")
    assert caught.value.status_code == 413


def test_api_key_is_sent_as_bearer() -> None:
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization"))
        return fake_server([])(request)

    grader, _ = client(handler, api_key="t0ken")
    grader.grade([{"completion": "x"}], "fake")
    assert seen == ["Bearer t0ken"]


def test_specs_must_be_json() -> None:
    grader, _ = client(fake_server([]))
    with pytest.raises(TypeError, match="JSON"):
        grader.grade([{"completion": "x"}], object())  # type: ignore[arg-type]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_async_client_against_the_real_app() -> None:
    from verigrade.server import Settings, create_app

    app = create_app(Settings(workers=1))
    samples = [{"completion": "<think>a</think> b" if i % 2 else "no"} for i in range(50)]
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with AsyncGradeClient("http://test", transport=transport, batch_size=16) as grader:
            grades = await grader.grade(samples, "think_format")
            assert (await grader.health())["ready"] is True
            assert "think_format" in {v["name"] for v in await grader.verifiers()}
    assert [g.to_dict() for g in grades] == [
        g.to_dict() for g in grade(samples, "think_format", workers=0)
    ]


@pytest.mark.anyio
async def test_async_client_retries_like_the_sync_one() -> None:
    answers = iter([httpx.Response(429, headers={"Retry-After": "2"}, json={"detail": "full"})])
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    def handler(request: httpx.Request) -> httpx.Response:
        return next(answers, None) or fake_server([])(request)

    async with AsyncGradeClient(
        "http://grader", transport=httpx.MockTransport(handler), sleep=sleep, backoff=0.01
    ) as grader:
        grades = await grader.grade([{"completion": "abc"}], "fake")
    assert grades[0].reward == 3.0
    assert len(waits) == 1 and 2.0 <= waits[0] <= 2.01


def test_the_package_imports_without_fastapi_or_torch() -> None:
    import subprocess

    code = (
        "import sys; import verigrade.trainer_client, verigrade.trainer_client.trl, "
        "verigrade.trainer_client.verl; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('fastapi', 'starlette', 'torch', "
        "'uvicorn')]; print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize("name", ["verigrade.trainer_client", "verigrade.server"])
def test_all_is_sorted_and_complete(name: str) -> None:
    import importlib

    package = importlib.import_module(name)
    assert package.__all__ == sorted(package.__all__)
    assert all(hasattr(package, attr) for attr in package.__all__)
