r"""How a program's answer is compared with the expected one (always in the judging process).

The expected side decides: an expected integer wants an exact integer (a float within
tolerance of ``1000000007`` is another answer), an expected float any number within the
tolerance (relative and absolute), an expected list an ordered sequence (a set's order is
arbitrary, so a set never answers a list). Number tokens are read by a linear pass, as an
output token can be as long as the output cap.

The rules, one per row with an example, are the same tables as in ``docs/code.md`` ("How
answers are compared"); ``tests/verifiers/code/test_compare.py`` checks every row, and that
the tables here and there are the same.

Output of stdin/stdout tests (cells are Python string literals):

| rule | printed | expected | matches |
|---|---|---|---|
| trailing whitespace on a line and trailing empty lines are ignored | `"3   \n\n\n"` | `"3\n"` | yes |
| `\r\n` counts as `\n` | `"1 2\r\n3\r\n"` | `"1 2\n3\n"` | yes |
| the number of lines must match: printing part of the answer fails | `"1\n"` | `"1\n2\n"` | no |
| an empty line inside the output is a line | `"1\n\n2\n"` | `"1\n2\n"` | no |
| a line is compared token by token: runs of spaces and leading spaces do not matter | `"  1  2\n"` | `"1 2\n"` | yes |
| the number of tokens must match | `"1 2 3\n"` | `"1 2\n"` | no |
| a token that is not a number must be the same text, case included | `"YES\n"` | `"yes\n"` | no |
| an expected integer (optional sign, ASCII digits) is matched only by the same text | `"1000000007\n"` | `"1000000007\n"` | yes |
| ... not by a float near it | `"1e9\n"` | `"1000000007\n"` | no |
| ... nor by a float of its value | `"1000000007.0\n"` | `"1000000007\n"` | no |
| ... nor by another spelling of its value: a sign | `"+5\n"` | `"5\n"` | no |
| ... a leading zero | `"05\n"` | `"5\n"` | no |
| ... a negative zero | `"-0\n"` | `"0\n"` | no |
| ... the expected integer is taken as written | `"5\n"` | `"05\n"` | no |
| an expected non-integer number takes any number within tolerance | `"0.3333333\n"` | `"0.333333333\n"` | yes |
| ... an integer too | `"3\n"` | `"3.0\n"` | yes |
| ... however the expected number is written | `"1000000007\n"` | `"1e9\n"` | yes |
| ... with absolute tolerance near zero | `"1e-9\n"` | `"0.0\n"` | yes |
| ... and nothing outside the tolerance | `"0.5\n"` | `"0.6\n"` | no |
| a number: digits with an optional point, sign and exponent | `"1.\n"` | `"1.0\n"` | yes |
| ... digits may start at the point | `".5\n"` | `"0.5\n"` | yes |
| ... an exponent needs digits | `"1e\n"` | `"1.0\n"` | no |
| ... ASCII digits only, without underscores | `"1_000.0\n"` | `"1000.0\n"` | no |
| ... so not Arabic-Indic digits | `"\u0661.\u0665\n"` | `"1.5\n"` | no |
| `inf`, `infinity` and `nan` in any case are numbers | `"-inf\n"` | `"-Infinity\n"` | yes |
| NaN matches NaN | `"nan\n"` | `"NaN\n"` | yes |
| infinity is near no finite number | `"inf\n"` | `"1e308\n"` | no |

Return values of function-call tests (cells are Python expressions; ``Point`` is a
namedtuple). The returned side is what the sandbox's wire rebuilt: exact plain types only.

| rule | returned | expected | equal |
|---|---|---|---|
| an expected `int` is matched only by an equal `int` | `1000000007` | `1000000007` | yes |
| ... not by a float near it | `1e9` | `1000000007` | no |
| ... nor by a float of its value | `3.0` | `3` | no |
| ... and big integers are exact | `2**70 + 1` | `2**70` | no |
| an expected `float` takes a number within tolerance | `0.1 + 0.2` | `0.3` | yes |
| ... an `int` too | `3` | `3.0` | yes |
| ... and nothing outside the tolerance | `0.5` | `0.6` | no |
| ... an int too large for a float is near no float | `2**1100` | `1.0` | no |
| NaN equals NaN | `nan` | `nan` | yes |
| an infinity equals only itself | `inf` | `-inf` | no |
| `bool` is not a number: `True` is not `1` | `True` | `1` | no |
| ... nor `1` `True` | `1` | `True` | no |
| ... a bool equals an equal bool | `False` | `False` | yes |
| `list` and `tuple` are interchangeable (JSON has no tuples) | `(1, 2)` | `[1, 2]` | yes |
| ... at any depth | `[1, [2, (3,)]]` | `[1, [2, [3]]]` | yes |
| their items compare by these rules, in order | `[2, 1]` | `[1, 2]` | no |
| ... an integral float is not an int inside either | `[1.0, 2]` | `[1, 2]` | no |
| a `set` never equals a `list` or `tuple`: their order is part of the answer | `{1, 2}` | `[1, 2]` | no |
| ... nor the other way round | `[1, 2]` | `{1, 2}` | no |
| a `set` or `frozenset` equals a set of exactly the same elements | `frozenset({2, 1})` | `{1, 2}` | yes |
| ... elements compare exactly, with their type | `{True}` | `{1}` | no |
| ... so an integral float is not an int there either | `{1.0}` | `{1}` | no |
| a `dict` equals a dict with the same keys and equal values | `{"a": 1}` | `{"a": 1.0}` | yes |
| ... values compare by these rules | `{"a": 1.0}` | `{"a": 1}` | no |
| ... keys compare exactly, with their type | `{True: "a"}` | `{1: "a"}` | no |
| when every expected key is a `str` (a JSON object), an `int` key stands for its `str()` | `{1: "a", -2: "b"}` | `{"1": "a", "-2": "b"}` | yes |
| ... for that text only | `{1: "a"}` | `{"01": "a"}` | no |
| ... never a `bool` key | `{True: "a"}` | `{"True": "a"}` | no |
| ... nor a `float` key | `{1.0: "a"}` | `{"1.0": "a"}` | no |
| ... and two keys cannot stand for one | `{1: "a", "1": "a"}` | `{"1": "a", "2": "a"}` | no |
| ... but an expected `int` key wants an `int` key | `{"1": "a"}` | `{1: "a"}` | no |
| a subclass compares as its plain type: a namedtuple as a tuple | `(1, 2)` | `Point(1, 2)` | yes |
| ... so its fields must still be in order | `[2, 1]` | `Point(1, 2)` | no |
| ... a `Counter` as a `dict` | `{"a": 2}` | `Counter("aa")` | yes |
| ... a `defaultdict` as a `dict` | `{"k": [1]}` | `defaultdict(list, k=[1])` | yes |
| everything else: the same plain type, and `==` | `"1"` | `1` | no |
| ... `None` is only `None` | `None` | `0` | no |
| ... bytes are bytes | `b"x"` | `b"x"` | yes |
"""

