"""The comparison rules of the ``code`` verifier, as tables."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from collections import Counter, defaultdict, namedtuple
from pathlib import Path
from typing import Any

import pytest
from verigrade.verifiers.code import compare
from verigrade.verifiers.code.compare import compare_output, values_equal

TOL = 1e-6


@pytest.mark.parametrize(
    ("got", "want", "same"),
    [
        ("3\n", "3\n", True),
        ("3", "3\n", True),  # a missing final newline is trailing whitespace
        ("3   \n\n\n", "3\n", True),  # trailing spaces and trailing empty lines
        ("1 2\r\n3\r\n", "1 2\n3\n", True),  # Windows line ends
        ("1  2\n", "1 2\n", True),  # token-wise: runs of spaces between tokens
        ("  3\n", "3\n", True),  # token-wise comparison ignores leading whitespace too
        ("0.3333333\n", "0.333333333\n", True),  # floats within tolerance
        ("1e-9\n", "0.0\n", True),  # absolute tolerance near zero, for an expected float
        ("1e-9\n", "0\n", False),  # an expected integer is exact
        ("0.5\n", "0.6\n", False),
        ("1000000007\n", "1000000008\n", False),  # integers are exact
        ("007\n", "7\n", False),  # ... as written
        ("3.0\n", "3\n", False),  # an expected integer wants integer text, not a float
        # Red team: a float printed for an integer answer, within tolerance of it.
        ("1e9\n", "1000000007\n", False),
        ("1000000007.0\n", "1000000007\n", False),
        ("1000000006.9999999\n", "1000000007\n", False),
        ("+5\n", "5\n", False),  # integer text must be the same text: no sign ...
        ("05\n", "5\n", False),  # ... no leading zero ...
        ("-0\n", "0\n", False),  # ... no negative zero
        ("5\n", "05\n", False),  # the expected side is taken as written
        ("3\n", "3.0\n", True),  # an expected float takes any number within tolerance
        ("1000000007\n", "1e9\n", True),  # ... even one written as an integer
        ("YES\n", "yes\n", False),  # case matters
        ("1\n", "1\n2\n", False),  # printing only part of the answer
        ("1\n2\n3\n", "1\n2\n", False),  # extra lines
        ("1\n\n2\n", "1\n2\n", False),  # an inner empty line is a line
        ("1 2 3\n", "1 2\n", False),  # extra token
        ("nan\n", "nan\n", True),
        ("inf\n", "1e308\n", False),
        ("-inf\n", "-Infinity\n", True),
        ("1.\n", "1.0\n", True),  # the number grammar: [+-]?(d+(.d*)?|.d+)([eE][+-]?d+)?
        (".5\n", "0.5\n", True),
        (".\n", "0.0\n", False),
        ("1e\n", "1.0\n", False),
        ("e5\n", "0.0\n", False),
        ("1_000.0\n", "1000.0\n", False),  # float() takes underscores; the grammar does not
        ("\u0661.\u0665\n", "1.5\n", False),  # nor Arabic-Indic digits (float() takes them)
        ("abc 1.0000001\n", "abc 1.0\n", True),
        ("", "\n", True),  # both empty
        ("PASS\n", "42\n", False),
    ],
)
def test_output_comparison(got: str, want: str, same: bool) -> None:
    assert (compare_output(got, want, TOL) is None) is same


@pytest.mark.parametrize(
    ("got", "want", "same"),
    [
        (3, 3, True),
        (True, 1, False),  # bool is not an int here
        (1, True, False),
        (False, False, True),
        (3.0000000001, 3, False),  # an expected int is matched only by an exact int
        (3.0, 3, False),
        (1e9, 1000000007, False),  # red team: a float within tolerance of an int answer
        ([1.0, 2], [1, 2], False),
        (3, 3.0000000001, True),  # an expected float takes an int within tolerance
        (2**70, 2**70 + 1, False),  # big ints exact
        (2**1100, 1.0, False),  # too big for a float: not close to any float
        ((1, 2), [1, 2], True),  # JSON cannot say "tuple"
        ([1, [2, (3,)]], [1, [2, [3]]], True),
        ([1, 2], [1, 2, 3], False),
        ({"a": 1.0}, {"a": 1}, False),
        ({"a": 1}, {"a": 1.0}, True),
        ({"a": 1}, {"b": 1}, False),
        # JSON has no int keys: int keys answer an expected object's string keys, by str().
        ({1: "a", -2: "b"}, {"1": "a", "-2": "b"}, True),
        ({"x": {1: [1]}}, {"x": {"1": [1]}}, True),
        ({1: "a"}, {"1": "b"}, False),
        ({1: "a"}, {"01": "a"}, False),  # only the text str() gives
        ({1: "a"}, {"+1": "a"}, False),
        ({True: "a"}, {"True": "a"}, False),  # bool keys are not int keys
        ({True: "a"}, {"1": "a"}, False),
        ({1.0: "a"}, {"1.0": "a"}, False),  # nor are float keys
        ({1: "a", "1": "a"}, {"1": "a", "2": "a"}, False),  # two keys cannot answer one
        ({"1": "a"}, {1: "a"}, False),  # an expected int key wants an int key
        ({1: "a", 2: "b"}, {"1": "a", 2: "b"}, False),  # mixed keys: not JSON, exact
        ({True: "a"}, {1: "a"}, False),  # keys keep bool, int and float apart
        ({1.0: "a"}, {1: "a"}, False),
        ({1, 2}, [1, 2], False),  # red team: order is part of an expected list's answer
        ({1, 2}, (1, 2), False),
        ({1, 2}, [1, 1, 2], False),
        ([1, 2], {1, 2}, False),
        ({1, 2}, {2, 1}, True),
        (frozenset({1, 2}), {1, 2}, True),  # set and frozenset are interchangeable
        ({True}, {1}, False),  # set elements keep bool, int and float apart too
        ({1.0}, {1}, False),
        ({(1, 2)}, {(1, 2)}, True),
        ({(1, True)}, {(1, 1)}, False),
        ({float("nan")}, {float("nan")}, True),
        ("1", 1, False),
        (None, None, True),
        (None, 0, False),
        (float("nan"), float("nan"), True),
    ],
)
def test_value_comparison(got: Any, want: Any, same: bool) -> None:
    assert values_equal(got, want, TOL) is same


# Adversarial number-like tokens of 1 MiB (the output cap is about that). A backtracking
# pattern took 7-33 s on 24,000 characters and would take hours here; a linear reading takes
# milliseconds. The subprocess timeout only guards against a hang; nothing here is timed.
LONG_TOKENS = """
from verigrade.verifiers.code.compare import compare_output

