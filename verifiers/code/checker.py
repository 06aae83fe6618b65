"""Checkers (special judges): trusted code from the reference decides whether an output is right.

A problem with many right answers ships a checker instead of one expected output. ``reference``
carries it as ``"checker": {"language": ..., "source": ...}`` and optionally ``"function"``
(a Python function rather than a program) and ``"protocol"`` (``testlib``, the default, or
``cms``). The checker is trusted, yet it runs in the sandbox under limits of its own, never in
this process, and what the judged program printed reaches it only as the bytes of a file:

- a program gets, in its working directory, ``input.txt`` (the test's input), ``output.txt``
  (the program's output, at most the output cap, bytes as printed, invalid UTF-8 included) and
  ``answer.txt`` (the test's ``output``, empty when the test has none), and their names as
  arguments: ``input.txt output.txt answer.txt`` (testlib's order) or ``input.txt answer.txt
  output.txt`` (CMS's). Its verdict is its exit status (see ``testlib``), or with ``cms`` the
  score on the first line of its stdout (exit status 0 required) and a message on stderr.
- a function ``check(input, output, answer)`` gets three strings (the output decoded as UTF-8,
  an invalid byte becoming a lone surrogate, as Python's ``surrogateescape`` makes it, so that
  it equals no character an answer holds) and returns ``True``/``False``, a score in [0, 1],
  or a pair of one of those and a message. Raising, or returning anything else, is the
  checker failing.

A checker that fails (testlib's FAIL, a crash, a timeout, no readable score) raises
:class:`~.errors.CheckerFailed`: the sample scores nothing and says why. Nothing the judged
program writes (its stderr, files in its own directory, an "ok" on its stdout) reaches this
process as a verdict.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from verigrade.sandbox import Limits, RunExtras, RunResult, Sandbox, SandboxError, run_extras

from .build import Built, CompileError, build
from .errors import BadReference, CheckerFailed
from .testlib import Judgement, message, read_verdict, score

PROTOCOLS = ("testlib", "cms")
#: Wall and CPU seconds of one checker run (at most: the sample's budget may leave less).
CHECKER_SECONDS = 10.0
#: Memory of a trusted helper run (checker, interactor): more than a program gets, as a
#: checker may hold the input, the answer and the output at once.
TRUSTED_MEMORY_MB = 2048
#: Compiled checkers and interactors kept per process: a trainer grades many completions of
#: one problem in a row, and compiling a C++ checker costs about a second.
_BUILT_KEPT = 32
_built: OrderedDict[tuple[str, bytes], Built | CompileError] = OrderedDict()


@dataclass(frozen=True)
class CheckerSpec:
    """The reference's ``checker``."""

    language: str
    source: str
    function: str | None = None
    protocol: str = "testlib"


def parse_checker(raw: Any, languages: Collection[str]) -> CheckerSpec:
    """``raw`` as a :class:`CheckerSpec`; raises ValueError naming what is wrong."""
    language, source = trusted_program(raw, "checker", languages, {"function", "protocol"})
    function = raw.get("function")
    if function is not None and (not isinstance(function, str) or not function.isidentifier()):
        raise ValueError("'checker.function' must be a Python function name")
    if function is not None and language != "python":
        raise ValueError("'checker.function' is for Python checkers")
    protocol = raw.get("protocol", "testlib")
    if protocol not in PROTOCOLS:
        raise ValueError(f"'checker.protocol' must be one of {', '.join(PROTOCOLS)}")
    if function is not None and protocol != "testlib":
        raise ValueError("'checker.protocol' is for checker programs, not functions")
    return CheckerSpec(language, source, function, protocol)


def trusted_program(
    raw: Any, key: str, languages: Collection[str], more: Collection[str] = ()
) -> tuple[str, str]:
    """The ``language`` and ``source`` of the reference's ``key`` (checker, interactor)."""
    if not isinstance(raw, Mapping):
        raise ValueError(f"'{key}' must be an object with 'language' and 'source'")
    unknown = set(raw) - {"language", "source", *more}
    if unknown:
        raise ValueError(f"'{key}' has unknown keys: {', '.join(sorted(map(str, unknown)))}")
    language, source = raw.get("language", "python"), raw.get("source")
    if language not in languages:
        raise ValueError(f"'{key}.language' must be one of {', '.join(sorted(languages))}")
    if not isinstance(source, str) or not source.strip():
        raise ValueError(f"'{key}.source' must be a non-empty string")
    return language, source


