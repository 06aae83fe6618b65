"""One stdin/stdout test: run the program, take its output, decide.

How, the reference says beside its tests (each part its own module):

- where the input goes and the output comes from: stdin and stdout, or files (``fileio``);
- who decides: the comparison rules (``compare``), a checker (``checker``), or an interactor
  that talks with the program while it runs (``interactive``);
- how tests add up: see ``subtasks``, applied by the verifier.

Every run of the program and of a checker or interactor written in a compiled language goes
through ``build.Built.run``, so each language ``build`` knows works for each of these.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from typing import Any

from verigrade.sandbox import Limits, RunResult, Sandbox, SandboxError, run_extras

from .build import Built
from .checker import CHECKER_SECONDS, Checker, CheckerSpec, parse_checker
from .compare import compare_output
from .errors import BadReference
from .fileio import FileIO, parse_file_io
from .interactive import Interactor, InteractorSpec, decide, parse_interactor
from .outcome import TestOutcome
from .subtasks import Subtask, parse_subtasks


@dataclass(frozen=True)
class Judging:
    """How the reference's tests are judged, beside the tests themselves."""

    checker: CheckerSpec | None = None
    interactor: InteractorSpec | None = None
    files: FileIO = field(default_factory=FileIO)
    subtasks: tuple[Subtask, ...] = ()

    @property
    def needs_output(self) -> bool:
        """Whether each test must carry an expected ``output`` (nobody else decides)."""
        return self.checker is None and self.interactor is None


#: The reference keys read here, and the test styles that take each.
KEYS = {
    "checker": {"stdio"},
    "interactor": {"stdio"},
    "input_file": {"stdio"},
    "output_file": {"stdio"},
    "subtasks": {"stdio", "function"},
}


def parse_judging(
    reference: Mapping[str, Any], style: str, test_count: int, languages: Collection[str]
) -> Judging:
    """The reference's judging keys; raises ValueError naming what is wrong."""
    for key, styles in KEYS.items():
        if key in reference and style not in styles:
            raise ValueError(f"'{key}' is not for {style} tests")
    checker = reference.get("checker")
    interactor = reference.get("interactor")
    if checker is not None and interactor is not None:
        raise ValueError("an interactor decides alone: give 'checker' or 'interactor'")
    files = parse_file_io(reference)
    if interactor is not None and files != FileIO():
        raise ValueError("an interactive program talks through stdin and stdout, not files")
    return Judging(
        checker=parse_checker(checker, languages) if checker is not None else None,
        interactor=parse_interactor(interactor, languages) if interactor is not None else None,
        files=files,
        subtasks=parse_subtasks(reference["subtasks"], test_count)
        if "subtasks" in reference
        else (),
    )


class StdioJudge:
    """Runs and decides stdin/stdout tests of one program.

    Raises:
        BadReference: the reference's checker or interactor does not compile, or its input
            file is named like one of the program's own files.
    """

    def __init__(
        self, box: Sandbox, program: Built, judging: Judging, float_tolerance: float
    ) -> None:
        self.box = box
        self.program = program
        self.files = judging.files
        self.float_tolerance = float_tolerance
        if self.files.input_file in {*program.files, "main.py"}:
            raise BadReference(f"'input_file' {self.files.input_file!r} is the program's own file")
        self.checker = Checker(box, judging.checker) if judging.checker else None
        self.interactor = Interactor(box, judging.interactor) if judging.interactor else None

    def run(self, test: Mapping[str, Any], limits: Limits) -> TestOutcome:
        """Run and decide one test, the program under ``limits``.

        Raises:
            CheckerFailed: the checker or interactor failed (the reference's fault).
            SandboxError: the sandbox failed.
        """
        test_input, answer = str(test["input"]), str(test.get("output", ""))
        if self.interactor is not None:
            ran = self.interactor.interact(self.box, self.program, test_input, answer, limits)
            status, said = decide(*ran)
            return TestOutcome(status == "passed", status, said.reason, said.score)
        stdin, files = self.files.stdin_and_files(test_input)
        if files:  # the input file takes room in the run's directory: not the program's share
            limits = replace(limits, file_bytes=limits.file_bytes + _size(files))
        extras = self.files.extras
        with run_extras(extras) if extras is not None else nullcontext():
            result = self.program.run(self.box, stdin=stdin, limits=limits, files=files or None)
        failure = _failure(result)
        if failure is not None:
            return failure
        output = self.files.output(result)
        if isinstance(output, str):
            return TestOutcome(False, "failed", output)
        if self.checker is None:
            problem = compare_output(
                output.decode("utf-8", "replace"), answer, self.float_tolerance
            )
            if problem is None:
                return TestOutcome(True, "passed", "output matches")
            return TestOutcome(False, "failed", problem)
        said = self.checker.judge(self.box, test_input, output, answer, CHECKER_SECONDS)
        status = "passed" if said.score == 1.0 else "partial" if said.score > 0 else "failed"
        return TestOutcome(status == "passed", status, said.reason, said.score)


def _size(files: Mapping[str, bytes]) -> int:
    return sum(len(data) for data in files.values())


def _failure(result: RunResult) -> TestOutcome | None:
    """The outcome of a run that did not end well, or None when its output is to be judged."""
    if result.sandbox_error is not None:
        raise SandboxError(result.sandbox_error)
    if result.status == "timeout":
        return TestOutcome(False, "timeout", result.reason)
    if result.status != "ok":
        return TestOutcome(False, "failed", result.reason)
    return None
