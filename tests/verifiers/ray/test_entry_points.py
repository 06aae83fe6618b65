"""``verigrade grade --ray`` and ``verigrade serve --ray`` against the real test cluster."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
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
        # A routed spec through the server's finisher (one per route) on the cluster.
        routed = {"route": {"field": "kind", "specs": {"a": "think_format"}}}
        mixed = [{**s, "metadata": {"kind": "a" if s["id"] % 3 else "b"}} for s in SAMPLES]
        body = {"spec": routed, "samples": mixed}
        results = httpx.post(f"{url}/v1/grade", json=body, timeout=60).json()["results"]
        local = grade(mixed, routed, workers=1)
        assert [(r["id"], r["reward"], r.get("route")) for r in results] == [
            (g.id, g.reward, g.route) for g in local
        ]
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


@pytest.mark.filterwarnings("ignore:Ray state API is no longer experimental:DeprecationWarning")
def test_verl_reward_loop_grades_on_ray(
    cluster: LocalCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # verl's own config loading and reward loop (verl 0.9, from PyPI), with VERIGRADE_RAY
    # instead of VERIGRADE_URL: verl awaits compute_score per sample, the batcher gathers
    # the calls, and a RayGrader on the cluster grades them (no server, no HTTP).
    pytest.importorskip("verl", reason="verl is not installed (scripts/setup.sh installs it)")
    from verl.experimental.reward_loop.reward_loop import RewardLoopWorker

    from tests.trainer_client.frameworks.recipes import mixed_rows
    from tests.trainer_client.frameworks.test_verl import (
        batch,
        compose,
        expected,
        recipe,
        tokenizer_for,
    )

    spec, overrides, _ = recipe()
    rows = mixed_rows(12)
    tok = tokenizer_for(rows, tmp_path / "tok")
    config = compose(overrides, tmp_path / "tok")
    monkeypatch.delenv("VERIGRADE_URL", raising=False)
    monkeypatch.setenv("VERIGRADE_RAY", cluster.address)
    monkeypatch.setenv("VERIGRADE_SPEC", spec)
    from verigrade.trainer_client import verl as adapter

    async def run() -> list[dict[str, Any]]:
        worker = RewardLoopWorker(config)
        assert worker.reward_manager.is_async_reward_score
        try:
            return list(await worker.compute_score_batch(batch(rows, tok)))
        finally:
            await adapter.aclose()

    try:
        outputs = asyncio.run(run())
        ray_grader = adapter._ray
        assert ray_grader is not None and len(ray_grader.grader.actors()) == 2
    finally:
        adapter.close()
    want = expected(rows, spec)
    assert [o["reward_score"] for o in outputs] == [g.reward for g in want]
    assert len({g.reward for g in want}) > 1
    extras = [o["reward_extra_info"] for o in outputs]
    assert [e["math"] for e in extras] == [g.verdicts["math"].score for g in want]


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
        single = verl.compute_score_sync("gsm8k", answers[0], "4")
    finally:
        verl.close()
    spec = {"math": 1.0, "think_format": 0.5}
    local = grade([{"completion": a, "reference": "4"} for a in answers], spec, workers=1)
    assert [s["score"] for s in scores] == [g.reward for g in local]
    assert single["score"] == local[0].reward == 1.5
