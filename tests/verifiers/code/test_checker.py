"""Checkers: several right outputs, testlib and CMS verdicts, partial scores, and programs that
try to fool the checker or make it fail.

The problem throughout: print one number greater than the input ``n`` (any such number is
right), so an exact comparison could not judge it.
"""

from __future__ import annotations

import shutil
from typing import Any

import pytest
from verigrade.verifiers import Sample
from verigrade.verifiers.code import CodeVerifier
from verigrade.verifiers.code import stdio as stdio_module

TESTS = [{"input": "3\n", "output": "4\n"}, {"input": "10\n", "output": "11\n"}]

# A testlib-style checker in Python: arguments input, output, answer; exit 0/1/2.
GREATER = """
import sys
n = int(open(sys.argv[1]).read())
tokens = open(sys.argv[2], "rb").read().split()
if len(tokens) != 1:
    print(f"wrong output format: {len(tokens)} tokens", file=sys.stderr)
    sys.exit(2)
if not tokens[0].isdigit() or int(tokens[0]) <= n:
    print("wrong answer: not greater than", n, file=sys.stderr)
    sys.exit(1)
print("ok", file=sys.stderr)
"""

C_GREATER = r"""
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv) {
    long n, x; char extra[2];
    if (argc != 4 || strcmp(argv[1], "input.txt") || strcmp(argv[2], "output.txt")) return 3;
    FILE *in = fopen(argv[1], "r"), *out = fopen(argv[2], "r");
    if (!in || fscanf(in, "%ld", &n) != 1) { fprintf(stderr, "bad input\n"); return 3; }
    if (!out || fscanf(out, "%ld", &x) != 1) { fprintf(stderr, "no number\n"); return 2; }
    if (fscanf(out, "%1s", extra) == 1) { fprintf(stderr, "extra output\n"); return 2; }
    if (x <= n) { fprintf(stderr, "wrong answer %ld <= %ld\n", x, n); return 1; }
    fprintf(stderr, "ok %ld > %ld\n", x, n);
    return 0;
}
"""

needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed")


def fenced(code: str, tag: str = "python") -> str:
    return f"```{tag}\n{code}\n```\n"


def verify(code: str, reference: Any, tag: str = "python", **options: Any) -> Any:
    verifier = CodeVerifier.from_options(options)
    return verifier.verify(Sample(completion=fenced(code, tag), reference=reference))


def with_checker(source: str, language: str = "python", **more: Any) -> dict[str, Any]:
    return {"tests": TESTS, "checker": {"language": language, "source": source, **more}}


def statuses(verdict: Any) -> list[str]:
    return [t["status"] for t in verdict.details["tests"]]


# -- several right answers -----------------------------------------------------------------


@pytest.mark.parametrize(
    "program",
    ["print(int(input()) + 1)", "print(int(input()) * 1000)", "print(10 ** 30)"],
)
def test_each_right_answer_passes(program: str) -> None:
    verdict = verify(program, with_checker(GREATER))
    assert (verdict.score, verdict.status) == (1.0, "ok"), verdict.reason


def test_a_right_answer_the_exact_comparison_would_refuse() -> None:
    # Without the checker, 1000 for n=3 is wrong (the reference's output is 4).
    assert verify("print(1000)", {"tests": TESTS[:1]}).score == 0.0
    assert (
        verify(
            "print(1000)", {"tests": TESTS[:1], "checker": with_checker(GREATER)["checker"]}
        ).score
        == 1.0
    )


def test_wrong_answer_and_presentation_error_fail_with_the_checkers_message() -> None:
    verdict = verify("n = int(input())\nprint(n if n == 3 else n + 1)", with_checker(GREATER))
    assert (verdict.score, statuses(verdict)) == (0.5, ["failed", "passed"])
    assert verdict.details["tests"][0]["reason"] == "wrong answer: not greater than 3"
    verdict = verify("print(100, 200)", with_checker(GREATER))
    assert verdict.score == 0.0
    assert verdict.details["tests"][0]["reason"] == "wrong output format: 2 tokens"


