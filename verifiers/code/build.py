"""Turning a completion's program into something the sandbox can run, per language.

A compiled language is compiled once per sample, in the sandbox (a compiler fed hostile source
is hostile too); the binary comes back and is handed to each test's run. Python runs from
source on the sandbox's warm interpreter. Everything that runs a program for a test (stdio
tests, checkers, interactors, file I/O) goes through :class:`Built`, so a language added here
works for every test style at once.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from verigrade.sandbox import Limits, RunResult, Sandbox, SandboxError

_COMPILERS = {
    "c": ("main.c", ["/usr/bin/gcc", "-std=gnu17", "-O2", "-pipe", "-o", "prog", "main.c", "-lm"]),
    "cpp": ("main.cpp", ["/usr/bin/g++", "-std=gnu++17", "-O2", "-pipe", "-o", "prog", "main.cpp"]),
}

COMPILE_SECONDS = 20.0

Files = Mapping[str, "bytes | tuple[bytes, int]"]


@dataclass(frozen=True)
class Built:
    """A program ready to run: Python source, or argv plus the files it needs."""

    language: str
    source: bytes
    argv: list[str] | None = None  # None: Python source run by the warm interpreter
    files: dict[str, bytes | tuple[bytes, int]] = field(default_factory=dict)

    def run(
        self, box: Sandbox, *, stdin: bytes, limits: Limits, files: Files | None = None
    ) -> RunResult:
        """One run of the program with ``stdin`` (and extra ``files`` in its directory)."""
        if self.argv is None and not files:
            return box.run_python(self.source, stdin=stdin, limits=limits)
        if self.argv is None:  # extra files need the exec path: the interpreter on main.py
            merged = {**dict(files or {}), "main.py": self.source}
            return box.run(
                [box.interpreter, "-I", "main.py"], stdin=stdin, files=merged, limits=limits
            )
        return box.run(self.argv, stdin=stdin, files={**self.files, **(files or {})}, limits=limits)


@dataclass(frozen=True)
class CompileError:
    """The program did not compile; ``reason`` carries the compiler's last lines."""

    reason: str


def build(box: Sandbox, program: str, language: str, memory_mb: int) -> Built | CompileError:
    """Compile ``program`` when ``language`` needs it.

    Raises:
        SandboxError: the toolchain is not installed or the sandbox failed (not the program's
            fault, so no score).
    """
    source = program.encode()
    if language == "python":
        return Built(language, source)
    source_name, argv = _COMPILERS[language]
    if not os.path.exists(argv[0]):  # the machine's fault, not the program's: no score
        raise SandboxError(f"{argv[0]} is not installed; cannot grade {language}")
    command = " ".join(argv) + " && cat prog"  # the binary comes back as stdout
    limits = Limits(
        wall_seconds=COMPILE_SECONDS,
        cpu_seconds=COMPILE_SECONDS,
        memory_bytes=max(memory_mb, 2048) << 20,
        output_bytes=64 << 20,
    )
    result = box.run(["/bin/sh", "-c", command], files={source_name: source}, limits=limits)
    if result.sandbox_error is not None:
        raise SandboxError(result.sandbox_error)
    if result.status != "ok" or not result.stdout:
        tail = result.stderr.decode("utf-8", "replace").strip()[-300:]
        return CompileError(f"compile error ({result.reason}): {tail}")
    return Built(language, source, ["./prog"], {"prog": (result.stdout, 0o755)})
