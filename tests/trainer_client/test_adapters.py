"""The TRL and verl adapters: what they send and what they return (mock transport)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import numpy as np
import pytest
from verigrade.trainer_client import AsyncGradeClient, GradeClient, GradeRequestError
from verigrade.trainer_client.batcher import GradeBatcher
from verigrade.trainer_client.trl import async_reward_function, reward_function
from verigrade.trainer_client.verl import (
    make_async_compute_score,
    make_compute_score,
    make_compute_score_batch,
    plain,
    spec_labels,
    verl_sample,
)


def recorder(log: list[dict[str, Any]], status: str = "ok") -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        log.append(body)
        results = [
            {
                "id": i,
                "reward": 0.5 * i,
                "verdicts": {
                    "math": {"score": 0.5 * i, "status": status, "reason": "", "details": {}},
                },
            }
            for i, _ in enumerate(body["samples"])
        ]
        return httpx.Response(200, json={"results": results})

    return httpx.MockTransport(handle)


def test_trl_reward_function_sends_references_and_columns() -> None:
    log: list[dict[str, Any]] = []
    with GradeClient("http://g", transport=recorder(log)) as client:
        reward = reward_function("http://g", "math", reference_column="answer", client=client)
        prompts = [[{"role": "user", "content": "1+1?"}]] * 2
        completions = [
            [{"role": "assistant", "content": "2"}],
            [{"role": "assistant", "content": "3"}],
        ]
        rewards = reward(
            prompts,
            completions,
            answer=["2", "2"],
            language=["en", "en"],
            completion_ids=[[1], [2]],
            trainer_state=object(),
        )
    assert rewards == [0.0, 0.5]
    assert reward.__name__ == "verigrade_math"
    sent = log[0]["samples"]
    assert sent[1]["reference"] == "2"
    assert sent[1]["completion"] == [{"role": "assistant", "content": "3"}]
    assert sent[0]["metadata"] == {"language": "en"}  # not completion_ids / trainer_state
    assert log[0]["options"]["details"] is False


def test_trl_none_on_failure() -> None:
    with GradeClient("http://g", transport=recorder([], status="timeout")) as client:
        reward = reward_function("http://g", "math", none_on_failure=True, client=client)
        assert reward(["p"], ["c"], reference=["r"]) == [None]
        plain = reward_function("http://g", "math", client=client, name="acc")
        assert plain(["p"], ["c"], reference=["r"]) == [0.0]
        assert plain.__name__ == "acc"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.mark.anyio
async def test_trl_async_reward_function() -> None:
    log: list[dict[str, Any]] = []
    async with AsyncGradeClient("http://g", transport=recorder(log)) as client:
        reward = async_reward_function("http://g", ["math"], client=client)
        assert await reward(["p", "q"], ["a", "b"]) == [0.0, 0.5]
    assert log[0]["spec"] == ["math"]


def test_verl_compute_score_and_batch() -> None:
    log: list[dict[str, Any]] = []
    with GradeClient("http://g", transport=recorder(log)) as client:
        score = make_compute_score("http://g", {"math": 1.0}, client=client)
        assert score("openai/gsm8k", "x = 2", "2", extra_info={"split": "train"}) == {
            "score": 0.0, "ok": 1.0, "math": 0.0
        }  # fmt: skip
        batch = make_compute_score_batch("http://g", "math", client=client)
        results = batch(["a", "b"], ["s1", "s2"], ["1", "2"], None)
    assert [r["score"] for r in results] == [0.0, 0.5]
    first = log[0]["samples"][0]
    assert first["completion"] == "x = 2" and first["reference"] == "2"
    assert first["metadata"] == {"data_source": "openai/gsm8k", "split": "train"}


def counting(log: list[int]) -> httpx.MockTransport:
    """Answers each sample with reward = its completion's length; logs batch sizes."""

    def handle(request: httpx.Request) -> httpx.Response:
        samples = json.loads(request.content)["samples"]
        log.append(len(samples))
        results = [
            {
                "id": i,
                "reward": float(len(s["completion"])),
                "verdicts": {"math": {"score": 1.0, "status": "ok", "reason": "", "details": {}}},
            }
            for i, s in enumerate(samples)
        ]
        return httpx.Response(200, json={"results": results})

    return httpx.MockTransport(handle)


