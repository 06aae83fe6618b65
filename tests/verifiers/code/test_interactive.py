"""Interactive problems: the program and an interactor talk through pipes, each in its sandbox.

The problem throughout: guess a hidden number in 1..100 in at most 7 questions; the interactor
answers ``higher``, ``lower`` or ``correct``.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from verigrade.sandbox.isolation import UID_BASE, UID_SLOTS
from verigrade.verifiers import Sample, grade
from verigrade.verifiers.code import CodeVerifier

INTERACTOR = """
import sys
secret = int(open(sys.argv[1]).read())
for question in range(7):
    line = sys.stdin.readline()
    if not line:
        print("unexpected eof", file=sys.stderr)
        sys.exit(8)
    try:
        guess = int(line)
    except ValueError:
        print("wrong output format: not a number", file=sys.stderr)
        sys.exit(2)
    if guess == secret:
        print("correct", flush=True)
        print("ok guessed in", question + 1, file=sys.stderr)
        sys.exit(0)
    print("higher" if guess < secret else "lower", flush=True)
print("wrong answer: too many questions", file=sys.stderr)
sys.exit(1)
"""

BINARY_SEARCH = """
low, high = 1, 100
while True:
    middle = (low + high) // 2
    print(middle, flush=True)
    said = input()
    if said == "correct":
        break
    if said == "higher":
        low = middle + 1
    else:
        high = middle - 1
"""

LINEAR = """
for guess in range(1, 101):
    print(guess, flush=True)
    if input() == "correct":
        break
"""

SECRETS = [{"input": "37\n"}, {"input": "1\n"}, {"input": "100\n"}]


def reference(interactor: str = INTERACTOR, language: str = "python") -> dict[str, Any]:
    return {"tests": SECRETS, "interactor": {"language": language, "source": interactor}}


def verify(code: str, ref: Any, tag: str = "python", **options: Any) -> Any:
    verifier = CodeVerifier.from_options(options)
    return verifier.verify(Sample(completion=f"```{tag}\n{code}\n```", reference=ref))


def statuses(verdict: Any) -> list[str]:
    return [t["status"] for t in verdict.details["tests"]]


def test_a_right_strategy_passes() -> None:
    verdict = verify(BINARY_SEARCH, reference())
    assert (verdict.score, verdict.status) == (1.0, "ok"), verdict.reason
    assert verdict.details["style"] == "interactive"
    assert verdict.details["tests"][0]["reason"] == "ok guessed in 3"  # 50, 25, 37


def test_a_wrong_strategy_fails_by_the_interactors_verdict() -> None:
    # Counting up finds 1 at once, and runs out of questions for 37 and 100.
    verdict = verify(LINEAR, reference())
    assert statuses(verdict) == ["failed", "passed", "failed"]
    # The interactor's verdict, then how the program ended (it lost its partner mid-question).
    reason = verdict.details["tests"][0]["reason"]
    assert reason.startswith("wrong answer: too many questions; the program: exit status 1")


def test_garbage_is_the_interactors_presentation_error() -> None:
    verdict = verify("print('fifty', flush=True)\ninput()", reference())
    assert verdict.score == 0.0
    assert verdict.details["tests"][0]["reason"].startswith("wrong output format: not a number")


def test_a_program_that_stalls_is_stopped_at_its_deadline() -> None:
    verdict = verify("import time\ntime.sleep(60)", reference(), test_seconds=1)
    assert (verdict.score, verdict.status) == (0.0, "timeout")
    assert all(
        t["reason"].startswith("the program: killed after") for t in verdict.details["tests"]
    )


def test_a_program_that_waits_for_an_answer_never_asked_is_stopped() -> None:
    # Both sides wait to read: a deadlock that the program's deadline ends, and the program's
    # fault, not the interactor's.
    verdict = verify("input()", reference(), test_seconds=1)
    assert (verdict.score, verdict.status) == (0.0, "timeout")


def test_a_program_that_floods_is_stopped() -> None:
    # The interactor reads seven lines and stops reading; the flood then blocks on the pipe.
    flood = "import sys\nwhile True:\n    sys.stdout.write('1\\n' * 10000)"
    verdict = verify(flood, reference(), test_seconds=1)
    assert verdict.score == 0.0
    assert verdict.details["tests"][0]["status"] in ("failed", "timeout")


def test_a_program_that_floods_stderr_hits_the_output_cap() -> None:
    flood = "import sys\nwhile True:\n    sys.stderr.write('x' * 65536)"
    verdict = verify(flood, reference(), test_seconds=2)
    assert verdict.score == 0.0
    assert verdict.details["tests"][0]["reason"].endswith("the program: output cap exceeded")


def test_a_program_that_finishes_the_dialogue_must_still_exit_cleanly() -> None:
    crash = BINARY_SEARCH + "\nraise RuntimeError('after the answer')"
    verdict = verify(crash, reference())
    assert verdict.score == 0.0
    assert "RuntimeError: after the answer" in verdict.details["tests"][0]["reason"]


def test_the_program_cannot_read_the_interactors_files() -> None:
    # The secret is in the interactor's input.txt: in another sandbox, under another uid.
    cheat = """
