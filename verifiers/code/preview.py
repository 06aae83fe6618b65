"""Short text for what a program sent back, for reasons and messages; it never raises.

``repr`` of a returned value can fail: Python refuses to write an int of more than
``sys.get_int_max_str_digits()`` digits (4,300 by default) as decimal text, and the sandbox's
wire carries such ints. A long int is shown by its size instead, and only as much of a value
is written as the text will show.
"""

from __future__ import annotations

from typing import Any

#: Ints longer than this are shown by their size: writing one out in decimal takes quadratic
#: time (or fails), and a reason would show only its first digits anyway.
_INT_BITS_SHOWN = 2048
_BRACKETS: dict[type, tuple[str, str]] = {
    list: ("[", "]"),
    tuple: ("(", ")"),
    set: ("{", "}"),
    frozenset: ("frozenset({", "})"),
    dict: ("{", "}"),
}


def preview(value: Any, width: int = 100) -> str:
    """``repr(value)`` cut to ``width`` characters, ``...`` marking the cut.

    Example:
        >>> preview([1, 10**5000])
        '[1, <int of 16610 bits>]'
    """
    parts: list[str] = []
    _write(value, parts, width + 1)  # one more than shown: enough to know it was cut
    text = "".join(parts)
    return text if len(text) <= width else text[: max(width - 3, 0)] + "..."


def _write(value: Any, parts: list[str], room: int) -> int:
    """Append the text of ``value`` to ``parts`` until ``room`` characters are written."""
    if room <= 0:
        return room
    kind = type(value)
    brackets = _BRACKETS.get(kind)
    if brackets is None:
        text = _scalar(value, kind, room)
        parts.append(text)
        return room - len(text)
    if not value:
        text = "set()" if kind is set else "frozenset()" if kind is frozenset else repr(value)
        parts.append(text)
        return room - len(text)
    opening, closing = brackets
    parts.append(opening)
    room -= len(opening)
    items = value.items() if kind is dict else value
    for index, item in enumerate(items):
        if index:
            parts.append(", ")
            room -= 2
        if kind is dict:
            room = _write(item[0], parts, room)
            parts.append(": ")
            room = _write(item[1], parts, room - 2)
        else:
            room = _write(item, parts, room)
        if room <= 0:
            return room
    if kind is tuple and len(value) == 1:
        closing = ",)"
    parts.append(closing)
    return room - len(closing)


def _scalar(value: Any, kind: type, room: int) -> str:
    if kind is int and value.bit_length() > _INT_BITS_SHOWN:
        return f"<int of {value.bit_length()} bits>"
    if kind is str or kind is bytes:
        value = value[:room]  # repr of what will show, not of megabytes of it
    try:
        return repr(value)
    except Exception:  # a value of a type whose repr fails: its type must do
        return f"<{kind.__name__}>"


def error_text(error: BaseException, width: int = 200) -> str:
    """``str(error)`` cut to ``width``; made from its arguments when that text cannot be made.

    An assertion's message is often a value the program returned (``assert f(x) == y, f(x)``),
    and ``str`` of one holding a long int raises.
    """
    try:
        text = str(error)
    except Exception:
        args = error.args
        text = preview(args[0] if len(args) == 1 else args, width)
    return text[:width]
