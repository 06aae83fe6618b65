"""verigrade's ``ifeval`` against lm-eval's IFEval checkers, called directly, in one run.

Both grade the same generated cases (tests/verifiers/ifeval/generate.py: 25
instruction types, ``--per-type`` responses each), strict and loose, in this one
process: ours through ``IFEvalVerifier.verify`` (reference parsing included),
lm-eval's through its own ``process_results`` (builds the checker, strict + loose).
Reported: items/s for each, the ratio, and the agreement per instruction type.

    bash scripts/setup.sh            # the dev extra carries lm-eval[ifeval]
    .venv/bin/python benchmarks/ifeval_vs_lm_eval.py [--per-type 200] [--repeats 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from verigrade.verifiers import Sample, get_verifier

from tests.verifiers.ifeval.generate import cases
from tests.verifiers.ifeval.lm_eval_checkers import process_results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--per-type", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    items = cases(args.per_type)
    refs = [{"instruction_id_list": [i], "kwargs": [kw]} for i, kw, _ in items]
    samples = [
        Sample(completion=r, reference=ref) for (_, _, r), ref in zip(items, refs, strict=True)
    ]
    docs = [{**ref, "key": k, "prompt": ""} for k, ref in enumerate(refs)]
    strict = get_verifier("ifeval").from_options({"answer_only": False})
    loose = get_verifier("ifeval").from_options({"answer_only": False, "variant": "loose"})
    process_results(docs[0], items[0][2])  # lm-eval's imports and punkt load, outside the clock
    strict.verify(samples[0])  # py3langid's model load, outside the clock

    best_ours = best_theirs = float("inf")
    for _ in range(args.repeats):
        start = time.perf_counter()
        ours = [(strict.verify(s).score, loose.verify(s).score) for s in samples]
        best_ours = min(best_ours, time.perf_counter() - start)
        start = time.perf_counter()
        theirs = [process_results(d, r) for d, (_, _, r) in zip(docs, items, strict=True)]
        best_theirs = min(best_theirs, time.perf_counter() - start)

    n = len(items)
    print(f"{n} items ({args.per_type} per type x 25), strict + loose, best of {args.repeats}")
    print(f"verigrade ifeval : {n / best_ours:10,.0f} items/s")
    print(f"lm-eval checkers : {n / best_theirs:10,.0f} items/s")
    print(f"ratio            : {best_theirs / best_ours:10.2f}x")
    print("\ndisagreements (strict / loose) per type:")
    totals: Counter[str] = Counter()
    for (instruction_id, _, _), (s, lo), t in zip(items, ours, theirs, strict=True):
        if (s == 1.0) != t["inst_level_strict_acc"][0]:
            totals[instruction_id + " strict"] += 1
        if (lo == 1.0) != t["inst_level_loose_acc"][0]:
            totals[instruction_id + " loose"] += 1
    for instruction_id in sorted({i for i, _, _ in items}):
        s, lo = totals[instruction_id + " strict"], totals[instruction_id + " loose"]
        print(f"  {instruction_id:48s} {s:4d} / {lo:4d}  of {args.per_type}")
    print(f"  total: {sum(totals.values())} of {2 * n} verdicts")


if __name__ == "__main__":
    main()