@pytest.mark.anyio
async def test_batcher_gathers_concurrent_calls_into_one_request() -> None:
    log: list[int] = []
    async with AsyncGradeClient("http://g", transport=counting(log)) as client:
        batcher = GradeBatcher(client, "math", window=0.0)
        grades = await asyncio.gather(*(batcher.grade({"completion": "x" * n}) for n in range(10)))
    # Every call started before the window's timer ran: one request, each its own answer.
    assert log == [10]
    assert [g.reward for g in grades] == [float(n) for n in range(10)]


@pytest.mark.anyio
async def test_batcher_sends_a_full_batch_at_once() -> None:
    log: list[int] = []
    async with AsyncGradeClient("http://g", transport=counting(log)) as client:
        batcher = GradeBatcher(client, "math", window=3600.0, max_batch=4)
        grades = await asyncio.gather(*(batcher.grade({"completion": "x" * n}) for n in range(8)))
    assert log == [4, 4]  # never waited for the hour-long window
    assert [g.reward for g in grades] == [float(n) for n in range(8)]


@pytest.mark.anyio
async def test_batcher_tells_every_caller_of_a_failed_batch() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(422, json={"detail": "unknown verifier 'nope'"})

    async with AsyncGradeClient("http://g", transport=httpx.MockTransport(refuse)) as client:
        batcher = GradeBatcher(client, "nope", window=0.0)
        outcomes = await asyncio.gather(
            *(batcher.grade({"completion": "x"}) for _ in range(3)), return_exceptions=True
        )
    assert all(isinstance(o, GradeRequestError) and "nope" in str(o) for o in outcomes)


@pytest.mark.anyio
async def test_verl_async_compute_score_same_keys_for_routed_samples() -> None:
    # A routed spec: samples of different routes get different verdict labels back.
    def handle(request: httpx.Request) -> httpx.Response:
        samples = json.loads(request.content)["samples"]
        results = []
        for i, s in enumerate(samples):
            label = "math" if s["metadata"]["data_source"] == "gsm8k" else "code"
            verdict = {"score": 1.0, "status": "ok", "reason": "", "details": {}}
            results.append({"id": i, "reward": 1.0, "verdicts": {label: verdict}})
        return httpx.Response(200, json={"results": results})

    spec = {
        "route": {
            "field": "data_source",
            "specs": {"gsm8k": {"math": 1.0}, "apps": {"code": 1.0, "think_format": 0.1}},
            "default": "think_format",
        }
    }
    assert spec_labels(spec) == ["math", "code", "think_format"]
    async with AsyncGradeClient("http://g", transport=httpx.MockTransport(handle)) as client:
        score = make_async_compute_score("http://g", spec, client=client, window=0.0)
        first, second = await asyncio.gather(
            score("gsm8k", "4", "4", extra_info={"n": np.int64(3)}),
            score("apps", "print(1)", {"tests": []}, extra_info=None),
        )
    assert first == {"score": 1.0, "ok": 1.0, "math": 1.0, "code": 0.0, "think_format": 0.0}
    assert second.keys() == first.keys()


def test_plain_makes_verl_values_json() -> None:
    value = {
        "turns": np.int64(2),
        "ratio": np.float32(0.5),
        "flag": np.bool_(True),
        "answers": np.array(["1", "2"], dtype=object),
        "pair": (1, 2),
        "raw": b"ok",
        7: None,
    }
    out = plain(value)
    assert json.loads(json.dumps(out)) == {
        "turns": 2, "ratio": 0.5, "flag": True, "answers": ["1", "2"], "pair": [1, 2],
        "raw": "ok", "7": None,
    }  # fmt: skip
    assert verl_sample("s", np.array(["4"]), "gsm8k", {"data_source": "x", "i": np.int64(1)}) == {
        "completion": "s",
        "reference": ["4"],
        "metadata": {"data_source": "gsm8k", "i": 1},
    }
