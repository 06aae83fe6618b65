"""Routed specs through the server: /v1/grade, /v1/openrlhf, spec errors, metrics, and the
client against a live uvicorn process."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from verigrade.trainer_client import GradeClient
from verigrade.verifiers import Sample, grade

from tests.server.support import LiveServer

ROUTED: dict[str, Any] = {
    "route": {
        "field": "data_source",
        "specs": {
            "openai/gsm8k": {"math": 1.0, "think_format": 0.1},
            "chat": {"think_format": 1.0, "repetition": 0.5},
        },
    }
}
WITH_DEFAULT: dict[str, Any] = {"route": {**ROUTED["route"], "default": {"think_format": 2.0}}}

SAMPLES: list[dict[str, Any]] = [
    {
        "id": "m1",
        "completion": "<think>2+2</think> \\boxed{4}",
        "reference": "4",
        "metadata": {"data_source": "openai/gsm8k"},
    },
    {"id": "c1", "completion": "<think>hi</think> Hello there!", "data_source": "chat"},
    {"id": "m2", "completion": "\\boxed{5}", "reference": "4", "data_source": "openai/gsm8k"},
    {"id": "x1", "completion": "<think>?</think> ok", "metadata": {"data_source": "wiki"}},
    {"completion": "<think>no id</think> ok", "metadata": {"data_source": "chat"}},
    {"id": "bad", "metadata": {"data_source": "chat"}},  # no completion: invalid in its route
]


def metric_values(client: httpx.Client, name: str) -> dict[str, float]:
    out = {}
    for line in client.get("/metrics").text.splitlines():
        if line.startswith(name + "{"):
            labels, value = line.rsplit(" ", 1)
            out[labels] = float(value)
    return out


@pytest.mark.parametrize("details", [True, False])
def test_grade_with_a_routed_spec_matches_the_library(client: httpx.Client, details: bool) -> None:
    body = {"spec": ROUTED, "samples": SAMPLES, "options": {"details": details}}
    answer = client.post("/v1/grade", json=body)
    assert answer.status_code == 200
    results = answer.json()["results"]
    expected = [g.to_dict() for g in grade(SAMPLES, ROUTED, workers=0)]
    if not details:
        for result in expected:
            for verdict in result["verdicts"].values():
                verdict["details"] = {}
    assert results == json.loads(json.dumps(expected))
    assert [r.get("route") for r in results] == [
        "openai/gsm8k", "chat", "openai/gsm8k", None, "chat", "chat",
    ]  # fmt: skip
    assert [r["id"] for r in results] == ["m1", "c1", "m2", "x1", 4, "bad"]
    assert list(results[1]["verdicts"]) == ["think_format", "repetition"]
    assert list(results[3]["verdicts"]) == ["math", "think_format", "repetition"]
    assert results[3]["verdicts"]["math"]["reason"] == (
        "sample 3: metadata['data_source'] is 'wiki', which names no route; "
        "routes: 'openai/gsm8k', 'chat'; the spec has no default"
    )
    assert results[5]["verdicts"]["think_format"]["reason"] == "sample 5: no 'completion' field"
    assert results[0]["reward"] == pytest.approx(1.1)


def test_metrics_count_each_route_s_verdicts_under_their_verifiers(client: httpx.Client) -> None:
    before = metric_values(client, "verigrade_verdicts_total")
    assert client.post("/v1/grade", json={"spec": ROUTED, "samples": SAMPLES}).status_code == 200
    after = metric_values(client, "verigrade_verdicts_total")

    def delta(status: str, verifier: str) -> float:
        key = f'verigrade_verdicts_total{{status="{status}",verifier="{verifier}"}}'
        return after.get(key, 0.0) - before.get(key, 0.0)

    # math: m1, m2 ok; x1 unrouted. repetition: c1, no-id ok; x1 and bad invalid.
    assert (delta("ok", "math"), delta("invalid_input", "math")) == (2, 1)
    assert (delta("ok", "repetition"), delta("invalid_input", "repetition")) == (2, 2)
    assert (delta("ok", "think_format"), delta("invalid_input", "think_format")) == (4, 2)


@pytest.mark.parametrize(
    ("spec", "phrase"),
    [
        (
            {"route": {"field": "data_source", "specs": {"openai/gsm8k": {"maht": 1}}}},
            "invalid spec: route 'openai/gsm8k': unknown verifier 'maht'",
        ),
        (
            {"route": {"field": "d", "specs": {"a": "math"}, "default": {"math": {"x": 1}}}},
            "invalid spec: the default spec: ",
        ),
        ({"route": {"field": "d"}}, "'specs' must be a non-empty object"),
        ({"route": {"field": "d", "specs": {"a": "math"}}, "code": 1}, "only key"),
    ],
)
def test_a_bad_route_is_a_clear_422(client: httpx.Client, spec: Any, phrase: str) -> None:
    answer = client.post("/v1/grade", json={"spec": spec, "samples": SAMPLES[:1]})
    assert answer.status_code == 422
    assert phrase in answer.json()["detail"]


def test_openrlhf_takes_a_routed_spec(client: httpx.Client) -> None:
    # OpenRLHF sends no metadata: every query goes to the default spec, and extra_logs
    # carries every label of every route (0.0 where a sample's route has none).
    spec = json.dumps(WITH_DEFAULT)
    body = {"query": ["<think>a</think> b", "no tags"], "labels": ["4", "4"]}
    data = client.post(f"/v1/openrlhf?spec={spec}", json=body).json()
    assert data["rewards"] == [2.0, 0.0]
    labels = {k: v for k, v in data["extra_logs"].items() if not k.startswith("status/")}
    assert labels == {
        "math": [0.0, 0.0],
        "think_format": [1.0, 0.0],
        "repetition": [0.0, 0.0],
    }
    # and the status columns every OpenRLHF answer carries, one value per sample
    assert all(len(v) == 2 for k, v in data["extra_logs"].items() if k.startswith("status/"))
    # Without a default nothing routes: rewards are 0.0, never null.
    data = client.post(f"/v1/openrlhf?spec={json.dumps(ROUTED)}", json=body).json()
    assert data["rewards"] == [0.0, 0.0]


def test_the_client_gets_routes_from_a_live_server(live: LiveServer) -> None:
    samples: list[Any] = [*SAMPLES, Sample("<think>s</think> t", metadata={"data_source": "chat"})]
    samples = samples * 40  # several client batches, so parts split across requests
    with GradeClient(live.url, batch_size=64) as http:
        remote = http.grade(samples, WITH_DEFAULT)
    local = grade(samples, WITH_DEFAULT, workers=0)
    assert [(g.id, g.route, g.reward) for g in remote] == [(g.id, g.route, g.reward) for g in local]
    assert remote[3].route == "default"
