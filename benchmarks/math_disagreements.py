"""Where verigrade's ``math`` verdict differs from Qwen's grader on the 800 real responses.

Writes ``docs/math_real_responses.md``: the counts, then one row per disagreement
with the gold, what was extracted, the rule that decided, Math-Verify's verdict
when it is installed, and a written explanation (``EXPLANATIONS`` below, keyed by
row id; a disagreement without one is printed as UNEXPLAINED and fails the run).

    python benchmarks/math_disagreements.py [--out docs/math_real_responses.md]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from verigrade.verifiers import Sample
from verigrade.verifiers.math import MathVerifier

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from math_vs_math_verify import find_data  # noqa: E402

_TIME_TYPO = (
    "The gold `4:30p..` is a typo in the dataset for 4:30 p.m.; the response's "
    "`4:30 \\text{ p.m.}` is the right answer (Bobbi arrives 2 hours after 2:30 p.m.). "
    "verigrade reads both as the clock time 4:30 pm; Qwen's grader and Math-Verify "
    "compare the strings and miss it. **verigrade is right.**"
)
EXPLANATIONS = {f"math3-{k}": _TIME_TYPO for k in range(8)}
EXPLANATIONS["math72-7"] = (
    "The response boxes `10000`; the gold is `10{,}000`, the same number with a "
    "LaTeX thousands separator. Qwen's grader does not strip `{,}` and says wrong; "
    "verigrade and Math-Verify both say right. **verigrade is right.**"
)


def mv_verdicts(rows: list[dict[str, str]]) -> list[bool] | None:
    try:
        from math_verify import parse, verify
    except ImportError:
        return None
    out = []
    for row in rows:
        try:
            out.append(bool(verify(parse(f"${row['reference']}$"), parse(row["completion"]))))
        except Exception:  # the peer's failure is its "wrong", as in the benchmark
            out.append(False)
    return out


def cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "math_real_responses.md")
    args = parser.parse_args()
    data = find_data()
    rows = [json.loads(line) for line in data.read_text(encoding="utf-8").splitlines()]
    verifier = MathVerifier()
    verdicts = [
        verifier.verify(Sample(completion=r["completion"], reference=r["reference"])) for r in rows
    ]
    theirs = mv_verdicts(rows)
    ours = [v.score == 1.0 for v in verdicts]
    qwen = [bool(r["qwen_grader_verdict"]) for r in rows]
    table = Counter(zip(ours, qwen, strict=True))
    statuses = Counter(v.status for v in verdicts)
    lines = [
        "# The math verifier on 800 real responses",
        "",
        f"Data: `shared/data/{data.name}` ({len(rows)} Qwen2.5-Math chain-of-thought answers to",
        "100 MATH problems, 8 each, with `qwen_grader_verdict`, Qwen's own grader: not ground truth).",
        "Regenerate with `python benchmarks/math_disagreements.py`.",
        "",
        f"Statuses: {dict(statuses)}.",
        "",
        "| | Qwen says correct | Qwen says wrong |",
        "|---|---:|---:|",
        f"| verigrade says correct | {table[(True, True)]} | {table[(True, False)]} |",
        f"| verigrade says wrong | {table[(False, True)]} | {table[(False, False)]} |",
        "",
    ]
    if theirs is not None:
        mv_agree = sum(a == b for a, b in zip(theirs, qwen, strict=True))
        vg_mv = sum(a == b for a, b in zip(ours, theirs, strict=True))
        split = [r["id"] for r, a, b in zip(rows, ours, theirs, strict=True) if a != b]
        lines += [
            f"Math-Verify agrees with Qwen's grader on {mv_agree}/{len(rows)} rows and with "
            f"verigrade on {vg_mv}/{len(rows)}; verigrade and Math-Verify differ on: "
            f"{', '.join(split) or 'none'}.",
            "",
        ]
    differ = [i for i in range(len(rows)) if ours[i] != qwen[i]]
    lines += [
        f"## The {len(differ)} rows where verigrade and Qwen's grader differ",
        "",
        "| id | gold | extracted | verigrade | Qwen | Math-Verify | decided by | explanation |",
        "|---|---|---|---|---|---|---|---|",
    ]
    unexplained = []
    for i in differ:
        row, verdict = rows[i], verdicts[i]
        explanation = EXPLANATIONS.get(row["id"])
        if explanation is None:
            unexplained.append(row["id"])
            explanation = "UNEXPLAINED"
        mv = "-" if theirs is None else ("correct" if theirs[i] else "wrong")
        extracted = ", ".join(verdict.details.get("extracted", []))
        lines.append(
            f"| {row['id']} | `{cell(row['reference'])}` | `{cell(extracted)}` | "
            f"{'correct' if ours[i] else 'wrong'} | {'correct' if qwen[i] else 'wrong'} | {mv} | "
            f"{cell(verdict.details.get('rule', verdict.reason))} | {explanation} |"
        )
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    if unexplained:
        raise SystemExit(f"UNEXPLAINED disagreements: {', '.join(unexplained)}")


if __name__ == "__main__":
    main()
