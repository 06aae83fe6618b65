"""Interactive problems: an interactor program talks with the judged program through pipes.

``reference["interactor"]`` is ``{"language": ..., "source": ...}``, a testlib-style
interactor: it reads the test from ``input.txt`` (arguments ``input.txt output.txt
answer.txt``, as testlib's ``registerInteraction`` takes them; ``answer.txt`` holds the test's
``output`` when it has one), writes to the program's stdin through its stdout, reads the
program's stdout through its stdin, and ends with a testlib verdict (``testlib``).

The two run at once in two sandboxes, each with its own fork server, so under two uids, in two
mount namespaces and cgroups: the program cannot see the interactor's files (the hidden test),
signal it or read its memory. Their standard streams are two kernel pipes between the runs;
this process passes no byte of them, so it needs no loop, and each side's deadline stops it:
a program that stalls waits into its deadline, one that floods blocks on a full pipe once the
interactor stops reading, and a program that dies gives the interactor end-of-file.

The verdict, in this order: a program that ran out of time scores 0 (``timeout``); an
interactor that reports FAIL is :class:`~.errors.CheckerFailed` (the test is broken); a
program that did not exit cleanly fails, whatever the interactor said (the reason gives both
sides), and so does one that left while the interactor was still writing (SIGPIPE); any other
failure of the interactor (a crash, no testlib verdict, its own deadline) is
``CheckerFailed``; otherwise the interactor's verdict stands.
"""

from __future__ import annotations

import atexit
import os
import signal
import threading
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from verigrade.sandbox import (
    Limits,
    RunExtras,
    RunResult,
    Sandbox,
    SandboxError,
    Wiring,
    run_extras,
)

from .build import Built
from .checker import build_trusted, run_trusted, trusted_limits, trusted_program
from .errors import CheckerFailed
from .testlib import FAIL, Judgement, read_verdict

#: Seconds the interactor runs past the program's deadline, so that the program's deadline
#: is the one that stops a stalled exchange and the blame lands on the program.
INTERACTOR_GRACE = 1.0
_ARGS = ("input.txt", "output.txt", "answer.txt")

_helper: Sandbox | None = None


def interactor_sandbox() -> Sandbox:
    """The process-wide sandbox for interactors: its own fork server, so its own uid."""
    global _helper
    if _helper is None or _helper.started_in_another_process:
        _helper = Sandbox()
        atexit.register(_helper.close)
    return _helper


@dataclass(frozen=True)
class InteractorSpec:
    """The reference's ``interactor``."""

    language: str
    source: str


def parse_interactor(raw: Any, languages: Collection[str]) -> InteractorSpec:
    """``raw`` as an :class:`InteractorSpec`; raises ValueError naming what is wrong."""
    return InteractorSpec(*trusted_program(raw, "interactor", languages))


class Interactor:
    """An interactor ready to run: compiled once (raises BadReference if it does not compile)."""

    def __init__(self, box: Sandbox, spec: InteractorSpec) -> None:
        self.built = build_trusted(box, spec.language, spec.source, "interactor")

    def interact(
        self, box: Sandbox, program: Built, test_input: str, answer: str, limits: Limits
    ) -> tuple[RunResult, RunResult]:
        """Run ``program`` (under ``limits``, in ``box``) against the interactor; both results.

        Raises:
            SandboxError: either sandbox failed.
        """
        helper = interactor_sandbox()
        files = {"input.txt": test_input.encode(), "answer.txt": answer.encode()}
        seconds = limits.wall_seconds + INTERACTOR_GRACE
        helper_limits = trusted_limits(seconds, sum(map(len, files.values())))
        to_interactor = os.pipe()
        to_program = os.pipe()
        program_ends = Wiring(to_program[0], to_interactor[1])
        interactor_ends = Wiring(to_interactor[0], to_program[1])
        done: dict[str, Any] = {}

        def run_interactor() -> None:
            try:
                extras = RunExtras(args=_ARGS, stdio=interactor_ends)
                done["result"] = run_trusted(
                    helper, self.built, limits=helper_limits, files=files, extras=extras
                )
            except BaseException as error:  # handed to the judging thread below
                done["error"] = error
            finally:
                interactor_ends.close()  # if the run never took them: the program sees EOF

        thread = threading.Thread(target=run_interactor, name="interactor", daemon=True)
        thread.start()
        try:
            with run_extras(RunExtras(stdio=program_ends)):
                result = program.run(box, stdin=b"", limits=limits)
        finally:
            program_ends.close()
            # Bounded: the interactor's run reports by its deadline or raises SandboxError.
            thread.join(seconds + 10.0)
        if thread.is_alive():
            raise SandboxError("the interactor's sandbox did not report in time")
        if "error" in done:
            raise done["error"]
        return result, done["result"]


def decide(program: RunResult, interactor: RunResult) -> tuple[str, Judgement]:
    """The test's status (passed, partial, failed, timeout) and judgement from both runs.

    Raises:
        CheckerFailed: the interactor failed on its own.
        SandboxError: a sandbox failed.
    """
    for result in (program, interactor):
        if result.sandbox_error is not None:
            raise SandboxError(result.sandbox_error)
    if program.status == "timeout":
        return "timeout", Judgement(0.0, f"the program: {program.reason}")
    program_failed = "failed", Judgement(0.0, f"the program: {program.reason}")
    try:
        said = read_verdict(interactor, "interactor")
    except CheckerFailed:
        if interactor.exit_code == FAIL:  # said outright: the test is broken
            raise
        if program.status != "ok":  # the program's end explains the interactor's
            return program_failed
        if interactor.signal == signal.SIGPIPE:  # it wrote on after the program had left
            return "failed", Judgement(0.0, "the program stopped reading the interactor")
        raise
    if said.score == 0.0:  # both reasons: which side gave up first is not known here
        both = (
            said.reason if program.status == "ok" else f"{said.reason}; {program_failed[1].reason}"
        )
        return "failed", Judgement(0.0, both)
    if program.status != "ok":
        return program_failed
    return ("passed" if said.score == 1.0 else "partial"), said