def build_trusted(box: Sandbox, language: str, source: str, who: str) -> Built:
    """Compile a checker or interactor (kept per process); raises BadReference if it does not."""
    key = (language, hashlib.sha256(source.encode()).digest())
    built = _built.get(key)
    if built is None:
        built = build(box, source, language, TRUSTED_MEMORY_MB)
        _built[key] = built
        if len(_built) > _BUILT_KEPT:
            _built.popitem(last=False)
    else:
        _built.move_to_end(key)
    if isinstance(built, CompileError):
        raise BadReference(f"the {who} does not compile: {built.reason}")
    return built


def run_trusted(
    box: Sandbox,
    built: Built,
    *,
    limits: Limits,
    files: Mapping[str, bytes],
    extras: RunExtras,
) -> RunResult:
    """One run of a checker or interactor with ``files`` in its directory and ``extras``.

    A compiled one goes through ``Built.run``, like the program; a Python one runs from source
    on the sandbox's warm interpreter, which ``Built.run`` uses only without files: with them
    it starts a fresh interpreter, and a Python checker cost 20-25 times the exact comparison
    per test instead of 2-3 times (``benchmarks/judging_cost.py``).
    """
    if built.language == "python":
        return box.run_python(built.source, limits=limits, files=files, extras=extras)
    with run_extras(extras):
        return built.run(box, stdin=b"", limits=limits, files=files)


def trusted_limits(seconds: float, files_bytes: int) -> Limits:
    """Limits of a checker or interactor run whose directory holds ``files_bytes`` of files."""
    return Limits(
        wall_seconds=seconds,
        cpu_seconds=seconds,
        memory_bytes=TRUSTED_MEMORY_MB << 20,
        file_bytes=(32 << 20) + files_bytes,
    )


class Checker:
    """A checker ready to judge outputs: compiled once per sample (and kept per process).

    Raises:
        BadReference: the checker does not compile.
    """

    def __init__(self, box: Sandbox, spec: CheckerSpec) -> None:
        self.spec = spec
        self.built = (
            None if spec.function else build_trusted(box, spec.language, spec.source, "checker")
        )

    def judge(
        self, box: Sandbox, test_input: str, output: bytes, answer: str, seconds: float
    ) -> Judgement:
        """Run the checker on one output, allowing it ``seconds``.

        Raises:
            CheckerFailed: the checker failed.
            SandboxError: the sandbox failed.
        """
        if self.spec.function is not None:
            return self._call(box, test_input, output, answer, seconds)
        assert self.built is not None
        files = {
            "input.txt": test_input.encode(),
            "output.txt": output,
            "answer.txt": answer.encode(),
        }
        order = ("output.txt", "answer.txt")
        args = ("input.txt", *(order if self.spec.protocol == "testlib" else order[::-1]))
        limits = trusted_limits(seconds, sum(map(len, files.values())))
        result = run_trusted(box, self.built, limits=limits, files=files, extras=RunExtras(args))
        if self.spec.protocol == "testlib":
            return read_verdict(result, "checker")
        return _cms_verdict(result)

    def _call(
        self, box: Sandbox, test_input: str, output: bytes, answer: str, seconds: float
    ) -> Judgement:
        assert self.spec.function is not None
        text = output.decode("utf-8", "surrogateescape")
        limits = trusted_limits(seconds, 0)
        with box.session(self.spec.source, limits=limits) as session:
            status, value = session.call(self.spec.function, [test_input, text, answer], seconds)
            problem = session.start()
        if problem is not None and problem.startswith("sandbox error"):
            raise SandboxError(problem)
        if status != "ok":
            raise CheckerFailed(f"the checker function failed: {str(value)[:300]}")
        return _returned(value)


def _returned(value: Any) -> Judgement:
    """The judgement a checker function returned: a verdict, or a verdict and a message."""
    reason = ""
    if isinstance(value, (list, tuple)) and len(value) == 2 and isinstance(value[1], str):
        value, reason = value[0], value[1][:200]
    if isinstance(value, bool):
        return Judgement(float(value), reason or ("accepted" if value else "rejected"))
    if isinstance(value, (int, float)):
        found = score(repr(float(value)))
        if found is not None:
            return Judgement(found, reason or f"score {found:g}")
    raise CheckerFailed(
        "the checker function must return a bool, a score in [0, 1] or a pair of one "
        f"and a message; it returned {str(value)[:100]}"
    )


def _cms_verdict(result: RunResult) -> Judgement:
    """A CMS checker's verdict: exit 0, a score in [0, 1] on stdout's first line."""
    if result.sandbox_error is not None:
        raise SandboxError(result.sandbox_error)
    if result.status != "ok":
        raise CheckerFailed(f"the checker failed: {result.reason}")
    first = result.stdout.decode("utf-8", "replace").strip().split("\n", 1)[0]
    value = score(first.strip())
    if value is None:
        raise CheckerFailed(f"the checker printed no score in [0, 1]: {first[:100]!r}")
    return Judgement(value, message(result) or f"score {value:g}")
