"""Run extras: arguments, a file read back from the run's directory, stdio wired between runs."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator

import pytest
from verigrade.sandbox import (
    Limits,
    RunExtras,
    RunResult,
    Sandbox,
    SandboxError,
    Wiring,
    run_extras,
)

QUICK = Limits(wall_seconds=3.0, cpu_seconds=2.0)
OUT = RunExtras(collect="output.txt")


def sh(box: Sandbox, script: str, **kwargs: object) -> RunResult:
    return box.run(["/bin/sh", "-c", script], limits=QUICK, **kwargs)  # type: ignore[arg-type]


def test_args_follow_the_program_in_exec_and_python_runs(box: Sandbox) -> None:
    extras = RunExtras(args=("in.txt", "out file.txt"))
    result = box.run(["/bin/echo", "first"], extras=extras)
    assert result.stdout == b"first in.txt out file.txt\n"
    result = box.run_python("import sys\nprint(sys.argv)", extras=extras)
    assert result.stdout == b"['main.py', 'in.txt', 'out file.txt']\n"


def test_a_python_run_gets_files_and_arguments_on_the_warm_interpreter(box: Sandbox) -> None:
    program = "import sys\nprint(open(sys.argv[1]).read(), sys.argv[2:])"
    extras = RunExtras(args=("in.txt", "x"))
    result = box.run_python(program, files={"in.txt": b"data"}, extras=extras)
    assert result.stdout == b"data ['x']\n"


def test_run_extras_applies_inside_its_block_only(box: Sandbox) -> None:
    program = "import sys\nprint(sys.argv[1:])"
    with run_extras(RunExtras(args=("a",))):
        assert box.run_python(program).stdout == b"['a']\n"
        # An explicit argument wins over the block's.
        assert box.run_python(program, extras=RunExtras()).stdout == b"[]\n"
    assert box.run_python(program).stdout == b"[]\n"


def test_a_file_comes_back_apart_from_stdout(box: Sandbox) -> None:
    result = sh(box, "printf 'to stdout'; printf '4\\n\\377' > output.txt", extras=OUT)
    assert result.status == "ok"
    assert (result.collected, result.collect_error) == (b"4\n\xff", None)
    assert result.stdout == b"to stdout"


def test_an_empty_file_comes_back_empty(box: Sandbox) -> None:
    result = sh(box, ": > output.txt", extras=OUT)
    assert (result.collected, result.collect_error) == (b"", None)


def test_without_collect_nothing_comes_back(box: Sandbox) -> None:
    result = sh(box, "echo 1 > output.txt")
    assert (result.collected, result.collect_error) == (None, None)


def test_a_missing_file_is_reported(box: Sandbox) -> None:
    result = sh(box, "echo 1", extras=OUT)
    assert result.collected is None
    assert result.collect_error == "the program wrote no output.txt"


@pytest.mark.parametrize("target", ["/etc/passwd", "/etc/hostname", "input.txt"])
def test_a_symbolic_link_is_not_followed(box: Sandbox, target: str) -> None:
    # Whatever the link points at (a file of the machine, or one the judge gave the run),
    # what comes back must be written by the run in its own directory.
    script = f"ln -s {target} output.txt"
    result = sh(box, script, files={"input.txt": b"secret answer"}, extras=OUT)
    assert result.collected is None
    assert result.collect_error is not None and "cannot be read back" in result.collect_error


def test_a_fifo_or_directory_is_not_read(box: Sandbox) -> None:
    # A FIFO nobody writes would block a reader forever: it is refused without opening it.
    result = sh(box, "mkfifo output.txt", extras=OUT)
    assert (result.collected, result.collect_error) == (None, "output.txt is not a regular file")
    result = sh(box, "mkdir output.txt", extras=OUT)
    assert (result.collected, result.collect_error) == (None, "output.txt is not a regular file")


def test_a_file_past_the_output_cap_is_refused(box: Sandbox) -> None:
    limits = Limits(wall_seconds=3.0, cpu_seconds=2.0, output_bytes=1000)
    script = "head -c 1001 /dev/zero > output.txt"
    result = box.run(["/bin/sh", "-c", script], limits=limits, extras=OUT)
    assert result.collected is None
    assert result.collect_error == "output.txt is larger than the output cap (1000 bytes)"
    script = "head -c 1000 /dev/zero > output.txt"
    result = box.run(["/bin/sh", "-c", script], limits=limits, extras=OUT)
    assert result.collected == bytes(1000)


def test_a_file_larger_than_a_pipe_comes_back_whole(box: Sandbox) -> None:
    limits = Limits(wall_seconds=3.0, cpu_seconds=2.0, output_bytes=600_000)
    script = "head -c 500000 /dev/urandom > output.txt; cp output.txt copy; cat copy"
    result = box.run(["/bin/sh", "-c", script], limits=limits, extras=OUT)
    assert result.collected is not None and len(result.collected) == 500_000
    assert result.collected == result.stdout[:500_000]


def test_a_file_comes_back_from_a_run_that_timed_out(box: Sandbox) -> None:
    result = sh(box, "echo partial > output.txt; sleep 30", extras=OUT)
    assert result.status == "timeout"
    assert result.collected == b"partial\n"


def test_a_file_name_with_a_path_is_refused() -> None:
    for name in ("../etc/passwd", "/etc/passwd", "a/b", "..", ""):
        with pytest.raises(ValueError):
            RunExtras(collect=name)


def test_the_next_run_starts_clean_after_a_collect(box: Sandbox) -> None:
    sh(box, "echo one > output.txt", extras=OUT)
    result = sh(box, "ls", extras=OUT)
    assert result.stdout == b""
    assert result.collect_error == "the program wrote no output.txt"


# -- wired stdio ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def second_box() -> Iterator[Sandbox]:
    sandbox = Sandbox()
    yield sandbox
    sandbox.close()


def wired_pair(
    box: Sandbox, other: Sandbox, first: str, second: str, limits: Limits = QUICK
) -> tuple[RunResult, RunResult]:
    """Run two Python programs, each one's stdout the other's stdin."""
    a_to_b = os.pipe()
    b_to_a = os.pipe()
    wire_a = Wiring(b_to_a[0], a_to_b[1])
    wire_b = Wiring(a_to_b[0], b_to_a[1])
    results: dict[str, RunResult] = {}

    def run_second() -> None:
        results["b"] = other.run_python(second, limits=limits, extras=RunExtras(stdio=wire_b))

    thread = threading.Thread(target=run_second)
    thread.start()
    try:
        results["a"] = box.run_python(first, limits=limits, extras=RunExtras(stdio=wire_a))
    finally:
        thread.join()
        wire_a.close()
        wire_b.close()
    return results["a"], results["b"]


ASKER = """
import sys
total = 0
for i in range(1, 101):
    print(i, flush=True)
    total += int(input())
