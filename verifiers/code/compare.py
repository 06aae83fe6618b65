"""How a program's answer is compared with the expected one (always in the judging process).

Output of stdin/stdout tests:

- Lines are split on ``\\n`` (``\\r\\n`` counts as ``\\n``); trailing whitespace on each line
  and trailing empty lines at the end are ignored. Leading whitespace is not.
- The number of lines must match: printing only part of the answer fails.
- A line matches when it is equal, or when it has the same number of whitespace-separated
  tokens and each pair of tokens is equal or both are numbers within tolerance. Tolerance
  applies only when both tokens are numbers and at least one is written as a non-integer
  (``0.5``, ``1e-9``); integers must match exactly, so ``1000000007`` ≠ ``1000000008``.

Return values of function-call tests (built from exact plain types, see the sandbox's wire):

- ``bool`` only equals ``bool`` (``True`` ≠ ``1``); ``int`` equals ``int`` exactly; when
  either number is a ``float`` the two are compared within tolerance (NaN equals NaN).
- ``list`` and ``tuple`` are interchangeable (JSON references cannot say "tuple"); ``dict``
  keys must match and values compare by these rules; a ``set`` equals a set or a list of the
  same distinct elements; everything else compares with ``==`` on built-in types.
"""

from __future__ import annotations

import math
import re
from typing import Any

_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(inf|infinity|nan)$", re.I)
_INTEGER = re.compile(r"^[+-]?\d+$")


def _lines(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _close(a: float, b: float, tolerance: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=tolerance, abs_tol=tolerance)


def _tokens_match(got: str, want: str, tolerance: float) -> bool:
    if got == want:
        return True
    if not (_NUMBER.match(got) and _NUMBER.match(want)):
        return False
    if _INTEGER.match(got) and _INTEGER.match(want):
        return False  # integers are exact; equal text was checked above
    return _close(float(got), float(want), tolerance)


def compare_output(got: str, want: str, tolerance: float) -> str | None:
    """None when ``got`` matches ``want`` by the rules above, else where it first differs.

    Example:
        >>> compare_output("1 2.0000001\\n", "1 2", 1e-6) is None
        True
    """
    got_lines, want_lines = _lines(got), _lines(want)
    if len(got_lines) != len(want_lines):
        return f"{len(got_lines)} lines of output, expected {len(want_lines)}"
    for number, (g, w) in enumerate(zip(got_lines, want_lines, strict=True), start=1):
        if g == w:
            continue
        g_tokens, w_tokens = g.split(), w.split()
        if len(g_tokens) != len(w_tokens) or not all(
            _tokens_match(a, b, tolerance) for a, b in zip(g_tokens, w_tokens, strict=True)
        ):
            return f"line {number} differs: got {g[:80]!r}, expected {w[:80]!r}"
    return None


def values_equal(got: Any, want: Any, tolerance: float) -> bool:
    """Whether a returned value equals the expected one by the rules above."""
    g, w = type(got), type(want)
    if g is bool or w is bool:
        return g is w and got == want
    if g in (int, float) and w in (int, float):
        if g is int and w is int:
            return bool(got == want)
        try:
            return _close(float(got), float(want), tolerance)
        except OverflowError:  # an int too large for a float cannot be near a float
            return False
    if g in (list, tuple) and w in (list, tuple):
        return len(got) == len(want) and all(
            values_equal(a, b, tolerance) for a, b in zip(got, want, strict=True)
        )
    if g is dict and w is dict:
        return got.keys() == want.keys() and all(
            values_equal(got[k], want[k], tolerance) for k in got
        )
    if g in (set, frozenset) and w in (set, frozenset, list, tuple):
        try:
            return got == set(want) and (w in (set, frozenset) or len(set(want)) == len(want))
        except TypeError:  # unhashable expected elements
            return False
    return g is w and bool(got == want)