import os
found = []
for path in ("input.txt", "answer.txt", "/tmp/work/input.txt"):
    try:
        found.append(open(path).read().strip())
    except OSError:
        pass
print(found[0] if found else 50, flush=True)
print(input() == "correct", file=__import__("sys").stderr)
"""
    verdict = verify(cheat, reference())
    assert verdict.score == 0.0


def test_the_program_cannot_kill_or_see_the_interactor() -> None:
    # Every process it may signal is its own; the interactor, under another uid in another pid
    # namespace, outlives the attempt and gives its verdict.
    program = (
        """
import os, signal, sys
try:
    others = [p for p in os.listdir('/proc') if p.isdigit() and int(p) != os.getpid()]
except OSError:  # no /proc in the sandbox's root
    others = []
print('saw', others, file=sys.stderr)
try:
    os.kill(-1, signal.SIGKILL)
except ProcessLookupError:
    pass
"""
        + BINARY_SEARCH
    )
    verdict = verify(program, reference())
    assert (verdict.score, verdict.status) == (1.0, "ok"), verdict.reason


@pytest.mark.parametrize("program", [BINARY_SEARCH, "pass"])
def test_an_interactor_that_fails_is_the_references_fault(program: str) -> None:
    # Said outright, FAIL stands even when the program then fails too (it lost its partner).
    failing = "import sys\nprint('FAIL the test is broken', file=sys.stderr)\nsys.exit(3)"
    verdict = verify(program, reference(failing))
    assert (verdict.score, verdict.status) == (0.0, "error")
    assert "the interactor reported FAIL: FAIL the test is broken" in verdict.reason


@pytest.mark.parametrize("interactor", ["import os\nos.abort()", "raise SystemExit(42)"])
def test_an_interactor_that_crashes_is_never_accepted(interactor: str) -> None:
    # A program that exits cleanly cannot explain the crash: the reference's fault.
    verdict = verify("pass", reference(interactor))
    assert (verdict.score, verdict.status) == (0.0, "error")
    # A program that dies with it is blamed for the test, and scores nothing either way.
    verdict = verify(BINARY_SEARCH, reference(interactor))
    assert verdict.score == 0.0


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed")
def test_an_interactor_killed_by_the_program_quitting_only_fails_the_test() -> None:
    # The interactor keeps writing after the program quit: SIGPIPE, caused by the program.
    talker = '#include <stdio.h>\nint main(void){for(;;){puts("more");fflush(stdout);}}'
    verdict = verify("pass", reference(talker, "c"))
    assert (verdict.score, verdict.status) == (0.0, "ok")
    assert verdict.details["tests"][0]["reason"] == "the program stopped reading the interactor"
    # A Python interactor gets BrokenPipeError instead (exit status 1: wrong answer).
    talker = (
        "import sys\nwhile True:\n    sys.stdout.write('more\\n' * 1000)\n    sys.stdout.flush()"
    )
    verdict = verify("pass", reference(talker))
    assert (verdict.score, verdict.status) == (0.0, "ok")


def test_interactor_points_give_a_partial_score() -> None:
    points = INTERACTOR.replace(
        'print("ok guessed in", question + 1, file=sys.stderr)\n        sys.exit(0)',
        'print("points", 1.0 if question < 3 else 0.5, file=sys.stderr)\n'
        "        sys.exit(7 if question >= 3 else 0)",
    )
    verdict = verify(BINARY_SEARCH, reference(points))
    # 37 takes three questions (full points), 1 and 100 take six and seven (half).
    assert statuses(verdict) == ["passed", "partial", "partial"]
    assert verdict.score == pytest.approx(2 / 3)


def test_the_interactor_gets_the_answer_file_when_the_test_has_one() -> None:
    reads_answer = (
        "import sys\nanswer = open(sys.argv[3]).read().strip()\n"
        "print(answer, flush=True)\nsys.exit(0 if input() == answer else 1)"
    )
    ref = {"tests": [{"input": "x", "output": "echo me"}], "interactor": {"source": reads_answer}}
    assert verify("print(input(), flush=True)", ref).score == 1.0
    assert verify("input()\nprint('no', flush=True)", ref).score == 0.0


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed")
def test_c_on_both_sides() -> None:
    interactor = r"""
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv) {
    FILE *in = fopen(argv[1], "r"); int secret, guess, q;
    if (!in || fscanf(in, "%d", &secret) != 1) return 3;
    for (q = 0; q < 7; q++) {
        if (scanf("%d", &guess) != 1) { fprintf(stderr, "unexpected eof\n"); return 8; }
        if (guess == secret) { printf("correct\n"); fflush(stdout); fprintf(stderr, "ok\n"); return 0; }
        printf(guess < secret ? "higher\n" : "lower\n"); fflush(stdout);
    }
    fprintf(stderr, "too many\n"); return 1;
}
"""
    program = r"""
