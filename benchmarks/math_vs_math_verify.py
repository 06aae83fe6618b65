"""verigrade's ``math`` verifier against Hugging Face's Math-Verify on 800 real responses.

Each peer grades the same 800 Qwen2.5-Math responses (``../shared/data/
math_real_responses.jsonl``) in a fresh interpreter (cold imports, cold caches),
with the same number of worker processes. Reported per peer: import time,
throughput in items/s over the grading (and including the import), p50/p99
latency per item; then the agreement table of the two peers and of each against
``qwen_grader_verdict`` (Qwen's own grader, not ground truth), and the items where
the two peers disagree.

    pip install math-verify          # the comparison peer; never imported by verigrade
    python benchmarks/math_vs_math_verify.py [--workers 1] [--repeats 3]

Math-Verify is called as its README shows: ``verify(parse(gold), parse(answer))``
with the gold wrapped in ``$...$``; it parses the gold on every call, verigrade
caches it (the same gold is graded once per generation in GRPO, 8 times here).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from data_path import find_data  # beside this script: python puts its folder on sys.path

PEERS = ("verigrade", "math-verify")


# -- the graders, run inside child processes ----------------------------------------


def _grade_verigrade(rows: list[dict[str, Any]]) -> list[tuple[bool, float]]:
    from verigrade.verifiers import Sample
    from verigrade.verifiers.math import MathVerifier

    verifier = MathVerifier()
    out = []
    for row in rows:
        start = time.perf_counter()
        verdict = verifier.verify(Sample(completion=row["completion"], reference=row["reference"]))
        out.append((verdict.score == 1.0, time.perf_counter() - start))
    return out


def _grade_math_verify(rows: list[dict[str, Any]]) -> list[tuple[bool, float]]:
    from math_verify import parse, verify

    out = []
    for row in rows:
        start = time.perf_counter()
        try:
            ok = bool(verify(parse(f"${row['reference']}$"), parse(row["completion"])))
        except Exception:  # a peer's crash is a "not equal" in its column, not ours to fix
            ok = False
        out.append((ok, time.perf_counter() - start))
    return out


GRADERS = {"verigrade": _grade_verigrade, "math-verify": _grade_math_verify}


def _warm_import(peer: str, barrier: Any = None) -> None:
    if peer == "verigrade":
        import verigrade.verifiers.math  # noqa: F401
    else:
        import math_verify  # noqa: F401
    if barrier is not None:
        barrier.wait()  # the parent starts its clock once every worker has imported


def _worker(args: tuple[str, list[dict[str, Any]]]) -> list[tuple[bool, float]]:
    peer, rows = args
    return GRADERS[peer](rows)


def child(peer: str, workers: int, data: Path) -> None:
    """Grade every row with one peer and print a JSON report (runs in a fresh process).

    ``import_s`` is the import (one worker) or the pool start-up with every
    worker's import (several workers); ``wall_s`` is the grading alone.
    """
    rows = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines()]
    start = time.perf_counter()
    if workers <= 1:
        _warm_import(peer)
        imported = time.perf_counter() - start
        start = time.perf_counter()
        results = GRADERS[peer](rows)
        wall = time.perf_counter() - start
    else:
        # Contiguous slices, one per worker: each worker is a fresh spawned process.
        size = -(-len(rows) // workers)
        slices = [(peer, rows[i : i + size]) for i in range(0, len(rows), size)]
        ctx = multiprocessing.get_context("spawn")
        barrier = ctx.Barrier(workers + 1)
        with ctx.Pool(workers, initializer=_warm_import, initargs=(peer, barrier)) as pool:
            barrier.wait()
            imported = time.perf_counter() - start
            start = time.perf_counter()
            results = [r for part in pool.map(_worker, slices) for r in part]
            wall = time.perf_counter() - start
    print(json.dumps({"import_s": imported, "wall_s": wall, "results": results}))


# -- the parent: runs both peers and reports -----------------------------------------


def run_peer(peer: str, workers: int, data: Path) -> dict[str, Any]:
    cmd = [
        sys.executable,
        __file__,
        "--child",
        peer,
        "--workers",
        str(workers),
        "--data",
        str(data),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=1, help="worker processes per peer")
    parser.add_argument("--repeats", type=int, default=3, help="fresh runs per peer; best is shown")
    parser.add_argument("--data", type=Path, default=None)
    parser.add_argument("--child", choices=PEERS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    data = args.data or find_data()
    if args.child:
        child(args.child, args.workers, data)
        return
    rows = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines()]
    n = len(rows)
    print(
        f"{n} responses from {data.name}; {args.workers} worker(s) per peer; "
        f"best of {args.repeats} fresh processes (cold imports and caches)\n"
    )
    reports: dict[str, dict[str, Any]] = {}
    for _ in range(args.repeats):
        for peer in PEERS:  # interleaved, so machine noise hits both alike
            report = run_peer(peer, args.workers, data)
            if peer not in reports or report["wall_s"] < reports[peer]["wall_s"]:
                reports[peer] = report
    print(
        f"{'peer':12} {'import s':>9} {'items/s':>9} {'items/s incl. import':>21} "
        f"{'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}"
    )
    for peer in PEERS:
        r = reports[peer]
        lat = [t * 1000 for _, t in r["results"]]
        print(
            f"{peer:12} {r['import_s']:9.2f} {n / r['wall_s']:9.0f} "
            f"{n / (r['wall_s'] + r['import_s']):21.0f} {percentile(lat, 0.5):8.3f} "
            f"{percentile(lat, 0.99):8.2f} {max(lat):8.1f}"
        )
    ours, theirs = reports["verigrade"], reports["math-verify"]
    speed = theirs["wall_s"] / ours["wall_s"]
    speed_all = (theirs["wall_s"] + theirs["import_s"]) / (ours["wall_s"] + ours["import_s"])
    print(
        f"\nthroughput ratio verigrade / math-verify: {speed:.1f}x "
        f"({speed_all:.1f}x including imports)\n"
    )

    v = [ok for ok, _ in ours["results"]]
    m = [ok for ok, _ in theirs["results"]]
    q = [bool(r["qwen_grader_verdict"]) for r in rows]
    table = Counter(zip(v, m, strict=True))
    print("agreement (rows: verigrade, columns: math-verify)")
    print(f"{'':16}{'mv correct':>12}{'mv wrong':>10}")
    for mine in (True, False):
        label = "vg correct" if mine else "vg wrong"
        print(f"{label:16}{table[(mine, True)]:12}{table[(mine, False)]:10}")
    agree = sum(a == b for a, b in zip(v, m, strict=True))
    print(f"verigrade and math-verify agree on {agree}/{n}")
    for name, col in (("verigrade", v), ("math-verify", m)):
        same = sum(a == b for a, b in zip(col, q, strict=True))
        print(f"{name} agrees with qwen_grader_verdict on {same}/{n}")
    print("\nwhere verigrade and math-verify differ:")
    for row, a, b in zip(rows, v, m, strict=True):
        if a != b:
            print(
                f"  {row['id']:10} gold {row['reference']!r:16} verigrade={a} math-verify={b} "
                f"qwen={row['qwen_grader_verdict']}"
            )


if __name__ == "__main__":
    main()
