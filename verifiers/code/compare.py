"""How a program's answer is compared with the expected one (always in the judging process).

Output of stdin/stdout tests:

- Lines are split on ``\\n`` (``\\r\\n`` counts as ``\\n``); trailing whitespace on each line
  and trailing empty lines at the end are ignored. Leading whitespace is not.
- The number of lines must match: printing only part of the answer fails.
- A line matches when it is equal, or when it has the same number of whitespace-separated
  tokens and each pair of tokens is equal or both are numbers within tolerance. The expected
  token decides: an expected integer (``1000000007``) is matched only by the same text, so
  not by ``1e9``, ``1000000007.0``, ``+5`` for ``5``, ``05`` or ``-0``; tolerance applies
  only when the expected token is a non-integer number (``0.5``, ``1e-9``).

Return values of function-call tests (built from exact plain types, see the sandbox's wire):

- ``bool`` only equals ``bool`` (``True`` ≠ ``1``); an expected ``int`` is matched only by an
  equal ``int`` (not by ``1e9`` for ``1000000007``, nor ``3.0`` for ``3``); an expected
  ``float`` by an ``int`` or ``float`` within tolerance (NaN equals NaN).
- ``list`` and ``tuple`` are interchangeable (JSON references cannot say "tuple"); ``dict``
  keys must match exactly (``True``, ``1`` and ``1.0`` are three keys) and values compare by
  these rules; when every expected key is a ``str`` (a JSON object, which has no int keys) a
  returned ``int`` key matches its ``str()``; a ``set`` (or ``frozenset``) equals only
  a set of exactly the same elements, never a list or tuple, whose order is part of the
  answer; everything else compares with ``==`` on built-in types.
"""

from __future__ import annotations

import math
from typing import Any

_SPECIAL = frozenset({"inf", "infinity", "nan"})


def _lines(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def _close(a: float, b: float, tolerance: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=tolerance, abs_tol=tolerance)


# Tokens are as long as the output cap allows (a megabyte), so they are read in a few linear
# passes of str methods: a backtracking pattern such as ``\d+\.?\d*`` is quadratic on
# ``"1" * n + "x"`` (7-33 s at n = 24,000).


def _digits(text: str) -> bool:
    """Whether ``text`` is one or more ASCII digits (``isdigit`` alone takes ``²`` and ``٣``)."""
    return text.isascii() and text.isdigit()


def _unsigned(token: str) -> str:
    return token[1:] if token.startswith(("+", "-")) else token


def _is_integer(token: str) -> bool:
    """``[+-]?[0-9]+``."""
    return _digits(_unsigned(token))


def _number(token: str) -> float | None:
    """The value of ``[+-]?([0-9]+(.[0-9]*)?|.[0-9]+)([eE][+-]?[0-9]+)?``, inf or nan, else None."""
    body = _unsigned(token).lower()
    if body in _SPECIAL:
        return float(token)
    mantissa, e, exponent = body.partition("e")
    if e and not _digits(_unsigned(exponent)):
        return None
    whole, _, fraction = mantissa.partition(".")
    if not (whole or fraction) or not all(_digits(part) for part in (whole, fraction) if part):
        return None
    return float(token)  # linear too, and exact for every text that got here


def _tokens_match(got: str, want: str, tolerance: float) -> bool:
    if got == want:
        return True
    if _is_integer(want):
        # An integer answer is exact: a float near it (``1e9`` for ``1000000007``) is another
        # answer, and so is other text of the same value (``+5``, ``05``, ``-0``).
        return False
    want_value = _number(want)
    got_value = _number(got) if want_value is not None else None
    if want_value is None or got_value is None:
        return False
    return _close(got_value, want_value, tolerance)


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
    if w is int:  # exact: a float within tolerance of an integer answer is another answer
        return g is int and bool(got == want)
    if w is float and g in (int, float):
        try:
            return _close(float(got), float(want), tolerance)
        except OverflowError:  # an int too large for a float cannot be near a float
            return False
    if g in (list, tuple) and w in (list, tuple):
        return len(got) == len(want) and all(
            values_equal(a, b, tolerance) for a, b in zip(got, want, strict=True)
        )
    if g is dict and w is dict:
        return _dicts_equal(got, want, tolerance)
    if g in _SETS or w in _SETS:
        # Only a set answers a set: an expected list's order is part of the answer.
        return (
            g in _SETS
            and w in _SETS
            and len(got) == len(want)
            and {_exact(item) for item in got} == {_exact(item) for item in want}
        )
    return g is w and bool(got == want)


_SETS = (set, frozenset)


def _dicts_equal(got: dict[Any, Any], want: dict[Any, Any], tolerance: float) -> bool:
    """Same keys (exactly, see :func:`_exact`) and equal values under each.

    A JSON reference cannot have int keys, so when every expected key is a ``str``, a
    returned ``int`` key stands for its ``str()`` (``1`` for ``"1"``, not ``"01"``); a ``bool``
    or ``float`` key never does.
    """
    if len(got) != len(want):
        return False
    json_keys = all(type(key) is str for key in want)
    by_key: dict[Any, Any] = {}
    for key, value in got.items():
        if json_keys and type(key) is int:
            key = str(key)
        exact = _exact(key)
        if exact in by_key:  # 1 and "1" both standing for "1": one key cannot answer twice
            return False
        by_key[exact] = value
    for key, value in want.items():
        exact = _exact(key)
        if exact not in by_key or not values_equal(by_key[exact], value, tolerance):
            return False
    return True


def _exact(value: Any) -> Any:
    """A hashable key under which two set elements (or keys) are equal only when exactly equal.

    Python's own ``==`` says ``{True} == {1} == {1.0}``; the type goes into the key so that
    ``bool``, ``int`` and ``float`` stay apart here as everywhere else, and NaN equals NaN.
    """
    kind = type(value)
    if kind is float and math.isnan(value):
        return (float, "nan")
    if kind is tuple:
        return (tuple, tuple([_exact(item) for item in value]))
    if kind is frozenset:
        return (frozenset, frozenset([_exact(item) for item in value]))
    return (kind, value)
