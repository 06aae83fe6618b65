"""Exact plain-type values on the wire between a sandboxed program and the process judging it.

Standard library only, and of ours only ``errors.py`` (standard library only too): the fork
server loads both by path.

A value crosses as JSON. ``None``, ``bool``, ``int``, ``float`` (``NaN``/``Infinity`` included),
``str`` and ``list`` are JSON's own; ``tuple``, ``dict``, ``set``, ``frozenset``, ``bytes`` and
``complex`` are tagged objects ``{"~": kind, "v": ...}``, so a plain JSON object never appears.
An ``int`` of more than :data:`INT_HEX_BITS` bits is tagged too, ``{"~": "int", "v": hex}``:
Python writes and reads ints as decimal text in quadratic time, and refuses to past
``sys.get_int_max_str_digits()`` digits (4,300 by default), while hex is linear and unlimited.
A subclass of one of those types is sent as its base type's value: a ``Counter`` or
``defaultdict`` as a ``dict``, a ``namedtuple`` as a ``tuple``, an ``IntEnum`` member as an
``int`` (``bool`` stays ``bool``). :func:`encode` reads it through the base type's own methods
(``dict.items(value)``, ``int.__index__(value)``), so what the subclass overrides can neither
change what is sent nor raise out of the encoder, and :func:`decode` only ever builds fresh
built-in objects: an ``int`` whose ``__eq__`` always says yes arrives as a plain ``int``, and
whatever the program returned, the judge compares values it made itself. Anything else (a
plain ``Enum`` member, a function, an iterator) is refused, naming its type.

The program writes the judge's side of the wire: :func:`decode` is fed whatever it chose to
write, so it checks every shape before building from it and raises nothing but
:class:`WireError`. It also refuses a message in which more than :data:`MAX_SAME_HASH`
distinct values share a ``hash()``: any set or dict of them, its own or the test code's,
would take quadratic time to build.

It also holds the one other fact both ends must agree on, :data:`SETUP_FAILED`.
"""

from __future__ import annotations

import json
import re  # loaded with json already, as is collections: they cost the fork server nothing
import sys
from collections import Counter

from .errors import WireError as WireError  # re-exported: wire.WireError is its old name

TYPE_CHECKING = False  # typing itself is not imported: the fork server loads this module
if TYPE_CHECKING:
    from typing import Any

MAX_DEPTH = 64
#: Ints longer than this cross as hex. 2,048 bits is 617 decimal digits: below the lowest
#: limit Python can be set to (640), so both ends read and write the rest as JSON numbers
#: whatever their settings.
INT_HEX_BITS = 2048
#: Longest decimal int decode reads when this process has lifted Python's own limit.
_MAX_DECIMAL_DIGITS = 640
_HEX_INT = re.compile(r"-?[0-9a-f]+")
#: Exit status of a child that failed before its program started (isolating itself, reading
#: the setup stream, exec). Here because both ends must agree on it: the fork server's child
#: exits with it, and the client takes it, before the child said it was ready, for a sandbox
#: error rather than the program's own status.
SETUP_FAILED = 125
#: Most distinct values of one message that may share a ``hash()``. Python's hash of a number
#: is the number modulo 2**61 - 1, and tuples, frozensets and complex numbers hash from their
#: parts, so a program can send thousands of values with one hash; a set or dict of them, built
#: here or by the test code from a returned list, takes quadratic time (38,000 ints: 7-24 s).
#: With at most this many per hash, every set or dict made of one message's values costs at
#: most this many comparisons per item. Values that share a hash by nature stay far below it:
#: powers of two share one every 61, so a set needs 3,900 of them, past 1 MiB of text.
MAX_SAME_HASH = 64
#: Ints strictly between these hash to themselves (bar -1, which hashes as -2): no two collide.
_HASH_HIGH = sys.hash_info.modulus
_HASH_LOW = -_HASH_HIGH
#: Strings hash with a per-process secret the program cannot learn, unless the judge turned
#: that off (PYTHONHASHSEED=0): then they are counted too.
_COUNT_STRINGS = not sys.flags.hash_randomization


