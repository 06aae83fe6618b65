"""RayGrader against the local Grader on the same items: items/s and added cost per item.

Items: the 800 real model responses to MATH problems in ../shared/data (repeated to fill
the batch), graded with ``{"math": 1.0, "think_format": 0.2}``. Three setups, each timed
warm (pools and actors started, one untimed batch first), best of ``--repeats``:

- ``local``: ``Grader(workers=2)`` in this process;
- ``ray-1x2``: ``RayGrader`` on a one-node cluster with 2 CPUs (one actor, 2 workers);
- ``ray-2x1``: ``RayGrader`` on two nodes with 1 CPU each (two actors, 1 worker each).

The clusters are real (``ray start`` on loopback, dashboard off, via ``LocalCluster``) but
on one machine, so ``ray-2x1`` shows the cost of spreading, not the gain of more cores.

    python benchmarks/ray_scaling.py [--batch 1024 4096] [--repeats 3] [--chunk N]
    python benchmarks/ray_scaling.py --workload code --batch 1024 --repeats 1

``math`` repeats 800 responses, so after the warm-up batch the math verifier's caches
answer most parsing: ~50 us of work per item, the worst case for any added per-item cost.
``code`` runs 1,024 distinct programs in the sandbox, the workload that made verl's
scoring slow.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ray
from verigrade.verifiers import Grader
from verigrade.verifiers.ray import RayGrader
from verigrade.verifiers.ray.local import LocalCluster

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "math_real_responses.jsonl"
SPECS: dict[str, Any] = {"math": {"math": 1.0, "think_format": 0.2}, "code": "code"}


def load_code(n: int) -> list[dict[str, Any]]:
    """Distinct small stdin/stdout programs, a third of them wrong: each one is a real
    sandboxed run (~3-10 ms), the cost that dominates code RL batches."""
    items = []
    for i in range(n):
        program = f"print(int(input()) + {i if i % 3 else i + 1})"
        ref = {"tests": [{"input": "1\n", "output": f"{1 + i}\n"}]}
        items.append({"id": i, "completion": f"```python\n{program}\n```", "reference": ref})
    return items


def load(n: int) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]
    items = [
        {"id": i, "prompt": r["prompt"], "completion": r["completion"], "reference": r["reference"]}
        for i, r in enumerate(rows)
    ]
    return [items[i % len(items)] for i in range(n)]


def best(repeats: int, run: Callable[[], Any]) -> tuple[float, Any]:
    run()  # warm: workers import sympy & co., actors start
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = run()
        times.append(time.perf_counter() - start)
    return min(times), out


def on_cluster(
    cpus: list[int], chunk: int | None, batches: dict[int, list[Any]], repeats: int, spec: Any
) -> dict[int, tuple[float, Any]]:
    with LocalCluster(head_cpus=cpus[0]) as cluster:
        for extra in cpus[1:]:
            cluster.add_node(cpus=extra)
        ray.init(address=cluster.address, log_to_driver=False)
        try:
            with RayGrader(cluster.address, chunk_size=chunk) as grader:
                return {
                    n: best(repeats, lambda b=b: grader.grade(b, spec)) for n, b in batches.items()
                }
        finally:
            ray.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, nargs="+", default=[1024, 4096])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--chunk", type=int, default=None, help="default: RayGrader's own")
    parser.add_argument("--workload", choices=sorted(SPECS), default="math")
    args = parser.parse_args()
    spec = SPECS[args.workload]
    loader = load_code if args.workload == "code" else load
    batches = {n: loader(n) for n in args.batch}

    results: dict[str, dict[int, tuple[float, Any]]] = {}
    with Grader(workers=2) as grader:
        results["local"] = {
            n: best(args.repeats, lambda b=b: grader.grade(b, spec)) for n, b in batches.items()
        }
    results["ray-1x2"] = on_cluster([2], args.chunk, batches, args.repeats, spec)
    results["ray-2x1"] = on_cluster([1, 1], args.chunk, batches, args.repeats, spec)

    print(f"{'setup':<9} {'batch':>6} {'items/s':>9} {'vs local':>9} {'added us/item':>14}")
    for name, by_batch in results.items():
        for n, (seconds, grades) in by_batch.items():
            local_seconds, local_grades = results["local"][n]
            assert [g.reward for g in grades] == [g.reward for g in local_grades], name
            added = (seconds - local_seconds) / n * 1e6
            print(
                f"{name:<9} {n:>6} {n / seconds:>9,.0f} {local_seconds / seconds:>9.0%} {added:>14.0f}"
            )


if __name__ == "__main__":
    main()
