"""RayGrader against the local Grader on the same items: items/s and added cost per item.

Items: the 800 real model responses to MATH problems in ../shared/data (repeated to fill
the batch), graded with ``{"math": 1.0, "think_format": 0.2}``. ``RayGrader`` against the
local ``Grader(workers=2)`` in this process, on two cluster shapes:

- ``ray-1x2``: a one-node cluster with 2 CPUs (one actor, 2 workers);
- ``ray-2x1``: two nodes with 1 CPU each (two actors, 1 worker each).

Both warm (pools and actors started, one untimed batch first, rewards checked equal),
then ``--repeats`` rounds that alternate local and Ray batch by batch: this machine is
shared, and load that comes and goes hits both sides of a round alike. Medians printed.

The clusters are real (``ray start`` on loopback, dashboard off, via ``LocalCluster``) but
on one machine, so ``ray-2x1`` shows the cost of spreading, not the gain of more cores.

    python benchmarks/ray_scaling.py [--batch 1024 4096] [--repeats 3] [--chunk N]
    python benchmarks/ray_scaling.py --workload code --batch 1024 --repeats 1
    python benchmarks/ray_scaling.py --batch 1024 --cpu 8    # + CPU per item, per process

``math`` repeats 800 responses, so after the warm-up batch the math verifier's caches
answer most parsing: ~50 us of work per item, the worst case for any added per-item cost.
``code`` runs 1,024 distinct programs in the sandbox, the workload that made verl's
scoring slow.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
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


def timed(run: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    out = run()
    return time.perf_counter() - start, out


def _ticks(pid: int) -> int:
    """User + system CPU of one process so far, in clock ticks (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def _children(pid: int) -> list[int]:
    """Every descendant of ``pid`` now."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            parents.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _actor_pid() -> int:
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                if f.read().startswith(b"ray::NodeGrader"):
                    return int(entry)
        except OSError:
            continue
    raise RuntimeError("no NodeGrader process found")


def cpu_per_item(
    run: Callable[[], Any], items: int, groups: dict[str, list[int]], seconds: float
) -> tuple[dict[str, float], float]:
    """Back-to-back batches for ``seconds``: microseconds of CPU per item spent by each
    group of processes, and how busy the machine's cores were (all groups together)."""
    tick = os.sysconf("SC_CLK_TCK")
    before = {name: sum(_ticks(p) for p in pids) for name, pids in groups.items()}
    start, done = time.perf_counter(), 0
    while time.perf_counter() - start < seconds:
        run()
        done += items
    wall = time.perf_counter() - start
    used = {
        name: (sum(_ticks(p) for p in pids) - before[name]) / tick for name, pids in groups.items()
    }
    per_item = {name: cpu / done * 1e6 for name, cpu in used.items()}
    return per_item, sum(used.values()) / (wall * (os.cpu_count() or 1))


def compare(
    cpus: list[int],
    local: Grader,
    batches: dict[int, list[Any]],
    args: argparse.Namespace,
    spec: Any,
) -> dict[int, list[tuple[float, float]]]:
    """Rounds of (local seconds, RayGrader seconds) per batch size, alternating the two
    in the same minute so that load from other work on the machine hits both alike."""
    env = {} if args.ray_niceness is None else {"RAY_worker_niceness": str(args.ray_niceness)}
    with LocalCluster(head_cpus=cpus[0], env=env) as cluster:
        for extra in cpus[1:]:
            cluster.add_node(cpus=extra)
        ray.init(address=cluster.address, log_to_driver=False)
        try:
            with RayGrader(cluster.address, chunk_size=args.chunk) as grader:
                rounds: dict[int, list[tuple[float, float]]] = {}
                for n, batch in batches.items():
                    expected = [g.reward for g in local.grade(batch, spec)]  # warm both
                    got = [g.reward for g in grader.grade(batch, spec)]
                    assert got == expected, "RayGrader's rewards differ from the local Grader's"
                    rounds[n] = []
                    for _ in range(args.repeats):
                        local_s, _ = timed(lambda b=batch: local.grade(b, spec))
                        ray_s, _ = timed(lambda b=batch: grader.grade(b, spec))
                        rounds[n].append((local_s, ray_s))
                if args.cpu and cpus == [2]:
                    n, batch = next(iter(batches.items()))
                    actor = _actor_pid()
                    ray_groups = {
                        "driver": [os.getpid()],
                        "node actor": [actor],
                        "workers": _children(actor),
                        "Ray daemons": cluster.node_pids(0),
                    }
                    local_groups = {"driver": [os.getpid()], "workers": local.pool.worker_pids}
                    for name, run, groups in (
                        ("local", lambda: local.grade(batch, spec), local_groups),
                        ("ray-1x2", lambda: grader.grade(batch, spec), ray_groups),
                    ):
                        per_item, busy = cpu_per_item(run, n, groups, args.cpu)
                        parts = ", ".join(f"{k} {v:.1f}" for k, v in per_item.items())
                        print(
                            f"CPU per item, batches of {n} back to back for {args.cpu:g} s, "
                            f"{name}: {parts}; total {sum(per_item.values()):.1f} us; "
                            f"cores busy {busy:.0%}"
                        )
                return rounds
        finally:
            ray.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, nargs="+", default=[1024, 4096])
    parser.add_argument("--repeats", type=int, default=7, help="alternating rounds")
    parser.add_argument("--chunk", type=int, default=None, help="default: RayGrader's own")
    parser.add_argument("--workload", choices=sorted(SPECS), default="math")
    parser.add_argument(
        "--cpu",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="also run each side back to back this long (first batch size, one node) and "
        "print the CPU each group of processes spends per item, read from /proc",
    )
    parser.add_argument(
        "--ray-niceness",
        type=int,
        default=None,
        help="RAY_worker_niceness for the test clusters (Ray's default: 15, so on a machine "
        "shared with other work Ray's workers get less CPU than the local Grader's)",
    )
    args = parser.parse_args()
    spec = SPECS[args.workload]
    loader = load_code if args.workload == "code" else load
    batches = {n: loader(n) for n in args.batch}

    shapes = {"ray-1x2": [2], "ray-2x1": [1, 1]}
    results = {}
    with Grader(workers=2) as local:
        for name, cpus in shapes.items():
            results[name] = compare(cpus, local, batches, args, spec)

    niceness = "Ray's default (15)" if args.ray_niceness is None else args.ray_niceness
    print(f"workload {args.workload}, {args.repeats} alternating rounds, median; "
          f"Ray worker niceness: {niceness}")  # fmt: skip
    print(
        f"{'setup':<9} {'batch':>6} {'local items/s':>14} {'ray items/s':>12} "
        f"{'ray/local':>10} {'added us/item':>14}"
    )
    for name, by_batch in results.items():
        for n, rounds in by_batch.items():
            local_s = statistics.median(r[0] for r in rounds)
            ray_s = statistics.median(r[1] for r in rounds)
            ratio = statistics.median(r[0] / r[1] for r in rounds)
            added = statistics.median((r[1] - r[0]) / n * 1e6 for r in rounds)
            spread = " ".join(f"{r[0] / r[1]:.2f}" for r in rounds)
            print(
                f"{name:<9} {n:>6} {n / local_s:>14,.0f} {n / ray_s:>12,.0f} "
                f"{ratio:>10.0%} {added:>14.0f}   rounds: {spread}"
            )


if __name__ == "__main__":
    main()
