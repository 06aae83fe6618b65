"""Math-Verify on verigrade's regression tables: the cases where it disagrees with the table.

The tables live in ``tests/verifiers/math/test_equivalence.py`` (each case with its
source); verigrade passes all of them by construction (they are its tests). This
runs Math-Verify on the same ``(gold, answer)`` pairs, the answer inside
``\\boxed{}`` and the gold in ``$...$`` as in the throughput benchmark, and lists
where it differs from the expected verdict.

    pip install math-verify
    python benchmarks/math_tables_vs_math_verify.py
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def cases() -> list[tuple[str, str, str, bool]]:
    from tests.verifiers.math import test_equivalence as tables

    found = []
    for name in dir(tables):
        test: Any = getattr(tables, name)
        for mark in getattr(test, "pytestmark", []):
            if mark.name == "parametrize":
                found += [(name, g, a, bool(e)) for g, a, e in mark.args[1]]
    return found


def main() -> None:
    from math_verify import parse, verify
    from verigrade.verifiers import Sample
    from verigrade.verifiers.math import MathVerifier

    ours = MathVerifier()
    rows = cases()
    mv_wrong, vg_wrong = [], []
    for table, gold, answer, expected in rows:
        if table == "test_float_rule" and answer == "3.14159":
            expected = True  # the table's documented exception (the float rule accepts it)
        completion = f"so the answer is \\boxed{{{answer}}}."
        try:
            theirs = bool(verify(parse(f"${gold}$"), parse(completion)))
        except Exception:  # the peer's failure counts as "not equal"
            theirs = False
        mine = ours.verify(Sample(completion=completion, reference=gold)).score == 1.0
        if theirs != expected:
            mv_wrong.append((table, gold, answer, expected, theirs))
        if mine != expected:
            vg_wrong.append((table, gold, answer, expected, mine))
    print(
        f"{len(rows)} cases; verigrade differs from the table on {len(vg_wrong)}, "
        f"Math-Verify on {len(mv_wrong)}\n"
    )
    print("| table | gold | answer | expected | Math-Verify |")
    print("|---|---|---|---|---|")
    for table, gold, answer, expected, theirs in mv_wrong:
        print(
            f"| {table.removeprefix('test_')} | `{gold}` | `{answer}` | "
            f"{'equal' if expected else 'different'} | {'equal' if theirs else 'different'} |"
        )
    for row in vg_wrong:
        print("verigrade differs:", row)


if __name__ == "__main__":
    main()