def _plain(value: Any, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    kind = type(value)
    if value is None or kind is bool or kind is str or kind is float:
        return value
    if kind is int:
        return value if value.bit_length() <= INT_HEX_BITS else {"~": "int", "v": f"{value:x}"}
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
    return _base_value(value, kind, depth)


# The base types' own descriptors: a metaclass or a subclass cannot override what they read.
_COMPLEX_REAL = complex.__dict__["real"]
_COMPLEX_IMAG = complex.__dict__["imag"]
_TYPE_MODULE = type.__dict__["__module__"]
_TYPE_QUALNAME = type.__dict__["__qualname__"]


def _base_value(value: Any, kind: type, depth: int) -> Any:
    """A subclass of a built-in type sent as its base value: a Counter as a dict, and so on.

    Read through the base type's own methods (``dict.items(value)``, ``int.__index__``), never
    through the subclass's: what it overrides may lie about the value, or raise, even a
    BaseException that would end the program's call loop. The judge builds only the base type.
    """
    if issubclass(kind, int):  # IntEnum, IntFlag (bool is exact, and never gets here)
        return _plain(int.__index__(value), depth)
    if issubclass(kind, float):
        return float.__float__(value)
    if issubclass(kind, str):  # StrEnum too
        return str.__str__(value)
    if issubclass(kind, bytes):
        return {"~": "bytes", "v": bytes.hex(value)}
    if issubclass(kind, complex):
        return {"~": "complex", "v": [_COMPLEX_REAL.__get__(value), _COMPLEX_IMAG.__get__(value)]}
    if issubclass(kind, list):
        return [_plain(item, depth + 1) for item in list.__iter__(value)]
    if issubclass(kind, tuple):  # namedtuple
        return {"~": "tuple", "v": [_plain(item, depth + 1) for item in tuple.__iter__(value)]}
    if issubclass(kind, dict):  # defaultdict, Counter, OrderedDict
        pairs = [[_plain(k, depth + 1), _plain(v, depth + 1)] for k, v in dict.items(value)]
        return {"~": "dict", "v": pairs}
    if issubclass(kind, set):
        return {"~": "set", "v": [_plain(item, depth + 1) for item in set.__iter__(value)]}
    if issubclass(kind, frozenset):
        items = [_plain(item, depth + 1) for item in frozenset.__iter__(value)]
        return {"~": "frozenset", "v": items}
    module, name = _TYPE_MODULE.__get__(kind), _TYPE_QUALNAME.__get__(kind)
    if type(module) is str and module != "builtins":
        name = f"{module}.{name}"
    raise WireError(
        f"cannot send a value of type {name}: not a built-in value or a subclass of one"
    )


#: Made once: ``json.dumps`` with any option builds a new encoder per call, and a session
#: encodes every call and every return value.
_ENCODER = json.JSONEncoder(separators=(",", ":"))


def encode(value: Any) -> str:
    """One JSON text for ``value``; raises :class:`WireError` for anything but plain values."""
    return _ENCODER.encode(_plain(value, 0))


def _tag_name(tag: Any) -> str:
    # Only a string tag is shown: a forged tag can be any JSON value, and the repr of one
    # nested hundreds deep would need the stack the caller may not have.
    return repr(tag[:20]) if type(tag) is str else "tagged"


def _hash_or_none(value: Any) -> int | None:
    try:
        return hash(value)
    except TypeError:  # a tuple holding a list: no set or dict can hold it either
        return None


def _check_hashes(values: list[Any]) -> None:
    """Refuse the message if more than MAX_SAME_HASH distinct ``values`` share a hash.

    Counting hashes is linear: a hash value is an int, and ints hash to themselves modulo
    2**61 - 1, so the counter's own keys collide only by the handful. Only a hash held by
    more than MAX_SAME_HASH values (one value repeated, or a forgery) has its values told
    apart, each against at most MAX_SAME_HASH others.
    """
    if len(values) <= MAX_SAME_HASH:
        return
    hashes: list[int | None]
    try:
        hashes = list(map(hash, values))
    except TypeError:
        hashes = list(map(_hash_or_none, values))
    crowded = {key for key, count in Counter(hashes).items() if count > MAX_SAME_HASH}
    crowded.discard(None)
    if not crowded:
        return
    distinct: dict[int | None, list[Any]] = {key: [] for key in crowded}
    for key, value in zip(hashes, values, strict=True):
        group = distinct.get(key)
        if group is None or any(other == value for other in group):
            continue
        if len(group) == MAX_SAME_HASH:
            raise WireError(f"more than {MAX_SAME_HASH} distinct values share one hash")
        group.append(value)


def _build(node: Any, depth: int, found: list[Any]) -> Any:
    """The value ``node`` (parsed JSON) stands for; every shape not written by _plain is refused.

    Each tag's body is checked before a constructor sees it, so a forged message fails here
    with a WireError rather than inside ``bytes.fromhex``, ``complex`` or ``dict``. Every
    value whose hash a program could forge goes into ``found``; the sets and dicts built here
    are checked against the hashes of their own items before they are built.
    """
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    kind = type(node)
    if kind is int:
        if not _HASH_LOW < node < _HASH_HIGH:
            found.append(node)
        return node
    if kind is float or (kind is str and _COUNT_STRINGS):
        found.append(node)
        return node
    if node is None or kind is bool or kind is str:
        return node
    if kind is list:
        return [_build(item, depth + 1, found) for item in node]
    if kind is not dict or len(node) != 2 or "~" not in node or "v" not in node:
        raise WireError("unexpected JSON object in a value")
    tag, body = node["~"], node["v"]
    if tag == "bytes" and type(body) is str:
        try:
            value: Any = bytes.fromhex(body)
        except ValueError:
            raise WireError("malformed 'bytes' value: not hex") from None
        if _COUNT_STRINGS:
            found.append(value)
        return value
    if tag == "int" and type(body) is str:
        if not _HEX_INT.fullmatch(body):
            raise WireError("malformed 'int' value: not hex")
        value = int(body, 16)  # linear in the length, and not limited as decimal text is
        found.append(value)
        return value
    if type(body) is not list:
        raise WireError(f"malformed {_tag_name(tag)} value")
    if tag == "complex":
        if len(body) != 2 or type(body[0]) is not float or type(body[1]) is not float:
            raise WireError("malformed 'complex' value: not two floats")
        value = complex(body[0], body[1])
        found.append(value)
        return value
    if tag == "dict":
        for pair in body:
            if type(pair) is not list or len(pair) != 2:
                raise WireError("malformed 'dict' value: not a list of pairs")
        pairs = [
            (_build(key, depth + 1, found), _build(value, depth + 1, found)) for key, value in body
        ]
        _check_hashes([key for key, _ in pairs])
        try:
            return dict(pairs)
        except TypeError as error:  # an unhashable key
            raise WireError(f"malformed 'dict' value: {error}") from None
    items = [_build(item, depth + 1, found) for item in body]
    if tag == "tuple":
        value = tuple(items)
    elif tag == "set" or tag == "frozenset":
        _check_hashes(items)
        try:
            value = set(items) if tag == "set" else frozenset(items)
        except TypeError as error:  # an unhashable member
            raise WireError(f"malformed {tag!r} value: {error}") from None
        if tag == "set":
            return value
    else:
        raise WireError(f"unknown tag {_tag_name(tag)}")
    found.append(value)  # a tuple or frozenset: its hash comes from its items'
    return value


_int_digits_limit = getattr(sys, "get_int_max_str_digits", None)  # Python 3.10.7 and later


def _decimal_int(text: str) -> int:
    if len(text) > _MAX_DECIMAL_DIGITS:
        raise WireError(f"an int of more than {_MAX_DECIMAL_DIGITS} decimal digits")
    return int(text)


def _loads(text: str | bytes) -> Any:
    """``json.loads``, reading no decimal int that would take more than linear time.

    Python's own limit on decimal ints does that, as long as it is in force; where this
    process lifted it (or has none), each number goes through :func:`_decimal_int` instead.
    """
    limit = _int_digits_limit() if _int_digits_limit is not None else 0
    if 0 < limit <= 4300:
        return json.loads(text)
    return json.loads(text, parse_int=_decimal_int)


def decode(text: str | bytes) -> Any:
    """The value :func:`encode` wrote, rebuilt from fresh built-in objects.

    Raises:
        WireError: ``text`` is not such a value, whatever it holds (the program writes it).
    """
    try:
        node = _loads(text)
    except (ValueError, RecursionError) as error:  # JSON, UTF-8 and int-length errors
        raise WireError(f"not a value: {error}") from None
    found: list[Any] = []
    try:
        value = _build(node, 0, found)
        # Test code may gather the values of returned lists into sets of its own: the whole
        # message is held to the same bound as each set or dict in it.
        _check_hashes(found)
    except RecursionError:  # the caller was already deep in its own stack
        raise WireError("value nested too deeply for the stack left") from None
    return value
