"""The exact-type wire: what it carries, and what it refuses."""

from __future__ import annotations

import math
from typing import Any

import pytest
from verigrade.sandbox import wire


@pytest.mark.parametrize(
    "value",
    [
        None, True, False, 0, -7, 2**100, 1.5, "text", "", [1, [2, "x"]], (1, (2,)), (),
        {"a": 1}, {1: "a", (1, 2): [3]}, {1, 2}, frozenset({"x"}), b"\x00\xff", 1 + 2j,
        [float("inf"), -float("inf")],
    ],
)  # fmt: skip
def test_plain_values_round_trip_with_their_exact_types(value: Any) -> None:
    back = wire.decode(wire.encode(value))
    assert back == value
    assert type(back) is type(value)


def test_nan_round_trips() -> None:
    assert math.isnan(wire.decode(wire.encode(float("nan"))))


class LyingInt(int):
    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = int.__hash__


class LyingStr(str):
    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = str.__hash__


@pytest.mark.parametrize(
    "value",
    [LyingInt(3), LyingStr("x"), [1, LyingInt(2)], {"k": LyingStr("v")}, object(), len, iter([])],
)
def test_subclasses_and_other_objects_are_refused(value: Any) -> None:
    # An object whose __eq__ always says yes must never reach the judge.
    with pytest.raises(wire.WireError):
        wire.encode(value)


@pytest.mark.parametrize(
    "text",
    [
        '{"a": 1}',  # a plain JSON object is not a value we send
        '{"~": "tuple", "v": 3}',
        '{"~": "dict", "v": [[[1], 2]]}',  # unhashable key
        '{"~": "evil", "v": []}',
        "[1,",
        "9" * 5000,  # longer than Python's int-from-text limit
    ],
)
def test_malformed_messages_are_refused(text: str) -> None:
    with pytest.raises(wire.WireError):
        wire.decode(text)


def test_deep_nesting_is_refused() -> None:
    deep: Any = []
    for _ in range(wire.MAX_DEPTH + 2):
        deep = [deep]
    with pytest.raises(wire.WireError):
        wire.encode(deep)
    with pytest.raises(wire.WireError):
        wire.decode("[" * 100_000 + "]" * 100_000)