def test_tests_need_no_output_when_a_checker_decides() -> None:
    reference = with_checker(GREATER)
    reference["tests"] = [{"input": "3\n"}, {"input": "7\n"}]
    assert verify("print(int(input()) + 1)", reference).score == 1.0


def test_the_checker_gets_the_answer_file() -> None:
    # A checker that compares with the reference's answer, whatever its spacing.
    same = "import sys\nsys.exit(open('output.txt').read().split() != open('answer.txt').read().split())"
    assert verify("print(' ', int(input()) + 1, ' ')", with_checker(same)).score == 1.0
    assert verify("print(int(input()) + 2)", with_checker(same)).score == 0.0


@needs_gcc
def test_a_checker_in_c() -> None:
    assert verify("print(int(input()) + 5)", with_checker(C_GREATER, "c")).score == 1.0
    verdict = verify("print(1)", with_checker(C_GREATER, "c"))
    assert verdict.score == 0.0
    assert verdict.details["tests"][0]["reason"] == "wrong answer 1 <= 3"


@needs_gcc
def test_a_c_program_judged_by_a_python_checker() -> None:
    program = '#include <stdio.h>\nint main(){long n; scanf("%ld",&n); printf("%ld\\n", n*2+1);}'
    assert verify(program, with_checker(GREATER), tag="c", language="c").score == 1.0


# -- partial scores ------------------------------------------------------------------------

# testlib's quitp: exit status 7 and "points <x> <message>" on stderr.
HALF_FOR_EQUAL = """
import sys
n = int(open("input.txt").read()); x = int(open("output.txt").read())
if x > n:
    sys.exit(0)
if x == n:
    print("points 0.5 equal is half right", file=sys.stderr)
    sys.exit(7)
sys.exit(1)
"""


def test_testlib_points_give_a_partial_score() -> None:
    verdict = verify("print(int(input()))", with_checker(HALF_FOR_EQUAL))
    assert verdict.score == 0.5 and statuses(verdict) == ["partial", "partial"]
    assert [t["score"] for t in verdict.details["tests"]] == [0.5, 0.5]
    assert verdict.details["tests"][0]["reason"] == "points 0.5 equal is half right"
    verdict = verify("n = int(input())\nprint(n + (n == 3))", with_checker(HALF_FOR_EQUAL))
    assert verdict.score == 0.75 and verdict.details["passed"] == 1


def test_all_or_nothing_takes_a_partial_score_as_a_failure() -> None:
    verdict = verify("print(int(input()))", with_checker(HALF_FOR_EQUAL), scoring="all_or_nothing")
    assert verdict.score == 0.0


@pytest.mark.parametrize("said", ["points 1.5", "points -0.1", "points nan", "points", "0.5"])
def test_points_without_a_score_in_range_are_the_checkers_failure(said: str) -> None:
    checker = f"import sys\nprint({said!r}, file=sys.stderr)\nsys.exit(7)"
    verdict = verify("print(1)", with_checker(checker))
    assert (verdict.score, verdict.status) == (0.0, "error")
    assert "points without a score" in verdict.reason


# CMS's protocol: arguments input, answer, output; the score on stdout; exit status 0.
CMS = """
import sys
assert sys.argv[1:] == ["input.txt", "answer.txt", "output.txt"], sys.argv
n = int(open(sys.argv[1]).read())
try:
    x = int(open(sys.argv[3]).read())
except ValueError:
    x = n - 1
print(1.0 if x > n else 0.25 if x == n else 0.0)
print("translate:partial", file=sys.stderr)
"""


def test_a_cms_checker_prints_its_score() -> None:
    reference = with_checker(CMS, protocol="cms")
    assert verify("print(int(input()) + 1)", reference).score == 1.0
    verdict = verify("print(int(input()))", reference)
    assert verdict.score == 0.25 and statuses(verdict) == ["partial", "partial"]
    assert verify("print(0)", reference).score == 0.0


