"""What each isolation layer costs a run: every layer on, beside the same with one layer off.

One fork server per configuration, all started at once; rounds alternate between them so
that the machine's drift falls on all alike. Each round runs a one-line Python program and
a small stdin program ``N`` times per configuration, and measures the CPU those runs cost
everywhere: this process (sending, reading, judging), the fork server and its reaped
children (from ``/proc``, in clock ticks). CPU, not wall time: on a shared machine wall time
moved by more than the layers cost. The figure is the median over rounds, per run.

Usage::

    python benchmarks/sandbox_layers.py             # 8 rounds of 150 runs
    python benchmarks/sandbox_layers.py --quick     # a smoke run

Figures are noisy on shared machines; compare columns of one run, not runs.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time
import warnings

from verigrade.sandbox import Sandbox

#: The layers issue 12 added, each measured by leaving it off (as root: all are on here).
LAYERS = ("minimal_root", "cgroup", "seccomp")
PROGRAMS = {
    "print(1)": ("print(1)", b""),
    "stdin sum": ("a, b = map(int, input().split())\nprint(a + b)", b"20 22\n"),
}


def _server_cpu(box: Sandbox) -> float:
    """CPU seconds of ``box``'s fork server and every run it has reaped so far."""
    assert box._process is not None
    outer = box._process.pid  # it waits on the real server, pid 1 of its own namespace
    with open(f"/proc/{outer}/task/{outer}/children") as handle:
        pids = handle.read().split() or [str(outer)]
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as handle:
            fields = handle.read().rpartition(")")[2].split()
        total += sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    return total / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 rounds of 20 runs")
    args = parser.parse_args()
    rounds, runs = (2, 20) if args.quick else (8, 300)
    warnings.simplefilter("ignore")  # every box but the first is degraded on purpose
    logging.getLogger("verigrade.sandbox").setLevel(logging.ERROR)
    boxes = {"all layers": Sandbox()} | {f"no {name}": Sandbox(disable=[name]) for name in LAYERS}
    layers = boxes["all layers"].active_layers()
    missing = [name for name in LAYERS if layers.get(name) != "active"]
    if missing:
        print(f"note: not active here, so not measured: {', '.join(missing)}")
    times: dict[tuple[str, str], list[float]] = {}
    for _ in range(rounds):
        for program, (source, stdin) in PROGRAMS.items():
            for label, box in boxes.items():
                box.run_python(source, stdin=stdin)  # warm
                server, client = _server_cpu(box), time.process_time()
                for _ in range(runs):
                    box.run_python(source, stdin=stdin)
                spent = time.process_time() - client + _server_cpu(box) - server
                times.setdefault((program, label), []).append(spent / runs * 1000)
    for box in boxes.values():
        box.close()
    print(f"{'program':12} {'configuration':18} {'CPU ms/run':>10} {'vs all layers':>14}")
    for program in PROGRAMS:
        base = statistics.median(times[(program, "all layers")])
        for label in boxes:
            median = statistics.median(times[(program, label)])
            print(f"{program:12} {label:18} {median:10.3f} {median - base:+13.3f}")
    print(f"medians of {rounds} rounds of {runs} runs; a negative delta is what the layer costs")


if __name__ == "__main__":
    main()
