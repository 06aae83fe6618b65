"""The HTTP API in-process: shapes, agreement with the library, errors, limits, auth."""

from __future__ import annotations

import json

import httpx
import pytest
from verigrade.verifiers import grade

from tests.server.support import make_app

GOOD = "<think>2 + 2 is 4</think> 4"
SPEC = {"think_format": 1.0, "language": {"weight": 0.5, "target": "en"}}


def samples(n: int) -> list[dict[str, object]]:
    texts = [GOOD, "no tags at all", "<think></think>", "<think>x</think>"]
    return [{"id": f"s{i}", "completion": texts[i % len(texts)]} for i in range(n)]


def assert_healthy(client: httpx.Client) -> None:
    assert client.get("/healthz").status_code == 200
    answer = client.post("/v1/grade", json={"spec": "think_format", "samples": samples(2)})
    assert answer.status_code == 200
    assert [r["id"] for r in answer.json()["results"]] == ["s0", "s1"]


def test_grade_matches_the_library(client: httpx.Client) -> None:
    batch = samples(40)
    answer = client.post("/v1/grade", json={"spec": SPEC, "samples": batch})
    assert answer.status_code == 200
    results = answer.json()["results"]
    expected = [g.to_dict() for g in grade(batch, SPEC, workers=0)]
    assert results == json.loads(json.dumps(expected))


def test_bad_samples_fail_inside_their_item(client: httpx.Client) -> None:
    batch = [{"completion": GOOD}, {"completion": 7}, "not an object", {"prompt": "no completion"}]
    answer = client.post("/v1/grade", json={"spec": "think_format", "samples": batch})
    assert answer.status_code == 200
    results = answer.json()["results"]
    assert [r["id"] for r in results] == [0, 1, 2, 3]
    statuses = [r["verdicts"]["think_format"]["status"] for r in results]
    assert statuses == ["ok", "invalid_input", "invalid_input", "invalid_input"]
    assert all(isinstance(r["reward"], float) for r in results)
    assert "completion" in results[1]["verdicts"]["think_format"]["reason"]


def test_details_can_be_left_out(client: httpx.Client) -> None:
    body = {"spec": "think_format", "samples": samples(3), "options": {"details": False}}
    results = client.post("/v1/grade", json=body).json()["results"]
    assert all(r["verdicts"]["think_format"]["details"] == {} for r in results)


def test_empty_batch_is_fine(client: httpx.Client) -> None:
    answer = client.post("/v1/grade", json={"spec": "think_format", "samples": []})
    assert answer.json() == {"results": []}