#include <stdio.h>
#include <string.h>
int main(void) {
    int low = 1, high = 100; char said[16];
    for (;;) {
        int middle = (low + high) / 2;
        printf("%d\n", middle); fflush(stdout);
        if (scanf("%15s", said) != 1 || !strcmp(said, "correct")) return 0;
        if (!strcmp(said, "higher")) low = middle + 1; else high = middle - 1;
    }
}
"""
    verdict = verify(program, reference(interactor, "c"), tag="c", language="c")
    assert (verdict.score, verdict.status) == (1.0, "ok"), verdict.reason
    verdict = verify(LINEAR, reference(interactor, "c"))
    assert statuses(verdict) == ["failed", "passed", "failed"]


@pytest.mark.parametrize(
    "extra",
    [
        {"checker": {"source": "pass"}},
        {"input_file": "input.txt"},
        {"output_file": "output.txt"},
    ],
)
def test_an_interactor_goes_alone(extra: dict[str, Any]) -> None:
    verdict = verify(BINARY_SEARCH, {**reference(), **extra})
    assert verdict.status == "invalid_input"


def ours_in_the_sandbox() -> list[int]:
    """Sandboxed processes forked by this worktree's fork servers (other checkouts on the
    machine run sandboxes of their own: their command lines name their own path)."""
    here = str(Path(__file__).resolve().parents[3]).encode()
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/status") as status:
                uid = next(int(line.split()[1]) for line in status if line.startswith("Uid:"))
            with open(f"/proc/{entry}/cmdline", "rb") as cmdline:
                command = cmdline.read()
        except (OSError, StopIteration, ValueError):
            continue
        if UID_BASE <= uid < UID_BASE + UID_SLOTS and here in command:
            found.append(int(entry))
    return found


def test_the_pool_deadline_takes_both_sides_down() -> None:
    # Both sides wait forever; the pool kills the worker at the item's deadline, and with it
    # both fork servers and both runs (forked Python runs carry the fork server's command line).
    stalled = {"tests": [{"input": "1"}], "interactor": {"source": "import time\ntime.sleep(60)"}}
    sample = {"completion": "```python\ninput()\n```", "reference": stalled}
    grades = grade([sample], {"code": {"test_seconds": 20}}, workers=1, timeout=2.0)
    assert grades[0].verdicts["code"].status == "timeout"
    deadline = time.monotonic() + 5
    while ours_in_the_sandbox() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ours_in_the_sandbox() == []
