"""Reading many input lines in the sandbox, beside the same interpreter on the host.

A Python run reads its standard input through the streams the fork server builds for it
(``zygote._std_streams``); they should cost what CPython's own cost over a pipe. Each
program reads 1.5 M short lines one way and prints how many it read.

Usage::

    python benchmarks/stdin_lines.py

Figures are noisy (shared machines); the sandbox and host columns come from the same run.
Measured while fixing ``sys.stdin.buffer`` (it was the raw file, read a byte per system
call): ``buffer.readline`` 7.80 s before, 0.28-0.33 s after, host 0.26-0.32 s.
"""

from __future__ import annotations

import subprocess
import sys
import time

from verigrade.sandbox import Limits, Sandbox

LINES = 1_500_000
PROGRAMS = {
    "buffer.readline": (
        "import sys\nread = sys.stdin.buffer.readline\nn = 0\nwhile read():\n    n += 1\nprint(n)"
    ),
    "for line in buffer": "import sys\nprint(sum(1 for _ in sys.stdin.buffer))",
    "stdin.readline": "import sys\nread = sys.stdin.readline\nn = 0\nwhile read():\n    n += 1\nprint(n)",
}


def main() -> None:
    data = b"".join(b"%d\n" % i for i in range(LINES))
    box = Sandbox()
    limits = Limits(wall_seconds=30, cpu_seconds=30)
    print(f"{'program':20s} {'sandbox wall':>12s} {'sandbox cpu':>12s} {'host wall':>10s}")
    for name, source in PROGRAMS.items():
        result = box.run_python(source, stdin=data, limits=limits)
        assert result.stdout == b"%d\n" % LINES, result
        started = time.monotonic()
        host = subprocess.run(
            [sys.executable, "-I", "-S", "-c", source],
            input=data,
            capture_output=True,
            env={"LANG": "C.UTF-8"},
            check=True,
        )
        host_wall = time.monotonic() - started
        assert host.stdout == b"%d\n" % LINES
        print(
            f"{name:20s} {result.wall_seconds:11.2f}s {result.cpu_seconds:11.2f}s {host_wall:9.2f}s"
        )
    box.close()


if __name__ == "__main__":
    main()
