"""The TRL and verl adapters: what they send and what they return (mock transport)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from verigrade.trainer_client import AsyncGradeClient, GradeClient
from verigrade.trainer_client.trl import async_reward_function, reward_function
from verigrade.trainer_client.verl import make_compute_score, make_compute_score_batch


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
