"""The ``code`` verifier: test styles, scoring, statuses, languages, registration."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from typing import Any

import pytest
from verigrade.sandbox import client as sandbox_client
from verigrade.sandbox.isolation import UID_BASE, UID_SLOTS
from verigrade.verifiers import Sample, get_verifier, grade
from verigrade.verifiers.code import CodeVerifier
from verigrade.verifiers.code.build import COMPILE_SECONDS as _COMPILE_SECONDS


def fenced(code: str, tag: str = "python") -> str:
    return f"Here is my solution.\n```{tag}\n{code}\n```\n"


def verify(code: str, reference: Any, tag: str = "python", **options: Any) -> Any:
    verifier = CodeVerifier.from_options(options)
    return verifier.verify(Sample(completion=fenced(code, tag), reference=reference))


ADD_STDIO = {"tests": [{"input": "1 2\n", "output": "3\n"}, {"input": "5 5\n", "output": "10\n"}]}
ADD_CALLS = {
    "fn_name": "add",
    "tests": [{"args": [1, 2], "expected": 3}, {"args": [[1], [2]], "expected": [1, 2]}],
}


def test_registered_under_its_name() -> None:
    assert get_verifier("code") is CodeVerifier


def test_stdio_pass() -> None:
    verdict = verify("a, b = map(int, input().split())\nprint(a + b)", ADD_STDIO)
    assert (verdict.score, verdict.status) == (1.0, "ok")
    assert verdict.details["passed"] == 2 and verdict.details["style"] == "stdio"


def test_fraction_and_all_or_nothing() -> None:
    code = "a, b = map(int, input().split())\nprint(3)"
    assert verify(code, ADD_STDIO).score == 0.5
    assert verify(code, ADD_STDIO, scoring="all_or_nothing").score == 0.0
    tests = verify(code, ADD_STDIO).details["tests"]
    assert [t["passed"] for t in tests] == [True, False]
    assert "line 1 differs" in tests[1]["reason"]


def test_function_calls() -> None:
    verdict = verify("def add(a, b):\n    return a + b", ADD_CALLS)
    assert verdict.score == 1.0 and verdict.details["style"] == "function"


def test_function_call_with_wrong_type() -> None:
    # True is not 3, and a tuple stands for a list (JSON has no tuples).
    code = "def add(a, b):\n    return True if a == 1 else tuple(a + b)"
    verdict = verify(code, ADD_CALLS)
    assert [t["passed"] for t in verdict.details["tests"]] == [False, True]


def test_int_keys_answer_the_string_keys_of_a_json_reference() -> None:
    # JSON objects have string keys only, so {"1": "a"} is how a reference says {1: "a"}.
    reference = {"fn_name": "f", "tests": [{"args": [], "expected": {"1": "a", "10": "b"}}]}
    assert verify("def f():\n    return {1: 'a', 10: 'b'}", reference).score == 1.0
    assert verify("def f():\n    return {1: 'a', 10: 'c'}", reference).score == 0.0


def test_function_exception_fails_that_test_only() -> None:
    code = "def add(a, b):\n    if a == 1:\n        raise ValueError('no')\n    return a + b"
    verdict = verify(code, ADD_CALLS)
    assert verdict.score == 0.5
    assert "ValueError" in verdict.details["tests"][0]["reason"]


def test_function_timeout_then_fresh_program_for_the_next_test() -> None:
    code = "import time\ndef add(a, b):\n    if a == 1:\n        time.sleep(60)\n    return a + b"
    verdict = verify(code, ADD_CALLS, test_seconds=0.5)
    assert [t["status"] for t in verdict.details["tests"]] == ["timeout", "passed"]
    assert verdict.status == "ok" and verdict.score == 0.5


def test_a_program_that_exits_in_a_call_is_reported_as_exiting() -> None:
    # It was reported as a timeout (and all-exiting programs as a "timeout" verdict).
    for reference in (ADD_CALLS, ADD_ASSERTS):
        verdict = verify("import os\ndef add(a, b):\n    os._exit(3)", reference)
        assert (verdict.status, verdict.score) == ("ok", 0.0), verdict
        assert {t["status"] for t in verdict.details["tests"]} == {"failed"}
        assert "exit status 3" in verdict.details["tests"][0]["reason"]


def test_every_test_timing_out_is_a_timeout_verdict() -> None:
    verdict = verify("while True: pass", ADD_STDIO, test_seconds=0.5)
    assert (verdict.status, verdict.score) == ("timeout", 0.0)


def test_assert_style() -> None:
    reference = {
        "test_code": "def check(candidate):\n    assert candidate(2) == 4\n    assert candidate(-1) == 1",
        "entry_point": "square",
    }
    assert verify("def square(x):\n    return x * x", reference).score == 1.0
    failed = verify("def square(x):\n    return 2 * x", reference)
    assert failed.score == 0.0 and "assertion" in failed.reason


ADD_ASSERTS = {"test_code": "assert add(1, 2) == 3", "entry_point": "add"}

# The judge under -O: asserts in the test code and in the prelude (a helper that asserts),
# with a loop so that the dry run's compiled copy is used too.
JUDGE_UNDER_O = """
import sys
from verigrade.verifiers import Sample
from verigrade.verifiers.code import CodeVerifier

