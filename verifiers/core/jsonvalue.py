"""JSON values from model output: a guarded parser and JSON equality.

Model output is hostile by default: ``load_json`` refuses text over a size limit and
values nested deeper than a depth limit (the C decoder would otherwise recurse until
``RecursionError``), and says why instead of raising.
"""

from __future__ import annotations

import json
import re
from typing import Any

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\n(.*?)```", re.DOTALL)


class JSONProblem(ValueError):
    """Why a text is not an acceptable JSON value."""


def load_json(text: str, *, max_chars: int, max_depth: int) -> Any:
    """Parse ``text`` as one JSON value within the limits.

    Raises:
        JSONProblem: not JSON, too long, or nested too deeply (the message says which).
    """
    if len(text) > max_chars:
        raise JSONProblem(f"{len(text):,} characters of JSON, over the limit of {max_chars:,}")
    try:
        value = json.loads(text)
    except RecursionError:
        raise JSONProblem(f"JSON nested deeper than {max_depth} levels") from None
    except ValueError as exc:
        raise JSONProblem(f"not valid JSON: {exc}") from None
    if depth(value) > max_depth:
        raise JSONProblem(f"JSON nested deeper than {max_depth} levels")
    return value


def depth(value: Any) -> int:
    """How deeply arrays and objects nest in ``value`` (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            items: Any = item.values()
        elif isinstance(item, list):
            items = item
        else:
            continue
        deepest = max(deepest, level + 1)
        stack.extend((child, level + 1) for child in items)
    return deepest


def json_equal(a: Any, b: Any) -> bool:
    """JSON equality: object key order is free, ``1 == 1.0``, but ``true != 1``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(json_equal(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(json_equal(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, str) and isinstance(b, str):
        return a == b
    return a is None and b is None


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """Every fenced code block as ``(language, body)``, in order."""
    return [(m.group(1).lower(), m.group(2)) for m in _FENCE.finditer(text)]
