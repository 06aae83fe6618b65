"""choice, qa, json_schema, tool_call and reasoning_gym through the server and adapters.

The in-process app grades in its worker pool, so each verifier also crosses the process
boundary (pickled options, imports in the worker) here.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from verigrade.server import Settings, create_app
from verigrade.trainer_client import GradeClient
from verigrade.trainer_client.trl import reward_function
from verigrade.trainer_client.verl import make_compute_score

from tests.server.inprocess import InProcessApp

NEW = ("choice", "qa", "json_schema", "tool_call", "reasoning_gym")
LEG_COUNTING = {  # an entry as reasoning_gym.create_dataset("leg_counting") yields it
    "question": "How many legs are there in total if you have 2 ducks?",
    "answer": "4",
    "metadata": {"source_dataset": "leg_counting", "source_index": 0},
}
CASES: dict[str, list[tuple[Any, Any, float]]] = {
    "choice": [("The answer is (B).", "B", 1.0), ("B or C", "B", 0.0)],
    "qa": [("Final answer: the Eiffel Tower", ["Eiffel Tower"], 1.0), ("Lyon", "Paris", 0.0)],
    "json_schema": [
        ('```json\n{"a": 1}\n```', {"schema": {"required": ["a"]}}, 1.0),
        ("{}", {"schema": {"required": ["a"]}}, 0.0),
    ],
    "tool_call": [
        (
            [
                {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {"type": "function", "function": {"name": "f", "arguments": '{"x": 1}'}}
                    ],
                }
            ],
            {"calls": [{"name": "f", "arguments": {"x": 1}}]},
            1.0,
        ),
        (
            '<tool_call>{"name": "g", "arguments": {}}</tool_call>',
            [{"name": "f", "arguments": {}}],
            0.0,
        ),
    ],
    "reasoning_gym": [
        ("<answer>4</answer>", LEG_COUNTING, 1.0),
        ("<answer>5</answer>", LEG_COUNTING, 0.0),
    ],
}


def needs_extra(name: str) -> None:
    if name == "reasoning_gym":
        pytest.importorskip("reasoning_gym", reason="the reasoning_gym extra is not installed")


@pytest.fixture(scope="module")
def app() -> Iterator[InProcessApp]:
    with InProcessApp(create_app(Settings(workers=2))) as running:
        yield running


@pytest.fixture(scope="module")
def http(app: InProcessApp) -> Iterator[httpx.Client]:
    with app.client() as client:
        yield client


def test_listed_with_their_options(http: httpx.Client) -> None:
    body = http.get("/v1/verifiers").json()
    text = str(body)
    for name in NEW:
        assert f"'{name}'" in text, name
    assert "hedge" in text and "max_calls" in text and "regex_timeout" in text


@pytest.mark.parametrize("name", NEW)
def test_graded_by_the_server(http: httpx.Client, name: str) -> None:
    needs_extra(name)
    samples = [
        {"id": i, "completion": c, "reference": r} for i, (c, r, _) in enumerate(CASES[name])
    ]
    response = http.post("/v1/grade", json={"spec": {name: 1.0}, "samples": samples})
    assert response.status_code == 200, response.text
    rewards = [item["reward"] for item in response.json()["results"]]
    assert rewards == [want for _, _, want in CASES[name]]


@pytest.mark.parametrize("name", NEW)
def test_a_malformed_reference_is_an_invalid_input_item_not_a_failed_batch(
    http: httpx.Client, name: str
) -> None:
    samples = [
        {"completion": "x", "reference": 12345},
        {"completion": CASES[name][0][0], "reference": CASES[name][0][1]},
    ]
    response = http.post("/v1/grade", json={"spec": {name: 1.0}, "samples": samples})
    assert response.status_code == 200
    first, second = response.json()["results"]
    assert first["verdicts"][name]["status"] == "invalid_input"
    assert second["reward"] == 1.0


def test_trl_and_verl_adapters(app: InProcessApp) -> None:
    with GradeClient("http://test", transport=app.transport()) as client:
        trl = reward_function("http://test", {"choice": 1.0}, client=client)
        assert trl(["Q?", "Q?"], ["Answer: B", "Answer: B or C"], reference=["B", "B"]) == [
            1.0,
            0.0,
        ]
        verl = make_compute_score("http://test", {"qa": 1.0}, client=client)
        assert verl("squad", "Final answer: Paris", ["Paris", "Paris, France"])["score"] == 1.0