reference = {
    "test_code": (
        "def check(candidate):\\n"
        "    assert candidate(1) == 2\\n"
        "    for i in range(3):\\n"
        "        assert candidate(i) == i + 1\\n"
        "    expect(candidate(5), 6)\\n"
    ),
    "prelude": "def expect(got, want):\\n    assert got == want, (got, want)\\n",
    "entry_point": "inc",
}
verifier = CodeVerifier.from_options({"test_seconds": 2.0})
scores = []
for body in ("return x + 1", "return 0", "return x + 1 if x < 5 else 0"):
    program = f"```python\\ndef inc(x):\\n    {body}\\n```"
    scores.append(verifier.verify(Sample(completion=program, reference=reference)).score)
print(sys.flags.optimize, scores)
"""


@pytest.mark.parametrize(
    ("flags", "environment"), [(["-O"], {}), ([], {"PYTHONOPTIMIZE": "1"})], ids=["-O", "env"]
)
def test_the_judge_keeps_asserts_under_optimize(
    flags: list[str], environment: dict[str, str]
) -> None:
    result = subprocess.run(
        [sys.executable, *flags, "-c", JUDGE_UNDER_O],
        capture_output=True,
        text=True,
        env={**os.environ, **environment},
        timeout=120,  # a hang guard
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout == "1 [1.0, 0.0, 0.0]\n"


@pytest.mark.parametrize("reference", [ADD_STDIO, ADD_CALLS, ADD_ASSERTS])
def test_a_sandbox_failure_is_an_error_not_a_wrong_program(
    reference: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A setup stream the child cannot read: it reports the failure and exits before the
    # program runs. Calls sent ahead of that (assert style) must not turn it into a score.
    def unreadable_setup(program: bytes, files: Any) -> bytes:
        return (1).to_bytes(8, "little") + len(program).to_bytes(8, "little") + b"{" + program

    monkeypatch.setattr(sandbox_client, "_setup_bytes", unreadable_setup)
    verdict = verify(
        "def add(a, b):\n    return a + b\nprint(sum(map(int, input().split())))", reference
    )
    assert verdict.status == "error" and "sandbox failure" in verdict.reason, verdict


def test_assert_style_keyword_arguments_are_sent() -> None:
    reference = {
        "test_code": "def check(candidate):\n"
        "    assert candidate([3, 1, 2], reverse=True) == [3, 2, 1]\n"
        "    assert candidate([3, 1, 2]) == [1, 2, 3]\n",
        "entry_point": "order",
    }
    good = "def order(xs, reverse=False):\n    return sorted(xs, reverse=reverse)"
    assert verify(good, reference).score == 1.0
    ignores = verify("def order(xs, **options):\n    return sorted(xs)", reference)
    assert ignores.score == 0.0 and "assertion" in ignores.reason


def test_assert_style_expected_exception_still_works() -> None:
    reference = {
        "test_code": (
            "def check(candidate):\n"
            "    try:\n"
            "        candidate(-1)\n"
            "    except ValueError:\n"
            "        pass\n"
            "    else:\n"
            "        raise AssertionError('no error')"
        ),
        "entry_point": "root",
    }
    good = "def root(x):\n    if x < 0:\n        raise ValueError('negative')\n    return x"
    assert verify(good, reference).score == 1.0
    assert verify("def root(x):\n    return x", reference).score == 0.0


def test_ints_past_the_text_limit_in_every_style() -> None:
    # 10**5000 has more digits than Python writes as text by default (4,300).
    calls = {"fn_name": "big", "tests": [{"args": [5000], "expected": 10**5000}]}
    assert verify("def big(n):\n    return 10**n", calls).score == 1.0
    wrong = verify("def big(n):\n    return 10**n + 1", calls)
    assert wrong.score == 0.0 and "bits" in wrong.details["tests"][0]["reason"]
    asserts = {"test_code": "assert big(5000) == 10**5000, big(5000)", "entry_point": "big"}
    assert verify("def big(n):\n    return 10**n", asserts).score == 1.0
    # The failed assert's message is the returned int: showing it must not raise.
    wrong = verify("def big(n):\n    return 10**n + 1", asserts)
    assert wrong.score == 0.0 and "assertion failed" in wrong.reason
    # A returned int key is compared with a JSON reference's str keys as its str(): one too
    # long for text is none of them (str() of it raised ValueError in the judge).
    keys = {"fn_name": "keyed", "tests": [{"args": [], "expected": {"1": 2}}]}
    assert verify("def keyed():\n    return {1: 2}", keys).score == 1.0
    wrong = verify("def keyed():\n    return {10**5000: 2}", keys)
    assert (wrong.status, wrong.score) == ("ok", 0.0)
    # Printed: compared as text, never read into an int.
    digits = "9" * 10_000
    stdio = {"tests": [{"input": "", "output": digits + "\n"}]}
    printer = "import sys\nsys.set_int_max_str_digits(0)\nprint(10**10000 - 1)"
    assert verify(printer, stdio).score == 1.0
    assert verify(printer.replace("- 1", "- 2"), stdio).score == 0.0


def test_a_c_program_killed_by_an_unnamed_signal_scores_zero() -> None:
    # signal.Signals(40) raises ValueError: the reason made verify() raise.
    verdict = verify(
        "#include <signal.h>\nint main(void) { raise(40); }", ADD_STDIO, "c", language="c"
    )
    assert (verdict.status, verdict.score) == ("ok", 0.0)
    assert verdict.details["tests"][0]["reason"] == "killed by signal 40"


def test_a_returned_list_of_values_sharing_one_hash_is_refused() -> None:
    # The test's own set() of 38,000 ints with one hash would take the judge 7-24 s.
    program = "def spread(k):\n    return [(2**61 - 1) * n + k for n in range(1, 38_001)]"
    asserts = {"test_code": "assert len(set(spread(7))) == 38_000", "entry_point": "spread"}
    verdict = verify(program, asserts)
    assert (verdict.status, verdict.score) == ("ok", 0.0)
    assert "share one hash" in verdict.reason


def test_no_code_block_is_no_answer() -> None:
    verifier = CodeVerifier()
    verdict = verifier.verify(Sample(completion="I think the answer is 3.", reference=ADD_STDIO))
    assert verdict.status == "no_answer"


def test_syntax_error_is_a_failed_test_not_an_error() -> None:
    verdict = verify("def (:", ADD_STDIO)
    assert (verdict.status, verdict.score) == ("ok", 0.0)
    assert "SyntaxError" in verdict.details["tests"][0]["reason"]


@pytest.mark.parametrize(
    "reference",
    [
        None,
        "3",
        {"tests": []},
        {"tests": [{"input": "1"}]},
        {"tests": [{"input": 1, "output": "1"}]},
        {"fn_name": "f", "tests": [{"args": 1, "expected": 1}]},
        {"fn_name": "f", "tests": [{"args": [1]}]},
        {"test_code": "def check(c): pass"},
        {"test_code": "def check(c):\n  assert (", "entry_point": "f"},
        {"test_code": "def check(c): pass", "entry_point": "f", "prelude": "1/0"},
    ],
)
def test_malformed_reference_is_invalid_input(reference: Any) -> None:
    verdict = verify("def f(x):\n    return x", reference)
    assert verdict.status == "invalid_input"
    assert "malformed reference" in verdict.reason


def test_float_tolerance_is_configurable() -> None:
    reference = {"tests": [{"input": "", "output": "0.333\n"}]}
    assert verify("print(1/3)", reference).score == 0.0
    assert verify("print(1/3)", reference, float_tolerance=1e-2).score == 1.0


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed")
def test_c_program() -> None:
    code = '#include <stdio.h>\nint main(){int a,b;scanf("%d %d",&a,&b);printf("%d\\n",a+b);}'
    verdict = verify(code, ADD_STDIO, tag="c", language="c")
    assert verdict.score == 1.0, verdict.reason


@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ is not installed")
def test_cpp_program() -> None:
    code = "#include <iostream>\nint main(){long a,b;std::cin>>a>>b;std::cout<<a+b<<std::endl;}"
    verdict = verify(code, ADD_STDIO, tag="cpp", language="cpp")
    assert verdict.score == 1.0, verdict.reason


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed")
def test_c_compile_error_scores_zero() -> None:
    verdict = verify("int main( {", ADD_STDIO, tag="c", language="c")
    assert (verdict.status, verdict.score) == ("ok", 0.0)
    assert "compile error" in verdict.reason


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed")
def test_c_program_cannot_include_host_files() -> None:
    code = '#include "/etc/passwd"\nint main(){return 0;}'
    verdict = verify(code, ADD_STDIO, tag="c", language="c")
    assert verdict.score == 0.0
    assert "root:" not in verdict.reason


def test_through_the_worker_pool() -> None:
    samples = [
        {
            "completion": fenced("a, b = map(int, input().split())\nprint(a + b)"),
            "reference": ADD_STDIO,
        },
        {"completion": fenced("print(0)"), "reference": ADD_STDIO},
        {"completion": "no code", "reference": ADD_STDIO},
    ]
    grades = grade(samples, "code", workers=1)
    assert [g.reward for g in grades] == [1.0, 0.0, 0.0]
    assert grades[2].verdicts["code"].status == "no_answer"


def test_pool_deadline_is_above_the_sandbox_worst_case() -> None:
    properties = CodeVerifier.options_schema()["properties"]
    budget = properties["total_seconds"]["maximum"]
    compile_seconds = _COMPILE_SECONDS
    kill_margins = 5  # the fork server's grace and the drain after a kill
    assert CodeVerifier.timeout > budget + compile_seconds + kill_margins


def test_pool_deadline_kill_leaves_no_sandboxed_process() -> None:
    # The pool kills a worker (and its process group, fork server included) at the item
    # deadline; the run's tree must die with it.
    sample = {"completion": fenced("import time\ntime.sleep(60)"), "reference": ADD_STDIO}
    grades = grade([sample], {"code": {"test_seconds": 20}}, workers=1, timeout=1.0)
    assert grades[0].verdicts["code"].status == "timeout"
    deadline = time.monotonic() + 3
    while sandboxed_processes() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sandboxed_processes() == []


def sandboxed_processes(
    uids: range | tuple[int, ...] = range(UID_BASE, UID_BASE + UID_SLOTS),
) -> list[int]:
    """Processes running as any of ``uids`` (by default, any sandbox uid on the machine)."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/status") as status:
                uid = next(int(line.split()[1]) for line in status if line.startswith("Uid:"))
        except (OSError, StopIteration, ValueError):
            continue
        if uid in uids:
            found.append(int(entry))
    return found


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc is not installed")
@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("infinite_loop", "int main(){for(;;);}"),
        ("fork_bomb", "#include <unistd.h>\nint main(){for(;;)fork();}"),
        ("sleep_and_ignore_signals", "#include <signal.h>\n#include <unistd.h>\n"
         "int main(){for(int s=1;s<32;s++)signal(s,SIG_IGN);for(;;)pause();}"),
        ("daemon_keeping_stdout", "#include <stdio.h>\n#include <unistd.h>\n"
         "int main(){if(fork()==0){setsid();for(;;){puts(\"7\");fflush(stdout);sleep(1);}}"
         "return 0;}"),
        ("memory_bomb", "#include <stdlib.h>\n#include <string.h>\n"
         "int main(){for(;;){char*p=malloc(1<<26);if(p)memset(p,1,1<<26);}}"),
    ],
)  # fmt: skip
def test_hostile_c_programs_score_zero_and_leave_nothing(name: str, code: str) -> None:
    verdict = verify(code, ADD_STDIO, tag="c", language="c", test_seconds=1.0)
    assert verdict.score == 0.0, (name, verdict.reason)
    # The run's fork server holds its uid slot locked for its whole life, so every process
    # the program left (a daemon included: it cannot change its uid) runs as that uid and
    # no other sandbox on the machine does; other test runs' sandboxes are not counted.
    uid = sandbox_client.default_sandbox().uid
    assert uid is not None and UID_BASE <= uid < UID_BASE + UID_SLOTS
    deadline = time.monotonic() + 3
    while sandboxed_processes((uid,)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sandboxed_processes((uid,)) == []
