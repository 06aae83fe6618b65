"""verl 0.9's own reward loop grading through verigrade: the batched ``compute_score``
beside the blocking ``compute_score_sync`` (what verl runs in its thread pool, one
request per sample), same samples, same server, same run.

    python benchmarks/verl_reward_loop.py            # 800 real answers, 2 grading workers
    python benchmarks/verl_reward_loop.py --samples 400 --rounds 3

Starts ``verigrade serve`` on a free loopback port, builds verl's ``RewardLoopWorker``
from verl's own hydra config for each function, and times ``compute_score_batch`` over
the batch. Prints samples/s, grading requests per batch and their ratios (median over
alternating rounds, so both see the same background load). Needs scripts/setup.sh's verl.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from data_path import find_data

SPEC = '{"math": 1.0, "think_format": 0.1}'


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def grade_requests(url: str) -> float:
    text = urllib.request.urlopen(f"{url}/metrics", timeout=10).read().decode()
    for line in text.splitlines():
        grading = 'route="grade"' in line and 'code="200"' in line
        if line.startswith("verigrade_requests_total{") and grading:
            return float(line.split()[-1])
    return 0.0


def make_batch(rows: list[dict[str, Any]], tok: Any) -> Any:
    import numpy as np
    import torch
    from verl import DataProto

    answers = [tok(r["completion"], add_special_tokens=False)["input_ids"] for r in rows]
    width = max(map(len, answers))
    responses = torch.zeros(len(rows), width, dtype=torch.long)
    mask = torch.zeros(len(rows), 1 + width, dtype=torch.long)
    for i, ids in enumerate(answers):
        responses[i, : len(ids)] = torch.tensor(ids)
        mask[i, : 1 + len(ids)] = 1
    return DataProto.from_dict(
        tensors={
            "prompts": torch.zeros(len(rows), 1, dtype=torch.long),
            "responses": responses,
            "attention_mask": mask,
        },
        non_tensors={
            "data_source": np.array(["math"] * len(rows), dtype=object),
            "reward_model": np.array([{"ground_truth": r["reference"]} for r in rows]),
            "extra_info": np.array([{"index": i} for i in range(len(rows))]),
            "__num_turns__": np.array([2] * len(rows), dtype=np.int64),
        },
    )


def worker_for(name: str, tokenizer_dir: str) -> Any:
    import verl
    from hydra import compose, initialize_config_dir
    from verl.experimental.reward_loop.reward_loop import RewardLoopWorker

    config_dir = Path(verl.__file__).parent / "trainer" / "config"
    with initialize_config_dir(config_dir=str(config_dir), version_base=None):
        config = compose(
            "ppo_trainer",
            overrides=[
                "reward.custom_reward_function.path=pkg://verigrade.trainer_client.verl",
                f"reward.custom_reward_function.name={name}",
                f"actor_rollout_ref.model.path={tokenizer_dir}",
            ],
        )
    return RewardLoopWorker(config)


def run_once(name: str, tokenizer_dir: str, batch: Any, url: str) -> tuple[float, float]:
    """(seconds, grading requests) for one pass of verl's loop over the batch."""
    from verigrade.trainer_client import verl as adapter

    async def go() -> float:
        worker = worker_for(name, tokenizer_dir)
        start = time.perf_counter()
        await worker.compute_score_batch(batch)
        elapsed = time.perf_counter() - start
        await adapter.aclose()
        return elapsed

    before = grade_requests(url)
    elapsed = asyncio.run(go())
    adapter.close()
    return elapsed, grade_requests(url) - before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=800)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="grading worker processes")
    args = parser.parse_args()

    from verigrade.trainer_client.trainer.tokenizer import build_char_tokenizer

    rows = [json.loads(line) for line in find_data().read_text().splitlines() if line]
    rows = (rows * (args.samples // len(rows) + 1))[: args.samples]
    tok = build_char_tokenizer(sorted({c for r in rows for c in r["completion"]}))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    verigrade = str(Path(sys.executable).parent / "verigrade")
    server = subprocess.Popen(
        [verigrade, "serve", "--port", str(port), "--workers", str(args.workers)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            try:
                if urllib.request.urlopen(f"{url}/readyz", timeout=1).status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        os.environ.update({"VERIGRADE_URL": url, "VERIGRADE_SPEC": SPEC})
        with tempfile.TemporaryDirectory() as tmp:
            tok.save_pretrained(tmp)
            batch = make_batch(rows, tok)
            results: dict[str, list[tuple[float, float]]] = {"compute_score": [], "sync": []}
            for _ in range(args.rounds):
                results["compute_score"].append(run_once("compute_score", tmp, batch, url))
                results["sync"].append(run_once("compute_score_sync", tmp, batch, url))
    finally:
        server.terminate()
        server.wait()
    n = args.samples
    for name, runs in results.items():
        rates = [n / s for s, _ in runs]
        requests = [r for _, r in runs]
        print(
            f"{name:>14}: {statistics.median(rates):8.0f} samples/s "
            f"(rounds {', '.join(f'{r:.0f}' for r in rates)}), "
            f"{statistics.median(requests):.0f} grading requests per {n} samples"
        )
    ratios = [
        s2 / s1 for (s1, _), (s2, _) in zip(results["compute_score"], results["sync"], strict=True)
    ]
    print(f"batched / per-sample speed: {statistics.median(ratios):.2f}x (median of rounds)")


if __name__ == "__main__":
    main()
