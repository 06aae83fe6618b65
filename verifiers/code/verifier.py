"""R1's accuracy reward for code: run the completion's program against test cases in the sandbox.

The program is the last fenced block of the language (configurable). ``reference`` holds the
tests, in one of three styles:

- stdin/stdout: ``{"tests": [{"input": "1 2\\n", "output": "3\\n"}, ...]}`` — one fresh run
  per test; output compared by the rules in ``compare``, or decided by a ``checker``, or the
  program talks with an ``interactor``; input and output may be files (see ``stdio``).
- function calls (Python): ``{"fn_name": "add", "tests": [{"args": [1, 2], "expected": 3}]}``
  — the program is loaded once and answers calls; return values come back as exact plain
  types and are compared here.
- assert-style (Python, HumanEval): ``{"test_code": "def check(candidate): ...",
  "entry_point": "add", "prelude": "<optional trusted code, e.g. the prompt>"}`` — the test
  code runs here and calls into the program (see ``harness``); one test.

Everything the program could learn or touch lives in the sandbox; expected outputs never leave
this process (bar a trusted checker's or interactor's own sandbox), and this process decides.
Score: fraction of tests passed (a checker's partial scores count), all-or-nothing, or by
``subtasks`` (see ``subtasks``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal, get_args, get_type_hints

from verigrade.sandbox import Limits, Sandbox, SandboxError, default_sandbox, wire

from ..core.base import Verifier
from ..core.model import Sample, Verdict
from ..core.options import Opt
from . import subtasks
from .build import CompileError, ToolchainMissing, build
from .compare import values_equal
from .errors import BadReference, CheckerFailed
from .extract import extract_program
from .harness import BrokenReference, run_check
from .outcome import TestOutcome as _TestResult
from .preview import preview
from .stdio import Judging, StdioJudge, parse_judging


@dataclass(frozen=True)
class CodeOptions:
    """Options of ``code``."""

    language: Annotated[
        Literal["python", "c", "cpp", "java", "javascript", "go", "rust"],
        Opt("language of the program to run"),
    ] = "python"
    block: Annotated[Literal["last", "first"], Opt("which fenced block of the language to run")] = (
        "last"
    )
    accept_untagged: Annotated[
        bool, Opt("use untagged ``` blocks when none is tagged with the language")
    ] = True
    scoring: Annotated[
        Literal["fraction", "all_or_nothing"],
        Opt("fraction of tests passed, or 1 only when all pass"),
    ] = "fraction"
    float_tolerance: Annotated[
        float, Opt("relative and absolute tolerance between floats", ge=0, le=1)
    ] = 1e-6
    test_seconds: Annotated[
        float, Opt("wall-clock limit of one test (CPU limit too)", gt=0, le=20)
    ] = 4.0
    total_seconds: Annotated[
        float, Opt("wall-clock budget for all tests of one sample", gt=0, le=40)
    ] = 20.0
    memory_mb: Annotated[
        int,
        Opt(
            "memory limit: address space per process, and the whole run's memory (cgroup); "
            "Java, Go and JavaScript get address space beyond it, held by the cgroup alone",
            ge=64,
            le=8192,
        ),
    ] = 1024


#: The languages a checker or interactor may be written in: those a program may be.
_LANGUAGES = frozenset(
    get_args(get_args(get_type_hints(CodeOptions, include_extras=True)["language"])[0])
)


class _BadReference(ValueError):
    """The reference is malformed: a caller mistake, reported as ``invalid_input``."""


class CodeVerifier(Verifier[CodeOptions]):
    """Runs the completion's program against the reference's tests in the sandbox."""

    name = "code"
    description = (
        "R1 accuracy reward for code: runs the last fenced program against stdin/stdout, "
        "function-call or assert-style tests in the sandbox."
    )
    Options = CodeOptions
    # Above the worst case the sandbox allows itself: compiling the program and a checker or
    # interactor, the total budget, the last test's checker run, kill margins.
    timeout = 110.0

    def verify(self, sample: Sample) -> Verdict:
        o = self.options
        try:  # the caller's mistake is reported whatever the model wrote
            style = _style(sample.reference, o.language)
            tests = sample.reference.get("tests")
            count = len(tests) if isinstance(tests, list) else 0  # assert style: no tests
            judging = parse_judging(sample.reference, style, count, _LANGUAGES)
        except (_BadReference, ValueError) as error:
            return Verdict.failed("invalid_input", f"malformed reference: {error}")
        program = extract_program(
            sample.completion_text, o.language, which=o.block, accept_untagged=o.accept_untagged
        )
        if program is None:
            return Verdict.failed("no_answer", f"no fenced {o.language} block in the completion")
        box = default_sandbox()
        try:
            outcomes, note = self._run(box, style, program, sample.reference, judging)
        except (_BadReference, BadReference) as error:
            return Verdict.failed("invalid_input", f"malformed reference: {error}")
        except CheckerFailed as error:  # the reference's checker or interactor, not the program
            return Verdict.failed("error", str(error)[:500])
        except ToolchainMissing as error:  # the machine's, named with what to install
            return Verdict.failed("error", str(error))
        except SandboxError as error:
            return Verdict.failed("error", f"sandbox failure: {error}")
        return self._verdict(style, outcomes, note, judging)

    # -- running -------------------------------------------------------------------------------

    def _limits(self, wall: float) -> Limits:
        o = self.options
        return Limits(
            wall_seconds=wall,
            cpu_seconds=min(wall, o.test_seconds),
            memory_bytes=o.memory_mb << 20,
        )

    def _run(
        self,
        box: Sandbox,
        style: str,
        program: str,
        reference: Mapping[str, Any],
        judging: Judging,
    ) -> tuple[list[_TestResult], str]:
        tests = reference.get("tests", [])
        if style == "stdio":
            return self._run_stdio(box, program, tests, judging)
        if style == "function":
            return self._run_calls(box, program, reference["fn_name"], tests, judging), ""
        return [self._run_assert(box, program, reference)], ""

    def _run_stdio(
        self, box: Sandbox, program: str, tests: list[Mapping[str, Any]], judging: Judging
    ) -> tuple[list[_TestResult], str]:
        o = self.options
        built = build(box, program, o.language, o.memory_mb)
        if isinstance(built, CompileError):
            return [_TestResult(False, "compile_error", built.reason)] * len(tests), built.reason
        judge = StdioJudge(box, built, judging, o.float_tolerance)
        budget_end = time.monotonic() + o.total_seconds
        outcomes: list[_TestResult] = []
        for index, test in enumerate(tests):
            left = budget_end - time.monotonic()
            skipped = self._not_run(outcomes, index, left, judging)
            if skipped is not None:
                outcomes.append(skipped)
                continue
            outcomes.append(judge.run(test, self._limits(min(o.test_seconds, left))))
        return outcomes, ""

    def _not_run(
        self, outcomes: list[_TestResult], index: int, left: float, judging: Judging
    ) -> _TestResult | None:
        """Why test ``index`` is not run (no time left, nothing it could change), or None."""
        if left <= 0:
            return _TestResult(False, "timeout", "not run")
        if outcomes and not outcomes[-1].passed and self.options.scoring == "all_or_nothing":
            return _TestResult(False, "failed", "not run")
        scores = {i: outcome.score for i, outcome in enumerate(outcomes)}
        if judging.subtasks and not subtasks.worth_running(judging.subtasks, index, scores):
            return _TestResult(False, "skipped", "not run: each of its subtasks failed already")
        return None

    def _run_calls(
        self,
        box: Sandbox,
        program: str,
        fn_name: str,
        tests: list[Mapping[str, Any]],
        judging: Judging,
    ) -> list[_TestResult]:
        o = self.options
        budget_end = time.monotonic() + o.total_seconds
        outcomes: list[_TestResult] = []
        session = None
        try:
            for index, test in enumerate(tests):
                left = budget_end - time.monotonic()
                skipped = self._not_run(outcomes, index, left, judging)
                if skipped is not None:
                    outcomes.append(skipped)
                    continue
                if session is None or not session.alive:
                    if session is not None:
                        session.close()
                    # One program run serves calls until it dies; a fresh one takes over.
                    session = box.session(program, limits=self._limits(left))
                    start_problem = session.start()
                    if start_problem is not None and start_problem.startswith("sandbox error"):
                        raise SandboxError(start_problem)
                status, value = session.call(fn_name, test["args"], min(o.test_seconds, left))
                if status == "timeout":
                    outcomes.append(_TestResult(False, "timeout", str(value)))
                elif status == "error":
                    outcomes.append(_TestResult(False, "failed", str(value)[:300]))
                elif values_equal(value, test["expected"], o.float_tolerance):
                    outcomes.append(_TestResult(True, "passed", "returned the expected value"))
                else:
                    outcomes.append(_TestResult(False, "failed", f"returned {preview(value)}"))
        finally:
            if session is not None:
                session.close()
        return outcomes

    def _run_assert(self, box: Sandbox, program: str, reference: Mapping[str, Any]) -> _TestResult:
        o = self.options
        session = box.session(program, limits=self._limits(o.total_seconds))
        try:
            # The calls go out at once, behind the program's setup: waiting for the child to
            # be ready first cost every run a round trip. Whether a failure was the
            # sandbox's is asked afterwards (at no wait then).
            try:
                outcome, reason = run_check(
                    session,
                    reference["test_code"],
                    reference["entry_point"],
                    reference.get("prelude"),
                    o.test_seconds,
                )
            except BrokenReference as error:
                raise _BadReference(f"test code or prelude: {error}") from None
            start_problem = session.start()
            if start_problem is not None and start_problem.startswith("sandbox error"):
                raise SandboxError(start_problem)
        finally:
            session.close()
        return _TestResult(outcome == "passed", outcome, reason)

    # -- verdict -------------------------------------------------------------------------------

    def _verdict(
        self, style: str, outcomes: list[_TestResult], note: str, judging: Judging
    ) -> Verdict:
        passed = sum(o.passed for o in outcomes)
        total = len(outcomes)
        scores = {i: outcome.score for i, outcome in enumerate(outcomes)}
        if self.options.scoring == "all_or_nothing":
            score = 1.0 if passed == total else 0.0
        elif judging.subtasks:
            score = subtasks.total(judging.subtasks, scores)
        else:
            score = sum(scores.values()) / total
        details: dict[str, Any] = {
            "language": self.options.language,
            "style": "interactive" if judging.interactor else style,
            "passed": passed,
            "total": total,
            "tests": [outcome.to_dict(i) for i, outcome in enumerate(outcomes)],
        }
        if judging.subtasks:
            details["subtasks"] = [s.to_dict(scores) for s in judging.subtasks]
        if total and all(o.status == "timeout" for o in outcomes):
            return Verdict(0.0, "timeout", "every test ran out of time", details)
        first_failure = next((o.reason for o in outcomes if not o.passed), "")
        reason = f"{passed}/{total} tests passed" + (
            f"; first failure: {first_failure}" if first_failure else ""
        )
        if note:
            reason = note[:300]
        return Verdict(score, "ok", reason, details)


def _style(reference: Any, language: str) -> str:
    """Which test style the reference uses; raises _BadReference when it is malformed."""
    if not isinstance(reference, Mapping):
        raise _BadReference("expected an object with tests")
    if "test_code" in reference:
        if language != "python":
            raise _BadReference("assert-style tests are for Python programs")
        if not isinstance(reference["test_code"], str) or not isinstance(
            reference.get("entry_point"), str
        ):
            raise _BadReference("'test_code' and 'entry_point' must be strings")
        if not isinstance(reference.get("prelude", ""), (str, type(None))):
            raise _BadReference("'prelude' must be a string")
        return "assert"
    tests = reference.get("tests")
    if not isinstance(tests, list) or not tests:
        raise _BadReference("'tests' must be a non-empty list")
    if "fn_name" in reference:
        if language != "python":
            raise _BadReference("function-call tests are for Python programs")
        if not isinstance(reference["fn_name"], str):
            raise _BadReference("'fn_name' must be a string")
        for i, test in enumerate(tests):
            if not isinstance(test, Mapping) or not isinstance(test.get("args"), list):
                raise _BadReference(f"test {i} needs an 'args' list")
            if "expected" not in test:
                raise _BadReference(f"test {i} has no 'expected'")
            try:
                wire.encode(test["args"])
            except wire.WireError as error:
                raise _BadReference(f"test {i}: {error}") from None
        return "function"
    # With a checker or interactor deciding, the expected output is optional (its answer file).
    decided = "checker" in reference or "interactor" in reference
    needed = {"input"} if decided else {"input", "output"}
    for i, test in enumerate(tests):
        if not isinstance(test, Mapping) or not needed <= set(test):
            raise _BadReference(f"test {i} needs {' and '.join(map(repr, sorted(needed)))}")
        if not all(isinstance(test[k], str) for k in ("input", "output") if k in test):
            raise _BadReference(f"test {i}: 'input' and 'output' must be strings")
    return "stdio"
