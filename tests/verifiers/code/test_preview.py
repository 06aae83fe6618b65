"""Text for returned values in reasons: ``repr`` where it can be made, never an exception."""

from __future__ import annotations

from typing import Any

import pytest
from verigrade.verifiers.code.preview import error_text, preview


@pytest.mark.parametrize(
    "value, text",
    [
        ([1, "a", (2,), {3: None}], "[1, 'a', (2,), {3: None}]"),
        ((), "()"),
        (set(), "set()"),
        (frozenset({1}), "frozenset({1})"),
        (b"\x00", "b'\\x00'"),
        (10**5000, "<int of 16610 bits>"),  # repr raises: more than 4,300 digits
        ([-(10**5000)], "[<int of 16610 bits>]"),
        (10**600, repr(10**600)[:97] + "..."),
        (list(range(1000)), repr(list(range(1000)))[:97] + "..."),
        ("x" * 10**6, "'" + "x" * 96 + "..."),
    ],
    ids=range(10),  # pytest's own ids would write 10**5000 out
)  # fmt: skip
def test_preview(value: Any, text: str) -> None:
    assert preview(value) == text


def test_error_text_of_a_message_that_cannot_be_written() -> None:
    assert error_text(AssertionError(10**5000)) == "<int of 16610 bits>"
    assert error_text(ValueError("short")) == "short"
    assert error_text(AssertionError("x" * 500), 10) == "x" * 10