def test_a_cms_checker_without_a_score_failed() -> None:
    reference = with_checker("print('accepted')", protocol="cms")
    verdict = verify("print(1)", reference)
    assert (verdict.score, verdict.status) == (0.0, "error")
    reference = with_checker("import sys\nprint(1.0)\nsys.exit(1)", protocol="cms")
    assert verify("print(1)", reference).status == "error"


# -- a Python function as the checker ------------------------------------------------------


@pytest.mark.parametrize(
    "body, score",
    [
        ("return int(output) > int(input)", 1.0),
        ("return 0.25", 0.25),
        ("return (int(output) > int(input), 'compared')", 1.0),
        ("return (0.5, 'half')", 0.5),
        ("return False", 0.0),
    ],
)
def test_a_checker_function_returns_a_verdict(body: str, score: float) -> None:
    source = f"def check(input, output, answer):\n    {body}"
    verdict = verify("print(int(input()) + 1)", with_checker(source, function="check"))
    assert (verdict.score, verdict.status) == (score, "ok")


@pytest.mark.parametrize(
    "body",
    ["raise ValueError('bug')", "return 2.0", "return 'yes'", "return None", "while True: pass"],
)
def test_a_checker_function_that_fails_scores_nothing(
    body: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stdio_module, "CHECKER_SECONDS", 1.0)
    source = f"def check(input, output, answer):\n    {body}"
    verdict = verify("print(int(input()) + 1)", with_checker(source, function="check"))
    assert (verdict.score, verdict.status) == (0.0, "error"), verdict.reason


def test_a_missing_checker_function_is_the_references_fault() -> None:
    verdict = verify("print(1)", with_checker("def other(): pass", function="check"))
    assert (verdict.score, verdict.status) == (0.0, "error")


# -- checkers that fail --------------------------------------------------------------------


@pytest.mark.parametrize(
    "checker, said",
    [
        (
            "import sys\nprint('FAIL answer file is broken', file=sys.stderr)\nsys.exit(3)",
            "reported FAIL",
        ),
        # A Python checker runs as pid 1 of its pid namespace, which SIGABRT cannot end:
        # abort() then ends it by another signal.
        ("import os\nos.abort()", "the checker failed: killed by"),
        ("import sys\nsys.exit(42)", "exit status 42"),
        ("x = 'x' * (1 << 40)", "exit status 1"),  # MemoryError: a Python checker's exit 1
    ],
)
def test_a_checker_that_crashes_is_never_accepted(checker: str, said: str) -> None:
    verdict = verify("print(int(input()) + 1)", with_checker(checker))
    assert verdict.score == 0.0
    assert verdict.details is None or verdict.details.get("passed", 0) == 0
    if said != "exit status 1":  # testlib's WA is exit status 1: a Python exception is a WA
        assert verdict.status == "error" and said in verdict.reason


def test_a_checker_that_hangs_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stdio_module, "CHECKER_SECONDS", 1.0)
    verdict = verify("print(int(input()) + 1)", with_checker("while True: pass"))
    assert (verdict.score, verdict.status) == (0.0, "error")
    assert "the checker failed: killed after" in verdict.reason


@needs_gcc
def test_a_checker_that_does_not_compile_is_invalid_input() -> None:
    verdict = verify("print(1)", with_checker("int main( {", "c"))
    assert verdict.status == "invalid_input" and "the checker does not compile" in verdict.reason


@pytest.mark.parametrize(
    "checker",
    [
        "not an object",
        {"language": "python"},
        {"language": "cobol", "source": "x"},
        {"source": "x", "function": "not a name"},
        {"language": "c", "source": "x", "function": "check"},
        {"source": "x", "protocol": "icpc"},
        {"source": "x", "function": "check", "protocol": "cms"},
        {"source": "x", "surprise": 1},
    ],
)
def test_a_malformed_checker_is_invalid_input(checker: Any) -> None:
    verdict = verify("print(1)", {"tests": TESTS, "checker": checker})
    assert verdict.status == "invalid_input"