@pytest.mark.parametrize(
    ("body", "status", "phrase"),
    [
        (b"{not json", 400, "not valid JSON"),
        (b"", 400, "empty"),
        (b"[1, 2]", 400, "must be a JSON object, got an array"),
        (b'{"samples": []}', 400, "missing 'spec'"),
        (b'{"spec": "think_format"}', 400, "missing 'samples'"),
        (b'{"spec": "think_format", "samples": {"a": 1}}', 400, "'samples' must be an array"),
        (b'{"spec": "think_format", "samples": [], "options": 3}', 400, "'options' must be"),
        (b'{"spec": "think_format", "samples": [], "options": {"x": 1}}', 400, "unknown option"),
        (b'{"spec": "think_format", "samples": [], "options": {"timeout": "5"}}', 400, "positive"),
        (b'{"spec": "think_format", "samples": [], "options": {"timeout": 1e9}}', 400, "at most"),
        (b'{"spec": "no_such", "samples": []}', 422, "unknown verifier 'no_such'"),
        (b'{"spec": {"think_format": -1}, "samples": []}', 422, "negative"),
        (b'{"spec": {"think_format": {"mode": 5}}, "samples": []}', 422, "mode"),
        (b'{"spec": 12, "samples": []}', 422, "invalid spec"),
    ],
)
def test_bad_requests_get_a_clear_4xx(
    client: httpx.Client, body: bytes, status: int, phrase: str
) -> None:
    answer = client.post("/v1/grade", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == status
    assert phrase in answer.json()["detail"]
    assert_healthy(client)


def test_a_10mb_field_is_413(client: httpx.Client) -> None:
    body = {"spec": "think_format", "samples": [{"completion": "x" * 10_000_000}]}
    answer = client.post("/v1/grade", json=body)
    assert answer.status_code == 413
    assert "VERIGRADE_MAX_BODY_BYTES" in answer.json()["detail"]
    assert_healthy(client)


def test_a_100k_item_batch_is_413(client: httpx.Client) -> None:
    body = {"spec": "think_format", "samples": [{"completion": "x"}] * 100_000}
    answer = client.post("/v1/grade", json=body)
    assert answer.status_code == 413
    assert "100,000 samples" in answer.json()["detail"]
    assert_healthy(client)


def test_the_body_limit_is_configurable() -> None:
    with make_app(max_body_bytes=16 * 1024) as app, app.client() as small:
        body = {"spec": "think_format", "samples": [{"completion": "x" * 20_000}]}
        answer = small.post("/v1/grade", json=body)
        assert answer.status_code == 413
        assert "limit of 16,384 bytes" in answer.json()["detail"]
        assert_healthy(small)


def test_verifiers_lists_names_descriptions_and_schemas(client: httpx.Client) -> None:
    found = {v["name"]: v for v in client.get("/v1/verifiers").json()["verifiers"]}
    assert {"think_format", "language", "vg_sleepy"} <= set(found)
    think = found["think_format"]
    assert think["description"]
    assert "mode" in think["options"]["properties"]


def test_health_readiness_and_docs(client: httpx.Client) -> None:
    assert client.get("/healthz").json()["status"] == "ok"
    ready = client.get("/readyz")
    assert (ready.status_code, ready.json()["status"]) == (200, "ready")
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    assert "samples" in schema["components"]["schemas"]["GradeRequest"]["properties"]
    body = schema["paths"]["/v1/grade"]["post"]["requestBody"]["content"]["application/json"]
    assert body["schema"]["$ref"].endswith("/GradeRequest")


def test_metrics_count_requests_items_and_statuses(client: httpx.Client) -> None:
    client.post("/v1/grade", json={"spec": "think_format", "samples": samples(8)})
    client.post("/v1/grade", content=b"{", headers={"content-type": "application/json"})
    text = client.get("/metrics").text
    assert 'verigrade_requests_total{code="200",route="grade"}' in text
    assert 'verigrade_requests_total{code="400",route="grade"}' in text
    assert 'verigrade_verdicts_total{status="ok",verifier="think_format"}' in text
    assert 'verigrade_grade_seconds_count{verifier="think_format"}' in text
    for gauge in ("queue_depth", "in_flight_items", "in_flight_requests", "busy_workers"):
        assert f"verigrade_{gauge} " in text
    items = [line for line in text.splitlines() if line.startswith("verigrade_items_total")]
    assert items and float(items[0].split()[-1]) >= 8


def test_api_key_guards_the_api_but_not_health() -> None:
    with make_app(api_key="s3cret") as app, app.client() as guarded:
        body = {"spec": "think_format", "samples": samples(1)}
        assert guarded.post("/v1/grade", json=body).status_code == 401
        wrong = guarded.post("/v1/grade", json=body, headers={"authorization": "Bearer nope"})
        assert wrong.status_code == 401
        assert wrong.headers["www-authenticate"] == "Bearer"
        assert guarded.get("/v1/verifiers").status_code == 401
        right = guarded.post("/v1/grade", json=body, headers={"authorization": "Bearer s3cret"})
        assert right.status_code == 200
        assert guarded.get("/healthz").status_code == 200
        assert guarded.get("/readyz").status_code == 200


def test_openrlhf_protocol(client: httpx.Client) -> None:
    prompt = "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n"
    queries = [
        "<|endoftext|><|endoftext|>" + prompt + GOOD + "<|im_end|><|endoftext|>",
        prompt + "no tags<|im_end|>",
        prompt + "<think>x</think> 4",
    ]
    body = {"query": queries, "prompts": [prompt] * 3, "labels": ["4", "4", "4"]}
    answer = client.post("/v1/openrlhf?spec=think_format", json=body)
    assert answer.status_code == 200
    data = answer.json()
    assert data["rewards"] == [1.0, 0.0, 1.0]
    assert data["scores"] == data["rewards"]
    assert data["extra_logs"]["think_format"] == [1.0, 0.0, 1.0]
    assert data["extra_logs"]["status/ungradable"] == [0.0, 0.0, 0.0]


def test_openrlhf_never_returns_null_rewards(client: httpx.Client) -> None:
    body = {"query": ["<think>a</think> b", None, 5], "labels": [None, None, None]}
    data = client.post("/v1/openrlhf?spec=think_format", json=body).json()
    assert data["rewards"] == [1.0, 0.0, 0.0]


@pytest.mark.parametrize(
    ("url", "body", "status", "phrase"),
    [
        ("/v1/openrlhf", {"query": ["x"]}, 400, "no spec"),
        ("/v1/openrlhf?spec=nope", {"query": ["x"]}, 422, "unknown verifier"),
        ("/v1/openrlhf?spec={bad", {"query": ["x"]}, 422, "does not parse"),
        # A path is a (strange) verifier name here, never a file the server reads.
        ("/v1/openrlhf?spec=/etc/hostname", {"query": ["x"]}, 422, "unknown verifier"),
        ("/v1/openrlhf?spec=think_format", {"prompts": ["x"]}, 400, "missing 'query'"),
        ("/v1/openrlhf?spec=think_format", {"query": "x"}, 400, "'query' must be an array"),
        ("/v1/openrlhf?spec=think_format", {"query": ["x"], "labels": [1, 2]}, 400, "2 entries"),
    ],
)
def test_openrlhf_errors(
    client: httpx.Client, url: str, body: object, status: int, phrase: str
) -> None:
    answer = client.post(url, json=body)
    assert answer.status_code == status
    assert phrase in answer.json()["detail"]


def test_openrlhf_spec_in_the_url_as_json(client: httpx.Client) -> None:
    body = {"query": [GOOD, "plain"]}
    data = client.post('/v1/openrlhf?spec={"think_format": 3}', json=body).json()
    assert data["rewards"] == [3.0, 0.0]


def test_openrlhf_default_spec_from_settings() -> None:
    with make_app(default_spec='{"think_format": 2.0}') as app, app.client() as configured:
        data = configured.post("/v1/openrlhf", json={"query": [GOOD]}).json()
        assert data["rewards"] == [2.0]


def test_lone_surrogates_from_model_output_are_graded(client: httpx.Client) -> None:
    # json.dumps writes "\ud800" for a str a broken decode left a lone surrogate in.
    body = json.dumps(
        {"spec": "think_format", "samples": [{"completion": "<think>a\ud800</think> b"}]}
    )
    answer = client.post("/v1/grade", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 200
    assert answer.json()["results"][0]["verdicts"]["think_format"]["status"] == "ok"


@pytest.mark.parametrize(
    "body",
    [
        b'{"spec": "think_format", "samples": [{"completion": "x", "reference": '
        + b"[" * 5000
        + b"]" * 5000
        + b"}]}",
        b'{"spec": "think_format", "samples": [{"completion": "\xff\xfe"}]}',
    ],
    ids=["nested-5000-deep", "invalid-utf8"],
)
def test_hostile_json_is_400(client: httpx.Client, body: bytes) -> None:
    answer = client.post("/v1/grade", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == 400
    assert "not valid JSON" in answer.json()["detail"]
    assert_healthy(client)


def test_non_finite_scores_become_zero_not_null() -> None:
    from verigrade.server.results import grades_to_dicts
    from verigrade.verifiers import Grade, Verdict

    bad = Grade("x", float("nan"), {"v": Verdict(float("inf"), "ok", "")})
    counts: dict[tuple[str, str], int] = {}
    [result] = grades_to_dicts([bad], details=True, counts=counts)
    assert result["reward"] == 0.0 and result["verdicts"]["v"]["score"] == 0.0
    assert counts == {("v", "ok"): 1}


def test_worker_side_json_matches_the_server_side_json() -> None:
    # /v1/grade has its workers serialise results (ResultJson) and splices the pieces;
    # the body must be what grades_to_dicts + dumps build from the same Grades.
    from verigrade.server.results import ResultJson, dumps, grades_to_dicts, results_body
    from verigrade.verifiers import Grade, Verdict

    verdicts = {
        "a": Verdict(float("nan"), "ok", "\ud800 lone surrogate", {"set": {1}}),
        "b": Verdict(0.5, "timeout", "slow", {"n": 3}),
    }
    weights = {"a": 1.0, "b": 2.0}
    for details in (True, False):
        finish = ResultJson(("a", "b"), weights, details)
        rows = [(sample_id, finish(list(verdicts.values()))) for sample_id in ("x", 7)]
        counts: dict[tuple[str, str], int] = {}
        spliced = json.loads(results_body(rows, ["a", "b"], counts))
        grades = [Grade(sample_id, 1.0, verdicts) for sample_id in ("x", 7)]
        expected_counts: dict[tuple[str, str], int] = {}
        expected = json.loads(
            dumps({"results": grades_to_dicts(grades, details=details, counts=expected_counts)})
        )
        assert spliced == expected
        assert counts == expected_counts == {("a", "ok"): 2, ("b", "timeout"): 2}
        assert spliced["results"][0]["verdicts"]["a"]["score"] == 0.0


def test_the_result_serialiser_imports_no_web_framework() -> None:
    # Every grading worker unpickles ResultJson, importing its module: keep it light.
    import subprocess
    import sys

    code = "import sys, verigrade.server.results; print('fastapi' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
