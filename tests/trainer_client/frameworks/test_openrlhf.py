"""OpenRLHF 0.11's own remote-reward client (``SingleTurnAgentExecutor``, imported from
the installed package) against a real ``verigrade serve``, set up as docs/server.md says.

vLLM is the one part replaced: ``ScriptedEngine`` hands back the tokens of real model
answers, so OpenRLHF's own code tokenizes the prompt, decodes prompt + answer with the
special tokens kept, posts it to the URL from the recipe and reads the answer.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from verigrade.verifiers import grade

from tests.server.support import LiveServer

from .conftest import start
from .recipes import blocks, mixed_rows

agent = pytest.importorskip("openrlhf.utils.agent", reason="openrlhf is not installed")


class ScriptedEngine:
    """Stands in for vLLM: the "generated" tokens are a real answer plus <|im_end|>."""

    def __init__(self, answers: dict[str, list[int]]) -> None:
        self.answers = answers  # by prompt text

    async def generate(
        self, prompt_ids: list[int], params: Any, multi_modal_data: Any = None
    ) -> Any:
        ids = self.answers[self.tokenizer.decode(prompt_ids)]
        return SimpleNamespace(
            outputs=[SimpleNamespace(token_ids=ids, finish_reason="stop", logprobs=None)]
        )


def recipe_url(server: LiveServer) -> str:
    """The recipe's ``--reward.remote_url``, pointed at the test server."""
    bash = blocks("OpenRLHF", "bash")[0]
    (url,) = re.findall(r"--reward\.remote_url (\S+)", bash)
    return re.sub(r"^http://[^/]+", server.url, url)


def rollout(url: str, rows: list[dict[str, Any]], labels: list[Any]) -> list[dict[str, Any]]:
    """OpenRLHF's single-turn rollout of each row, rewards fetched from ``url``."""
    from transformers import PreTrainedTokenizerFast
    from verigrade.trainer_client.trainer.tokenizer import build_char_tokenizer

    chars = sorted({c for r in rows for c in r["prompt"] + r["completion"]})
    tok: PreTrainedTokenizerFast = build_char_tokenizer(chars)
    tok.add_special_tokens({"additional_special_tokens": ["<|im_end|>"]})
    end = tok.convert_tokens_to_ids("<|im_end|>")
    engine = ScriptedEngine(
        {
            r["prompt"]: tok(r["completion"], add_special_tokens=False)["input_ids"] + [end]
            for r in rows
        }
    )
    engine.tokenizer = tok  # type: ignore[attr-defined]
    # OpenRLHF's CLI splits --reward.remote_url on commas; the named-spec URL has none.
    executor = agent.SingleTurnAgentExecutor(remote_rm_url=url.split(","))
    params = SimpleNamespace(max_tokens=4096, logprobs=None)

    async def run() -> list[dict[str, Any]]:
        return list(
            await asyncio.gather(
                *(
                    executor.execute(r["prompt"], label, params, 8192, tok, engine)
                    for r, label in zip(rows, labels, strict=True)
                )
            )
        )

    return asyncio.run(run())


def test_openrlhf_rewards_equal_verigrade_grade(server: LiveServer, specs_file: Path) -> None:
    rows = mixed_rows(16)
    url = recipe_url(server)
    assert url.endswith("/v1/openrlhf/r1") and url.split(",") == [url]
    outputs = rollout(url, rows, [r["reference"] for r in rows])
    spec = {"math": 1.0, "think_format": 0.1}  # "r1" in the recipe's specs.json
    assert blocks("OpenRLHF", "json")[0].startswith('{"r1": {"math": 1.0, "think_format": 0.1}')
    expected = grade(
        [{"completion": r["completion"], "reference": r["reference"]} for r in rows], spec
    )
    assert [o["reward"] for o in outputs] == [[e.reward] for e in expected]
    assert [o["scores"] for o in outputs] == [o["reward"] for o in outputs]
    assert len({g.verdicts["math"].score for g in expected}) == 2  # right and wrong answers
    logs = outputs[0]["extra_logs"]
    assert set(logs) == {"math", "think_format"} | {
        f"status/{s}" for s in ("invalid_input", "no_answer", "timeout", "error", "ungradable")
    }
    assert [o["extra_logs"]["math"] for o in outputs] == [
        [e.verdicts["math"].score] for e in expected
    ]


def test_a_missing_label_shows_in_the_status_logs(server: LiveServer) -> None:
    rows = mixed_rows(2)
    outputs = rollout(recipe_url(server), rows, [None, rows[1]["reference"]])
    assert [o["extra_logs"]["status/ungradable"] for o in outputs] == [[1.0], [0.0]]
    assert [o["extra_logs"]["status/invalid_input"] for o in outputs] == [[1.0], [0.0]]
    assert outputs[0]["reward"] == [0.0]


def test_strict_server_fails_the_request_openrlhf_gets_no_reward(specs_file: Path) -> None:
    rows = mixed_rows(1)
    strict = start(specs_file, "--openrlhf-strict")
    try:
        url = f"{strict.url}/v1/openrlhf/r1"
        body = {"query": [rows[0]["completion"]], "prompts": [""], "labels": [None]}
        answer = httpx.post(url, json=body, timeout=30)
        assert answer.status_code == 422
        assert "sample 0: math invalid_input: reference must be" in answer.json()["detail"]
        # OpenRLHF's own client: retries, gives up, and leaves the sample without a reward.
        (output,) = rollout(url, rows, [None])
        assert output["reward"] is None
        good = rollout(url, rows, [rows[0]["reference"]])
        assert good[0]["reward"] is not None
    finally:
        strict.stop()


def test_an_unknown_spec_name_is_a_404_naming_the_known_ones(server: LiveServer) -> None:
    answer = httpx.post(f"{server.url}/v1/openrlhf/nope", json={"query": ["x"]}, timeout=30)
    assert answer.status_code == 404
    assert "format_only, r1" in answer.json()["detail"]


def test_the_comma_split_breaks_a_json_spec_in_the_query() -> None:
    # Why named specs exist: what OpenRLHF does to the old documented URL.
    old = 'http://grader:8000/v1/openrlhf?spec={"math":1.0,"think_format":0.1}'
    assert old.split(",") == [
        'http://grader:8000/v1/openrlhf?spec={"math":1.0',
        '"think_format":0.1}',
    ]
