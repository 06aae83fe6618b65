"""Turning a completion's program into something the sandbox can run, per language.

A compiled language is compiled once per sample, in the sandbox (a compiler fed hostile source
is hostile too); the product (a binary, a jar) comes back and is handed to each test's run.
Python runs from source on the sandbox's warm interpreter; JavaScript runs from source on node,
after a syntax check. Everything that runs a program for a test (stdio tests, checkers,
interactors, file I/O) goes through :class:`Built`, so a language added here (see
``languages``) works for every test style at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from verigrade.sandbox import Limits, RunResult, Sandbox, SandboxError
from verigrade.sandbox.toolchains import ToolchainMissing

from .languages import COMPILE_SECONDS, LANGUAGES

__all__ = ["COMPILE_SECONDS", "Built", "CompileError", "ToolchainMissing", "build"]

Files = Mapping[str, "bytes | tuple[bytes, int]"]

#: How much of the compiler's output a compile error's reason carries: its first lines,
#: where compilers put the first error (the last ones are summaries: "1 error").
_REASON_CHARS = 400


@dataclass(frozen=True)
class Built:
    """A program ready to run: Python source, or what its runtime runs plus the files it needs."""

    language: str
    source: bytes
    argv: list[str] | None = None
    """None: Python source run by the warm interpreter. Otherwise what the language's runtime
    runs (a binary, a class, a script); each run wraps it in the runtime and its flags."""
    files: dict[str, bytes | tuple[bytes, int]] = field(default_factory=dict)

    def run(
        self, box: Sandbox, *, stdin: bytes, limits: Limits, files: Files | None = None
    ) -> RunResult:
        """One run of the program with ``stdin`` (and extra ``files`` in its directory)."""
        if self.argv is None:  # Python: forked from the warm interpreter, files and all
            return box.run_python(self.source, stdin=stdin, limits=limits, files=files)
        argv, limits = LANGUAGES[self.language].launch(self.argv, limits)
        return box.run(argv, stdin=stdin, files={**self.files, **(files or {})}, limits=limits)


@dataclass(frozen=True)
class CompileError:
    """The program did not compile; ``reason`` carries the compiler's first lines."""

    reason: str


def build(box: Sandbox, program: str, language: str, memory_mb: int) -> Built | CompileError:
    """Compile ``program`` when ``language`` needs it.

    ``memory_mb`` is the runs' memory limit; a compile has its own limits (``languages``).

    Raises:
        ToolchainMissing: the language's toolchain is not installed here (names the package).
        SandboxError: the sandbox failed (not the program's fault, so no score).
    """
    source = program.encode()
    if language == "python":
        return Built(language, source)
    recipe = LANGUAGES[language]
    step = recipe.step(program, box.interpreter)
    command = ["/bin/sh", "-c", step.command]
    result = box.run(command, files={step.source_name: source}, limits=step.limits)
    if result.sandbox_error is not None:
        raise SandboxError(result.sandbox_error)
    output = result.stderr.decode("utf-8", "replace").strip()
    if result.status != "ok" or (step.product is not None and not result.stdout):
        fault = recipe.machine_fault(output)
        if fault is not None:
            raise ToolchainMissing(fault)
        how = "" if result.status == "failed" else f" ({result.reason})"  # killed, timed out
        return CompileError(f"compile error{how}: {output[:_REASON_CHARS]}")
    files: dict[str, bytes | tuple[bytes, int]] = {step.source_name: source}
    if step.product is not None:
        files = {step.product: (result.stdout, 0o755)}
    return Built(language, source, step.argv, files)