from __future__ import annotations

import math
from collections.abc import Callable
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
    got, want = _plain(got), _plain(want)
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
    wanted = {_exact(key): value for key, value in want.items()}
    json_keys = all(kind is str for kind, _ in wanted)
    # An int of more bits than 4 per character of the longest key has more digits than any
    # key: str() of it could only fail (past 4,300 digits) or take quadratic time.
    key_bits = 4 * max((len(key) for _, key in wanted), default=0) if json_keys else 0
    by_key: dict[Any, Any] = {}
    for key, value in got.items():
        exact = _exact(key)
        if json_keys and exact[0] is int and exact[1].bit_length() <= key_bits:
            exact = _exact(str(exact[1]))
        if exact in by_key:  # 1 and "1" both standing for "1": one key cannot answer twice
            return False
        by_key[exact] = value
    return len(wanted) == len(by_key) and all(
        exact in by_key and values_equal(by_key[exact], value, tolerance)
        for exact, value in wanted.items()
    )


def _exact(value: Any) -> Any:
    """A hashable key under which two set elements (or keys) are equal only when exactly equal.

    Python's own ``==`` says ``{True} == {1} == {1.0}``; the type goes into the key so that
    ``bool``, ``int`` and ``float`` stay apart here as everywhere else, and NaN equals NaN.
    """
    value = _plain(value)
    kind = type(value)
    if kind is float and math.isnan(value):
        return (float, "nan")
    if kind is tuple:
        return (tuple, tuple([_exact(item) for item in value]))
    if kind is frozenset:
        return (frozenset, frozenset([_exact(item) for item in value]))
    return (kind, value)


#: How a value of a subclass of a plain type becomes that plain type, by the base type's own
#: methods: a namedtuple is a tuple, a Counter or defaultdict a dict, an IntEnum an int, and
#: an override of ``__iter__``, ``items`` or ``__str__`` is never asked.
_AS_PLAIN: dict[type, Callable[[Any], Any]] = {
    int: int.__int__,
    float: float.__float__,
    complex: complex.__pos__,
    str: str.__str__,
    bytes: lambda value: bytes(memoryview(value)),
    list: lambda value: list(list.__iter__(value)),
    tuple: lambda value: tuple(tuple.__iter__(value)),
    dict: lambda value: dict(dict.items(value)),
    set: lambda value: set(set.__iter__(value)),
    frozenset: lambda value: frozenset(frozenset.__iter__(value)),
}


def _plain(value: Any) -> Any:
    """``value`` as its plain base type (this level only; containers' items stay as they are).

    Values from the program are exact plain types already (the wire builds nothing else);
    an expected value written in Python may be a namedtuple or a Counter.
    """
    kind = type(value)
    if kind in _AS_PLAIN or kind is bool or value is None:
        return value
    for base in kind.__mro__[1:]:
        convert = _AS_PLAIN.get(base)
        if convert is not None:
            return convert(value)
    return value