print("asker got", total, file=sys.stderr)
"""
DOUBLER = """
import sys
for line in sys.stdin:
    print(2 * int(line), flush=True)
print("doubler done", file=sys.stderr)
"""


def test_two_runs_talk_through_wired_pipes(box: Sandbox, second_box: Sandbox) -> None:
    asker, doubler = wired_pair(box, second_box, ASKER, DOUBLER)
    assert asker.status == "ok" and asker.stderr == b"asker got 10100\n"
    # The doubler saw end-of-file once the asker exited: nothing else held the pipe open.
    assert doubler.status == "ok" and doubler.stderr == b"doubler done\n"
    assert asker.stdout == doubler.stdout == b""  # neither passed through the judge


def test_a_stalled_partner_is_stopped_at_its_deadline(box: Sandbox, second_box: Sandbox) -> None:
    # The asker waits for an answer that never comes: both end at their deadlines, no hang.
    silent = "import time\ntime.sleep(60)"
    asker, sleeper = wired_pair(box, second_box, ASKER, silent)
    assert asker.status == "timeout" and sleeper.status == "timeout"


def test_a_flood_blocks_on_the_pipe_until_the_deadline(box: Sandbox, second_box: Sandbox) -> None:
    flood = "import sys\nwhile True:\n    sys.stdout.write('x' * 65536)"
    reads_one = "import sys, time\nsys.stdin.buffer.read(10)\ntime.sleep(60)"
    flooder, reader = wired_pair(box, second_box, flood, reads_one)
    assert flooder.status == "timeout" and reader.status == "timeout"
    assert flooder.stdout == b""


def test_a_partner_that_dies_gives_end_of_file(box: Sandbox, second_box: Sandbox) -> None:
    reader = "import sys\nprint('read', repr(sys.stdin.read()), file=sys.stderr)"
    quits = "raise SystemExit(3)"
    first, second = wired_pair(box, second_box, reader, quits)
    assert second.exit_code == 3
    assert first.status == "ok" and first.stderr == b"read ''\n"


def test_a_wiring_serves_one_run_and_is_closed_if_none_starts(box: Sandbox) -> None:
    read_end, write_end = os.pipe()
    spare_r, spare_w = os.pipe()
    wiring = Wiring(spare_r, write_end)
    with pytest.raises(TypeError):  # stdin bytes and wired stdio exclude each other
        box.run_python("pass", stdin=b"x", extras=RunExtras(stdio=wiring))
    # The run took the descriptors and closed them: the reader sees end-of-file at once.
    assert os.read(read_end, 10) == b""
    with pytest.raises(SandboxError):
        box.run_python("pass", extras=RunExtras(stdio=wiring))
    os.close(read_end)
    os.close(spare_w)


def test_an_executed_program_gets_the_default_sigpipe_and_sigxfsz(box: Sandbox) -> None:
    # The fork server is Python, which ignores both; a program it executes must not inherit
    # that: `yes` dies quietly of SIGPIPE when `head` leaves, as in any shell.
    result = sh(box, "yes | head -n 1")
    assert (result.status, result.stdout, result.stderr) == ("ok", b"y\n", b"")
    # Past its file size limit, a program is killed by SIGXFSZ (status 128 + 25 in sh).
    limits = Limits(wall_seconds=3.0, cpu_seconds=2.0, file_bytes=1 << 20)
    script = "head -c 2000000 /dev/zero > big; echo $?"
    result = box.run(["/bin/sh", "-c", script], limits=limits)
    assert result.stdout == b"153\n"
