"""What routing costs: one mixed-domain batch graded with a routed spec, against its parts
graded each with its own spec.

The batch mixes real math answers (../shared/data), chat-style replies and samples with an
unknown source, interleaved as a shuffled verl batch would be. Timed on one warm pool:

- routed: ``grader.grade(batch, routed_spec)``, one call;
- parts, one after another: each route's samples through ``grader.grade`` with its own
  spec, waiting for each (what a caller without routing would write first);
- parts, side by side: every part submitted, then all waited on (the routed path's peer:
  it does the same, so the ratio is routing's own overhead);
- every verifier on every sample: one plain spec with all the routes' verifiers (what
  routing saves);
- the server's path, routed and parts side by side: ``submit_finished`` with the server's
  worker-side JSON finisher (``ResultJson``), as ``POST /v1/grade`` grades.

The repeats interleave the four, in a rotating order, so drift on a shared machine hits
them alike; the best of each is reported. The math verifier caches parsed answers, so after
the first repeat the figures weigh the engine (shipping, joining) more than sympy.

    python benchmarks/routed_throughput.py [--samples 4000] [--repeats 3] [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from collections.abc import Callable
from typing import Any

from data_path import find_data
from verigrade.server.results import ResultJson
from verigrade.verifiers import Grader, RoutedSpec, parse_spec

ROUTES: dict[str, Any] = {
    "math": {"math": 1.0, "think_format": 0.1},
    "chat": {"think_format": 1.0, "repetition": 0.5},
}
DEFAULT: dict[str, Any] = {
    "think_format": 1.0,
    "length": {"weight": 0.2, "unit": "chars", "max_length": 4000, "cache_length": 1000},
}
ROUTED = {"route": {"field": "data_source", "specs": ROUTES, "default": DEFAULT}}
EVERYTHING: dict[str, Any] = {**ROUTES["math"], **ROUTES["chat"], **DEFAULT}


def mixed_batch(n: int) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in find_data().read_text(encoding="utf-8").splitlines()]
    items: list[dict[str, Any]] = []
    for i in range(n):
        row = rows[i % len(rows)]
        kind = ("math", "math", "chat", "wiki")[i % 4]  # half math, a quarter each other
        completion = (
            row["completion"]
            if kind == "math"
            else f"<think>{row['prompt']}</think> {row['completion'][-300:]}"
        )
        items.append(
            {
                "id": i,
                "prompt": row["prompt"],
                "completion": completion,
                "reference": row["reference"],
                "metadata": {"data_source": kind},
            }
        )
    random.Random(0).shuffle(items)
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=4000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    batch = mixed_batch(args.samples)
    spec = parse_spec(ROUTED)
    assert isinstance(spec, RoutedSpec)
    parts: dict[str, list[dict[str, Any]]] = {}
    for item in batch:
        route = spec.choose(item)
        assert route is not None
        parts.setdefault(route, []).append(item)
    sizes = ", ".join(f"{name} {len(items):,}" for name, items in parts.items())
    print(f"{len(batch):,} samples ({sizes}), {args.workers} workers, {os.cpu_count()} cores")

    with Grader(workers=args.workers) as grader:
        grader.grade(batch[:8], ROUTED)  # workers up, every spec built once

        def routed() -> None:
            grader.grade(batch, ROUTED)

        def one_after_another() -> None:
            for name, items in parts.items():
                grader.grade(items, spec.spec_of(name))

        def side_by_side() -> None:
            futures = [grader.submit(items, spec.spec_of(name)) for name, items in parts.items()]
            for future in futures:
                future.result()

        def everything() -> None:
            grader.grade(batch, EVERYTHING)

        def server_routed() -> None:
            grader.submit_finished(batch, spec, ResultJson.for_spec(spec, True)).result()

        def server_parts() -> None:
            futures = []
            for name, items in parts.items():
                part = spec.spec_of(name)
                futures.append(grader.submit_finished(items, part, ResultJson.for_spec(part, True)))
            for future in futures:
                future.result()

        runs: dict[str, Callable[[], None]] = {
            "routed (one call)": routed,
            "parts, side by side": side_by_side,
            "parts, one after another": one_after_another,
            "every verifier on every sample": everything,
            "server path: routed": server_routed,
            "server path: parts side by side": server_parts,
        }
        best = dict.fromkeys(runs, float("inf"))
        order = list(runs)
        for _ in range(args.repeats):
            order = order[1:] + order[:1]  # each goes first once in a while: no fixed slot
            for name in order:
                run = runs[name]
                start = time.perf_counter()
                run()
                best[name] = min(best[name], time.perf_counter() - start)

        start = time.perf_counter()
        for _ in range(10):
            for item in batch:
                spec.choose(item)
        choose_us = (time.perf_counter() - start) / (10 * len(batch)) * 1e6

    n = len(batch)
    print(f"\n{'how':<34} {'seconds':>8} {'items/s':>9}")
    for name, elapsed in best.items():
        print(f"{name:<34} {elapsed:>8.3f} {n / elapsed:>9,.0f}")
    routed_s = best["routed (one call)"]
    print(f"\nrouted / parts side by side:      {routed_s / best['parts, side by side']:.2f}")
    print(f"routed / parts one after another: {routed_s / best['parts, one after another']:.2f}")
    print(
        f"routed / every verifier:          {routed_s / best['every verifier on every sample']:.2f}"
    )
    server = best["server path: routed"] / best["server path: parts side by side"]
    print(f"server path, routed / parts side by side: {server:.2f}")
    print(f"choosing a route: {choose_us:.2f} us per item on the caller's thread")


if __name__ == "__main__":
    main()
