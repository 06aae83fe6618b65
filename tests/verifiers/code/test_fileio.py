"""Per-test file I/O: the program reads input.txt and writes output.txt; what comes back must be
a bounded regular file of the run's own directory."""

from __future__ import annotations

import shutil
from typing import Any

import pytest
from verigrade.verifiers import Sample
from verigrade.verifiers.code import CodeVerifier

TESTS = [{"input": "1 2\n", "output": "3\n"}, {"input": "20 22\n", "output": "42\n"}]
FILES = {"tests": TESTS, "input_file": "input.txt", "output_file": "output.txt"}
RIGHT = (
    "a, b = map(int, open('input.txt').read().split())\n"
    "with open('output.txt', 'w') as out:\n    out.write(f'{a + b}\\n')"
)


def verify(code: str, reference: Any, tag: str = "python", **options: Any) -> Any:
    verifier = CodeVerifier.from_options(options)
    return verifier.verify(Sample(completion=f"```{tag}\n{code}\n```", reference=reference))


def reasons(verdict: Any) -> list[str]:
    return [t["reason"] for t in verdict.details["tests"]]


def test_reads_and_writes_files() -> None:
    verdict = verify(RIGHT, FILES)
    assert (verdict.score, verdict.status) == (1.0, "ok"), verdict.reason


def test_stdout_is_not_the_output_file() -> None:
    verdict = verify("a, b = map(int, open('input.txt').read().split())\nprint(a + b)", FILES)
    assert verdict.score == 0.0
    assert reasons(verdict)[0] == "the program wrote no output.txt"


def test_the_input_is_not_on_stdin() -> None:
    verdict = verify(
        "a, b = map(int, input().split())\nopen('output.txt', 'w').write(str(a + b))", FILES
    )
    assert verdict.score == 0.0 and "EOFError" in reasons(verdict)[0]


def test_input_file_with_stdout_and_stdin_with_output_file() -> None:
    reads_file = {"tests": TESTS, "input_file": "in.txt"}
    assert (
        verify("a, b = map(int, open('in.txt').read().split())\nprint(a + b)", reads_file).score
        == 1.0
    )
    writes_file = {"tests": TESTS, "output_file": "out.txt"}
    program = "a, b = map(int, input().split())\nopen('out.txt', 'w').write(str(a + b))"
    assert verify(program, writes_file).score == 1.0


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed")
def test_a_c_program_with_files() -> None:
    program = r"""
#include <stdio.h>
int main(void) {
    long a, b;
    FILE *in = fopen("input.txt", "r"), *out = fopen("output.txt", "w");
    fscanf(in, "%ld %ld", &a, &b);
    fprintf(out, "%ld\n", a + b);
    return 0;
}
"""
    assert verify(program, FILES, tag="c", language="c").score == 1.0


@pytest.mark.parametrize(
    "target",
    [
        "/etc/passwd",
        "/etc/hostname",
        # The judge's input file: for this problem a copy would even be right (see below).
        "input.txt",
        # Where a judge might keep the expected output (never in the program's sandbox).
        "answer.txt",
        "/tmp/work/../answer.txt",
    ],
)
def test_an_output_file_that_is_a_symlink_is_refused(target: str) -> None:
    echo = {
        "tests": [{"input": "same\n", "output": "same\n"}],
        **{k: FILES[k] for k in ("input_file", "output_file")},
    }
    verdict = verify(f"import os\nos.symlink({target!r}, 'output.txt')", echo)
    assert verdict.score == 0.0
    assert "output.txt cannot be read back" in reasons(verdict)[0]
    # Copying the input is this problem's right answer: the refusal is about the link alone.
    assert verify("import shutil\nshutil.copy('input.txt', 'output.txt')", echo).score == 1.0


def test_an_output_fifo_does_not_hang_the_judge() -> None:
    verdict = verify("import os\nos.mkfifo('output.txt')", FILES)
    assert verdict.score == 0.0 and reasons(verdict)[0] == "output.txt is not a regular file"


def test_an_output_file_past_the_cap_is_refused() -> None:
    program = "with open('output.txt', 'w') as out:\n    out.write('3\\n' + ' ' * (2 << 20))"
    verdict = verify(program, FILES)
    assert verdict.score == 0.0
    assert reasons(verdict)[0].startswith("output.txt is larger than the output cap")


def test_a_fake_verdict_file_changes_nothing() -> None:
    program = "open('output.txt', 'w').write('0')\nopen('verdict.txt', 'w').write('ok')\nprint(3)"
    assert verify(program, FILES).score == 0.0


def test_the_output_file_goes_to_a_checker() -> None:
    checker = "import sys\nsys.exit(int(open('output.txt').read()) <= int(open('input.txt').read().split()[0]))"
    reference = {**FILES, "checker": {"source": checker}}
    program = "a, b = map(int, open('input.txt').read().split())\nopen('output.txt', 'w').write(str(a + 100))"
    assert verify(program, reference).score == 1.0


def test_files_do_not_outlive_their_test() -> None:
    # The second test must not see what the first wrote.
    program = (
        "import os\nseen = os.path.exists('output.txt')\n"
        "a, b = map(int, open('input.txt').read().split())\n"
        "open('output.txt', 'w').write('stale' if seen else str(a + b))"
    )
    assert verify(program, FILES).score == 1.0


def test_a_large_input_file_fits_the_runs_directory() -> None:
    big = {
        "tests": [{"input": "7\n" + "0 " * (20 << 20), "output": "7\n"}],
        "input_file": "input.txt",
    }
    assert verify("print(open('input.txt').readline().strip())", big).score == 1.0


@pytest.mark.parametrize(
    "extra",
    [
        {"input_file": "../input.txt"},
        {"input_file": "/tmp/input.txt"},
        {"output_file": "dir/output.txt"},
        {"output_file": ".."},
        {"output_file": 5},
        {"input_file": "same.txt", "output_file": "same.txt"},
    ],
)
def test_malformed_file_names_are_invalid_input(extra: dict[str, Any]) -> None:
    assert verify(RIGHT, {"tests": TESTS, **extra}).status == "invalid_input"


def test_an_input_file_cannot_replace_the_program() -> None:
    verdict = verify(RIGHT, {"tests": TESTS, "input_file": "main.py"})
    assert verdict.status == "invalid_input" and "the program's own file" in verdict.reason


def test_file_io_is_for_stdio_tests_only() -> None:
    reference = {"fn_name": "f", "tests": [{"args": [], "expected": 1}], "input_file": "input.txt"}
    assert verify("def f():\n    return 1", reference).status == "invalid_input"