def test_a_checker_is_for_stdio_tests_only() -> None:
    reference = {"fn_name": "f", "tests": [{"args": [], "expected": 1}], "checker": {"source": "x"}}
    verdict = verify("def f():\n    return 1", reference)
    assert verdict.status == "invalid_input" and "not for function tests" in verdict.reason


# -- programs that try to fool the checker -------------------------------------------------


@pytest.mark.parametrize(
    "program",
    [
        # testlib's accept words, on stdout and stderr, with a wrong answer.
        "print('ok')",
        "import sys\nprint('ok 1 number', file=sys.stderr)\nprint(0)",
        "import sys\nprint('points 1.0', file=sys.stderr)\nprint(0)",
        "print('points 1.0 accepted')",
        # CMS's score line.
        "print('1.0')",
        # An exit status of 0 after a wrong answer, and an exit status testlib reads as points.
        "print(0)\nraise SystemExit(0)",
        "print(0)\nraise SystemExit(7)",
    ],
)
def test_printing_the_accept_token_is_not_accepted(program: str) -> None:
    for reference in (with_checker(GREATER), with_checker(CMS, protocol="cms")):
        verdict = verify(program, reference)
        assert verdict.score == 0.0 and verdict.status == "ok", (program, verdict.reason)


def test_files_the_program_writes_do_not_reach_the_checker() -> None:
    # A fake answer and a fake output beside a wrong stdout: the checker reads its own files.
    program = (
        "for name in ('answer.txt', 'output.txt', 'input.txt'):\n"
        "    open(name, 'w').write('0\\n')\n"
        "open('result.txt', 'w').write('ok')\n"
        "print(0)"
    )
    same = "import sys\nsys.exit(open('output.txt').read().split() != open('answer.txt').read().split())"
    assert verify(program, with_checker(same)).score == 0.0
    assert verify(program, with_checker(GREATER)).score == 0.0


def test_huge_output_fails_without_reaching_the_checker() -> None:
    verdict = verify("import sys\nsys.stdout.write('9' * (8 << 20))", with_checker(GREATER))
    assert verdict.score == 0.0 and verdict.status == "ok"
    assert verdict.details["tests"][0]["reason"] == "output cap exceeded"


def test_invalid_bytes_reach_a_checker_program_as_they_were_printed() -> None:
    # The checker accepts only the exact bytes 0xff 0xfe: they arrive unchanged.
    exact = "import sys\nsys.exit(open('output.txt', 'rb').read() != b'\\xff\\xfe')"
    program = "import sys\nsys.stdout.buffer.write(b'\\xff\\xfe')"
    assert verify(program, with_checker(exact)).score == 1.0
    # A checker reading text raises on them: testlib's WA (exit status 1), never accepted.
    text = "import sys\nsys.exit(open('output.txt', encoding='utf-8').read().strip() != '4')"
    verdict = verify("import sys\nsys.stdout.buffer.write(b'4\\xff')", with_checker(text))
    assert verdict.score == 0.0 and "UnicodeDecodeError" in verdict.details["tests"][0]["reason"]


def test_invalid_bytes_equal_no_character_in_a_checker_function() -> None:
    # Decoded with "replace", 0xff would become U+FFFD and equal an answer holding U+FFFD.
    source = "def check(input, output, answer):\n    return output.strip() == answer.strip()"
    reference = {
        "tests": [{"input": "", "output": "\ufffd\n"}],
        "checker": {"source": source, "function": "check"},
    }
    assert verify("print('\\ufffd')", reference).score == 1.0
    assert verify("import sys\nsys.stdout.buffer.write(b'\\xff\\n')", reference).score == 0.0
