"""Exact plain-type values on the wire between a sandboxed program and the process judging it.

Standard library only, and of ours only ``errors.py`` (standard library only too): the fork
server loads both by path.

A value crosses as JSON. ``None``, ``bool``, ``int``, ``float`` (``NaN``/``Infinity`` included),
``str`` and ``list`` are JSON's own; ``tuple``, ``dict``, ``set``, ``frozenset``, ``bytes`` and
``complex`` are tagged objects ``{"~": kind, "v": ...}``, so a plain JSON object never appears.
Only those exact types encode: a subclass (say an ``int`` whose ``__eq__`` always says yes)
is refused by :func:`encode`, and :func:`decode` only ever builds fresh built-in objects, so
whatever the program returned, the judge compares values it made itself.

It also holds the one other fact both ends must agree on, :data:`SETUP_FAILED`.
"""

from __future__ import annotations

import json

from .errors import WireError as WireError  # re-exported: wire.WireError is its old name

TYPE_CHECKING = False  # typing itself is not imported: the fork server loads this module
if TYPE_CHECKING:
    from typing import Any

MAX_DEPTH = 64
#: Exit status of a child that failed before its program started (isolating itself, reading
#: the setup stream, exec). Here because both ends must agree on it: the fork server's child
#: exits with it, and the client takes it, before the child said it was ready, for a sandbox
#: error rather than the program's own status.
SETUP_FAILED = 125


def _plain(value: Any, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    kind = type(value)
    if value is None or kind is bool or kind is int or kind is str:
        return value
    if kind is float:
        return value
    if kind is list:
        return [_plain(item, depth + 1) for item in value]
    if kind is tuple:
        return {"~": "tuple", "v": [_plain(item, depth + 1) for item in value]}
    if kind is dict:
        pairs = [[_plain(k, depth + 1), _plain(v, depth + 1)] for k, v in value.items()]
        return {"~": "dict", "v": pairs}
    if kind is set or kind is frozenset:
        items = [_plain(item, depth + 1) for item in value]
        return {"~": kind.__name__, "v": items}
    if kind is bytes:
        return {"~": "bytes", "v": value.hex()}
    if kind is complex:
        return {"~": "complex", "v": [value.real, value.imag]}
    raise WireError(f"cannot send a value of type {kind.__module__}.{kind.__qualname__}")


#: Made once: ``json.dumps`` with any option builds a new encoder per call, and a session
#: encodes every call and every return value.
_ENCODER = json.JSONEncoder(separators=(",", ":"))


def encode(value: Any) -> str:
    """One JSON text for ``value``; raises :class:`WireError` for anything but exact plain types."""
    return _ENCODER.encode(_plain(value, 0))


def _build(node: Any, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    kind = type(node)
    if node is None or kind in (bool, int, float, str):
        return node
    if kind is list:
        return [_build(item, depth + 1) for item in node]
    if kind is dict and set(node) == {"~", "v"}:
        tag, body = node["~"], node["v"]
        if tag == "bytes" and type(body) is str:
            return bytes.fromhex(body)
        if type(body) is not list:
            raise WireError(f"malformed {tag!r} value")
        items = [_build(item, depth + 1) for item in body]
        try:
            if tag == "tuple":
                return tuple(items)
            if tag == "dict":
                return {key: val for key, val in items}
            if tag == "set":
                return set(items)
            if tag == "frozenset":
                return frozenset(items)
            if tag == "complex":
                return complex(*items)
        except (TypeError, ValueError) as error:
            raise WireError(f"malformed {tag!r} value: {error}") from None
    raise WireError("unexpected JSON object in a value")


def decode(text: str | bytes) -> Any:
    """The value :func:`encode` wrote, rebuilt from fresh built-in objects."""
    try:
        node = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise WireError(f"not a value: {error}") from None
    return _build(node, 0)
