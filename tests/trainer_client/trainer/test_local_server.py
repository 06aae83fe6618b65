"""``start_local_server``: a real ``verigrade serve`` on loopback that the examples train
against, with and without a preamble that registers the example's own verifier."""

from __future__ import annotations

import httpx
from verigrade.trainer_client.trainer.local_server import start_local_server

from .example_scripts import load_example


def test_server_starts_healthy_and_grades() -> None:
    proc, url = start_local_server()
    try:
        assert httpx.get(f"{url}/healthz", timeout=5).status_code == 200
        body = {"spec": "think_format", "samples": [{"completion": "<think>a</think> b"}]}
        answer = httpx.post(f"{url}/v1/grade", json=body, timeout=30).json()
        assert answer["results"][0]["reward"] == 1.0
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_reference_run_server_registers_its_verifier() -> None:
    proc, url = load_example("reference_run").start_server("exact_answer")
    try:
        body = {
            "spec": "exact_answer",
            "samples": [{"completion": "<think>7+8=15</think> 15", "reference": "15"}],
        }
        answer = httpx.post(f"{url}/v1/grade", json=body, timeout=30)
        assert answer.status_code == 200, answer.text
        assert answer.json()["results"][0]["verdicts"]["exact_answer"]["status"] == "ok"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