n = 1 << 20
cases = [
    ("1" * n + "x", "0.5", False),
    ("1" * n + "e", "0.5", False),
    ("1" * n + "." + "1" * n + "e+", "0.5", False),
    ("." + "1" * n + "x", "0.5", False),
    ("1" * n + "e-" + "1" * n, "0.5", False),  # a number: 0.0 after underflow
    ("1" * n + "e-" + "1" * n, "0.0", True),
    ("0." + "0" * n + "1", "0.0", True),
    ("1" * n + ".0", "1" * n, False),  # an expected integer wants integer text
    ("1" * n, "1" * n, True),
    ("0.5", "1" * n + "x", False),  # the expected side is read the same way
    ("1" * n + "x", "1" * n + "y", False),
    (" ".join(["1.0"] * (n // 4)), " ".join(["1"] * (n // 4)), False),
    (" ".join(["1.0"] * (n // 4)), " ".join(["1.0000000001"] * (n // 4)), True),
]
for got, want, same in cases:
    assert (compare_output(got, want, 1e-6) is None) is same, (got[:20], want[:20])
print("ok")
"""


def test_megabyte_tokens_are_judged_correctly_without_backtracking() -> None:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(LONG_TOKENS)],
        capture_output=True,
        text=True,
        timeout=60,  # a hang guard: a linear reading takes well under a second
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "ok\n", "")


# The tables of docs/code.md ("How answers are compared"), read here so that the documented
# rules and the tested ones are the same rows.
DOC = (Path(__file__).resolve().parents[3] / "docs" / "code.md").read_text()
OUTPUT_TABLE = "| rule | printed | expected | matches |"
VALUE_TABLE = "| rule | returned | expected | equal |"
Point = namedtuple("Point", "x y")
NAMES = {
    "nan": float("nan"),
    "inf": float("inf"),
    "Point": Point,
    "Counter": Counter,
    "defaultdict": defaultdict,
    "list": list,
    "frozenset": frozenset,
}


def table(text: str, header: str) -> list[tuple[str, str, str, bool]]:
    """The rows under ``header``: (rule, got, expected, same), code cells unquoted."""
    lines = text.splitlines()
    assert lines[lines.index(header) + 1] == "|---|---|---|---|"
    rows = []
    for line in lines[lines.index(header) + 2 :]:
        if not line.startswith("|"):
            break
        rule, got, want, same = (cell.strip() for cell in line[1:-1].split(" | "))
        assert same in ("yes", "no"), line
        rows.append((rule, got.strip("`"), want.strip("`"), same == "yes"))
    return rows


OUTPUT_ROWS = table(DOC, OUTPUT_TABLE)
VALUE_ROWS = table(DOC, VALUE_TABLE)


def test_the_tables_are_read_and_the_docstring_has_the_same() -> None:
    assert len(OUTPUT_ROWS) > 20 and len(VALUE_ROWS) > 30
    assert compare.__doc__ is not None
    assert table(compare.__doc__, OUTPUT_TABLE) == OUTPUT_ROWS
    assert table(compare.__doc__, VALUE_TABLE) == VALUE_ROWS


@pytest.mark.parametrize(
    ("rule", "got", "want", "same"), OUTPUT_ROWS, ids=[f"{g}|{w}" for _, g, w, _ in OUTPUT_ROWS]
)
def test_documented_output_rule(rule: str, got: str, want: str, same: bool) -> None:
    printed, expected = ast.literal_eval(got), ast.literal_eval(want)
    assert (compare_output(printed, expected, TOL) is None) is same, rule


@pytest.mark.parametrize(
    ("rule", "got", "want", "same"), VALUE_ROWS, ids=[f"{g}|{w}" for _, g, w, _ in VALUE_ROWS]
)
def test_documented_value_rule(rule: str, got: str, want: str, same: bool) -> None:
    # The cells are ours (docs/code.md), evaluated with no builtins but the names above.
    returned = eval(got, {"__builtins__": {}}, NAMES)
    expected = eval(want, {"__builtins__": {}}, NAMES)
    assert values_equal(returned, expected, TOL) is same, rule


class LyingList(list[int]):
    def __iter__(self) -> Any:
        return iter([1, 2])

    def __len__(self) -> int:
        return 2

    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = None  # type: ignore[assignment]


class LyingStr(str):
    def __eq__(self, other: object) -> bool:
        return True

    def __str__(self) -> str:
        return "y"

    __hash__ = str.__hash__


def test_a_subclass_is_read_by_its_base_types_own_methods() -> None:
    # Values from the program never are subclasses (the wire builds plain types); should one
    # get here anyway, its overrides are not what is compared.
    assert values_equal(LyingList(), [1, 2], TOL) is False
    assert values_equal(LyingStr("x"), "y", TOL) is False
    assert values_equal({LyingStr("x"): 1}, {"y": 1}, TOL) is False
