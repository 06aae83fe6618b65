"""``verigrade grade --ray`` and ``verigrade serve --ray`` against the real test cluster."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from verigrade.verifiers import grade
from verigrade.verifiers.ray.local import LocalCluster

VERIGRADE = str(Path(sys.executable).with_name("verigrade"))
SAMPLES = [{"id": i, "completion": c} for i, c in enumerate(["<think>a</think> b", "no tags"] * 40)]


def test_grade_file_on_the_cluster(cluster: LocalCluster, tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(s) + "\n" for s in SAMPLES))
    out = subprocess.run(
        [VERIGRADE, "grade", str(source), "--spec", "think_format", "--ray", cluster.address, "-q"],
        capture_output=True, text=True, timeout=180, check=True,
    )  # fmt: skip
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    expected = grade(SAMPLES, "think_format", workers=1)
    assert [(r["id"], r["reward"]) for r in rows] == [(g.id, g.reward) for g in expected]


def _verigrade_actors() -> set[str]:
    import ray

    return {
        a["name"]
        for a in ray.util.list_named_actors(all_namespaces=True)
        if a["namespace"] == "verigrade"
    }


def _metric(text: str, name: str) -> float:
    line = next(x for x in text.splitlines() if x.startswith(name + " "))
    return float(line.split()[1])


def test_serve_grades_on_the_cluster(cluster: LocalCluster) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    before = _verigrade_actors()
    server = subprocess.Popen(
        [VERIGRADE, "serve", "--port", str(port), "--ray", cluster.address, "--log-level",
         "warning", "--http-workers", "2"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(900):
            try:
                ready = httpx.get(f"{url}/readyz", timeout=1)
                if ready.status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        # Readiness is the cluster's: both nodes' pools (one worker each) are counted.
        assert ready.status_code == 200 and ready.json()["workers"] == 2
        body = {"spec": "think_format", "samples": SAMPLES}
        for _ in range(4):  # requests land on both HTTP workers
            results = httpx.post(f"{url}/v1/grade", json=body, timeout=60).json()["results"]
            expected = grade(SAMPLES, "think_format", workers=1)
            assert [(r["id"], r["reward"]) for r in results] == [(g.id, g.reward) for g in expected]
        # Two HTTP workers share one actor per node, not one each.
        assert len(_verigrade_actors() - before) == 2
        metrics = httpx.get(f"{url}/metrics", timeout=10).text
        assert _metric(metrics, "verigrade_ray_nodes") == 2
        assert _metric(metrics, "verigrade_workers") == 2
        assert _metric(metrics, "verigrade_ray_chunks_in_flight") == 0
        assert _metric(metrics, "verigrade_ray_items_failed_total") == 0
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_verl_batch_hook_grades_on_ray(cluster: LocalCluster, monkeypatch: Any) -> None:
    from verigrade.trainer_client import verl

    monkeypatch.delenv("VERIGRADE_URL", raising=False)
    monkeypatch.setenv("VERIGRADE_RAY", cluster.address)
    monkeypatch.setenv("VERIGRADE_SPEC", '{"math": 1.0, "think_format": 0.5}')
    answers = [r"<think>s</think> \boxed{4}", r"\boxed{5}", "<think>s</think> four"] * 20
    try:
        scores = verl.compute_score_batch(
            data_sources=["gsm8k"] * len(answers),
            solution_strs=answers,
            ground_truths=["4"] * len(answers),
            extra_infos=[{"index": i} for i in range(len(answers))],
        )
        single = verl.compute_score("gsm8k", answers[0], "4")
    finally:
        verl.close()
    spec = {"math": 1.0, "think_format": 0.5}
    local = grade([{"completion": a, "reference": "4"} for a in answers], spec, workers=1)
    assert [s["score"] for s in scores] == [g.reward for g in local]
    assert single["score"] == local[0].reward == 1.5
