"""One line of a JSONL file as a value, or the reason it is not one.

A bad line is the data's problem, not the caller's: the commands that read JSONL give it
a result that says why (``line 7: invalid JSON ...``) instead of stopping the whole file.
"""

from __future__ import annotations

import json
from typing import Any


def parse_line(raw: bytes | str) -> tuple[Any, str | None]:
    """``(value, None)`` for a line holding one JSON value, else ``(None, why not)``."""
    if isinstance(raw, bytes):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return None, f"not valid UTF-8 ({exc.reason} at byte {exc.start})"
    else:
        text = raw
    if not text.strip():
        return None, "empty line"
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        return None, f"invalid JSON ({exc.msg} at column {exc.colno})"
    except RecursionError:
        return None, "invalid JSON (nested too deeply)"
