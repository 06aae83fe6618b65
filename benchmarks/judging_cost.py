"""What each way of judging a stdin/stdout test costs, beside the plain exact comparison.

One sample of 10 tests (a + b) graded in this process (``CodeVerifier.verify``, no pool), the
same program judged five ways: the exact comparison (the peer), a checker program (Python,
testlib exit status), a checker function (Python), file I/O (``input.txt``/``output.txt``),
and an interactor (Python, the program asks and the interactor answers). Prints wall ms per
test, the median of the rounds, and its ratio to the plain comparison measured in the same
rounds.

Usage::

    python benchmarks/judging_cost.py            # 5 rounds
    python benchmarks/judging_cost.py --quick    # 1 round, a smoke run

Noisy on shared machines (±25%): read the ratios.
"""

from __future__ import annotations

import argparse
import statistics
import time
from typing import Any

from verigrade.verifiers import Sample
from verigrade.verifiers.code import CodeVerifier

TESTS = [{"input": f"{i} {i * 7}\n", "output": f"{i * 8}\n"} for i in range(10)]
PROGRAM = "a, b = map(int, input().split())\nprint(a + b)"
FILE_PROGRAM = (
    "a, b = map(int, open('input.txt').read().split())\nopen('output.txt', 'w').write(str(a + b))"
)
CHECKER = (
    "import sys\nsys.exit(open(sys.argv[2]).read().split() != open(sys.argv[3]).read().split())"
)
FUNCTION = "def check(input, output, answer):\n    return output.split() == answer.split()"
INTERACTOR = (
    "import sys\n"
    "a, b = open(sys.argv[1]).read().split()\n"
    "print(a, b, flush=True)\n"
    "sys.exit(sys.stdin.readline().strip() != str(int(a) + int(b)))"
)
INTERACTIVE_PROGRAM = "a, b = map(int, input().split())\nprint(a + b, flush=True)"

CASES: dict[str, tuple[str, dict[str, Any]]] = {
    "exact comparison": (PROGRAM, {"tests": TESTS}),
    "checker program": (PROGRAM, {"tests": TESTS, "checker": {"source": CHECKER}}),
    "checker function": (
        PROGRAM,
        {"tests": TESTS, "checker": {"source": FUNCTION, "function": "check"}},
    ),
    "file I/O": (
        FILE_PROGRAM,
        {"tests": TESTS, "input_file": "input.txt", "output_file": "output.txt"},
    ),
    "interactor": (INTERACTIVE_PROGRAM, {"tests": TESTS, "interactor": {"source": INTERACTOR}}),
}


def per_test_ms(verifier: CodeVerifier, program: str, reference: dict[str, Any]) -> float:
    sample = Sample(completion=f"```python\n{program}\n```", reference=reference)
    start = time.perf_counter()
    verdict = verifier.verify(sample)
    elapsed = time.perf_counter() - start
    assert verdict.score == 1.0, verdict.reason
    return elapsed * 1000 / len(TESTS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="one round")
    rounds = 1 if parser.parse_args().quick else 5
    verifier = CodeVerifier.from_options({})
    for program, reference in CASES.values():  # warm: fork servers started, checkers built
        per_test_ms(verifier, program, reference)
    times: dict[str, list[float]] = {name: [] for name in CASES}
    ratios: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(rounds):  # the cases alternate within a round, so a round shares its noise
        measured = {name: per_test_ms(verifier, *case) for name, case in CASES.items()}
        for name, ms in measured.items():
            times[name].append(ms)
            ratios[name].append(ms / measured["exact comparison"])
    print(f"{len(TESTS)} tests per sample, {rounds} round(s); median ms per test, ratio to exact")
    for name in CASES:
        ms, ratio = statistics.median(times[name]), statistics.median(ratios[name])
        print(f"  {name:18} {ms:7.2f} ms/test  {ratio:5.2f}x")


if __name__ == "__main__":
    main()
