"""Throughput of `grade` with think_format + language: plain loop vs the worker pool.

10,000 samples built from the real model responses in ../shared/data (repeated to
reach the count). Reports items/s for a plain in-process loop over the verifiers
(the floor: no pool at all), Grader(workers=0), and the pool with 1 and 2 workers,
plus the pool's overhead per item against the plain loop. Pool start-up is timed
separately; the timed runs use warm pools, as a trainer or server would.

    python benchmarks/grade_throughput.py [--samples 10000] [--repeats 3] [--language-backend script]

The language verifier's default backend (``auto``) runs py3langid on each Latin-script
sentence when the target shares its script (``en``); ``--language-backend script`` measures
the script-count backend it replaced as the default.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

from verigrade.verifiers import Grader, Sample, parse_spec
from verigrade.verifiers.engine import run_verifier

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "math_real_responses.jsonl"
SPEC: dict[str, dict[str, str]] = {
    "think_format": {"mode": "lenient"},
    "language": {"target": "en"},
}


def load_samples(n: int) -> list[Sample]:
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]
    # The Qwen responses have no <think> tags; wrap half of them so both paths of
    # think_format are exercised, as in a real R1-style batch.
    base = [
        Sample(
            completion=f"<think>{r['completion']}</think> done" if i % 2 else r["completion"],
            prompt=r["prompt"],
            id=i,
        )
        for i, r in enumerate(rows)
    ]
    return [base[i % len(base)] for i in range(n)]


def best_of(repeats: int, fn: object) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--language-backend", choices=["auto", "script", "langid"], default="auto")
    args = parser.parse_args()
    SPEC["language"]["backend"] = args.language_backend
    samples = load_samples(args.samples)
    n = len(samples)
    chars = sum(len(s.completion_text) for s in samples) / n
    verifiers = [e.verifier for e in parse_spec(SPEC).entries]
    print(
        f"{n:,} samples (mean {chars:,.0f} chars), spec {json.dumps(SPEC)}, {os.cpu_count()} cores"
    )

    def plain_loop() -> None:
        for sample in samples:
            for verifier in verifiers:
                run_verifier(verifier, sample)

    rows: list[tuple[str, float]] = [("plain loop (no pool)", best_of(args.repeats, plain_loop))]
    with Grader(workers=0) as inline:
        rows.append(
            ("Grader(workers=0)", best_of(args.repeats, lambda: inline.grade(samples, SPEC)))
        )
    for workers in (1, 2):
        start = time.perf_counter()
        grader = Grader(workers=workers)
        grader.grade(samples[:1], SPEC)  # wait for the workers to be up
        startup = time.perf_counter() - start
        elapsed = best_of(args.repeats, lambda g=grader: g.grade(samples, SPEC))  # type: ignore[misc]
        grader.close()
        rows.append(
            (f"pool, {workers} worker{'s' * (workers > 1)} (start-up {startup:.2f}s)", elapsed)
        )

    loop = rows[0][1]
    print(f"\n{'how':<40} {'items/s':>10} {'vs loop':>8} {'us/item over loop':>18}")
    for name, elapsed in rows:
        over = (elapsed - loop) / n * 1e6
        print(f"{name:<40} {n / elapsed:>10,.0f} {loop / elapsed:>7.2f}x {over:>18.1f}")
    one, two = rows[2][1], rows[3][1]
    print(f"\n2 workers vs 1: {one / two:.2f}x")


if __name__ == "__main__":
    main()
