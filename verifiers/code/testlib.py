"""What a checker or interactor run said, read by testlib's conventions (Codeforces, Polygon).

testlib (https://github.com/MikeMirzayanov/testlib) ends a checker or interactor with an exit
status and a one-line message on stderr:

| exit | testlib | here |
|---|---|---|
| 0 | ``_ok`` | accepted: score 1 |
| 1 | ``_wa`` | wrong answer: score 0 |
| 2, 4 | ``_pe``, ``_dirt`` | presentation error: score 0 |
| 8 | ``_unexpected_eof`` | presentation error: score 0 |
| 7 | ``_points`` (``quitp``) | the score from the message, ``points <x> ...``, x in [0, 1] |
| 3 | ``_fail`` | :class:`CheckerFailed`: the checker says the test itself is broken |

The message is the last line of stderr.

Anything else (another status, a signal, a timeout, the output cap) is the checker failing too:
the reference's fault, never a score. Only this process reads the exit status; the program
judged cannot reach it, and a message it gets echoed can only be the *reason*, not the score:
the score comes from the status, or from the first token after ``points``, which testlib writes
before its message. testlib's ``_pc`` (partially correct, whose exit status depends on the
judge testlib was built for) is not read: a checker gives partial scores with ``quitp``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from verigrade.sandbox import RunResult, SandboxError

from .errors import CheckerFailed

OK, WA, PE, FAIL, DIRT, POINTS, UNEXPECTED_EOF = 0, 1, 2, 3, 4, 7, 8
_ZERO = {
    WA: "wrong answer",
    PE: "presentation error",
    DIRT: "presentation error",
    UNEXPECTED_EOF: "presentation error",
}
_POINTS = re.compile(r"points\s+(\S+)")


@dataclass(frozen=True)
class Judgement:
    """What a checker decided about one output: a score in [0, 1] and its message."""

    score: float
    reason: str


def message(result: RunResult) -> str:
    """The last line a checker wrote on stderr, shortened: testlib's verdict line comes last,
    after anything the checker printed on its way, and so does a Python traceback's error."""
    lines = result.stderr.decode("utf-8", "replace").strip().splitlines()
    return lines[-1].strip()[:200] if lines else ""


def score(text: str) -> float | None:
    """A score in [0, 1] written as a decimal number, or None when ``text`` is not one."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) and 0.0 <= value <= 1.0 else None


def read_verdict(result: RunResult, who: str) -> Judgement:
    """The judgement a testlib-style ``who`` (checker, interactor) gave by its exit.

    Raises:
        CheckerFailed: FAIL, or an exit that is no verdict.
        SandboxError: the sandbox could not run it.
    """
    if result.sandbox_error is not None:
        raise SandboxError(result.sandbox_error)
    said = message(result)
    if result.status in ("timeout", "output_limit", "crashed"):
        raise CheckerFailed(f"the {who} failed: {result.reason}")
    code = result.exit_code
    if code == OK:
        return Judgement(1.0, said or "accepted")
    if code in _ZERO:
        return Judgement(0.0, said or _ZERO[code])
    if code == POINTS:
        found = _POINTS.match(said)
        value = score(found.group(1)) if found else None
        if value is None:
            raise CheckerFailed(f"the {who} gave points without a score in [0, 1]: {said!r}")
        return Judgement(value, said)
    if code == FAIL:
        raise CheckerFailed(f"the {who} reported FAIL: {said}")
    raise CheckerFailed(f"the {who} ended with exit status {code}, no testlib verdict: {said}")
